#if canImport(Glibc)
import OCIModel
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds which of a few byte strings occur anywhere in a file (a binary's string literals: the
/// paths its libraries open, the resource bundle names SwiftPM compiled in). Reads in chunks with
/// an overlap, so a 60 MB Foundation binary never sits in memory whole.
public enum BinaryStrings {
    public static func find(_ needles: [String], in path: String) throws -> Set<String> {
        let patterns = needles.filter { !$0.isEmpty }.map { Array($0.utf8) }
        guard let longest = patterns.map(\.count).max() else { return [] }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageBuildError.unreadable(path) }
        defer { close(fd) }
        let chunkSize = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunkSize + longest)
        var carried = 0
        var found: Set<String> = []
        while found.count < patterns.count {
            let count: Int
            do { count = try buffer.withUnsafeMutableBytes { raw in try FileIO.read(fd, into: raw.baseAddress! + carried, count: chunkSize) } } catch {
                throw ImageBuildError.unreadable(path)
            }
            if count == 0 { break }
            let filled = carried + count
            buffer.withUnsafeBytes { haystack in
                for pattern in patterns where !found.contains(String(decoding: pattern, as: UTF8.self)) {
                    if contains(UnsafeRawBufferPointer(rebasing: haystack[..<filled]), pattern) {
                        found.insert(String(decoding: pattern, as: UTF8.self))
                    }
                }
            }
            // Keep the tail, so a string split across two reads is still found.
            carried = min(longest - 1, filled)
            buffer.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + filled - carried, carried)
            }
        }
        return found
    }

    /// True when `needle` occurs in `haystack`: `memchr` for the first byte, `memcmp` for the rest
    /// (glibc's `memmem` is a GNU extension the Glibc module does not import).
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count, let base = haystack.baseAddress else { return false }
        return needle.withUnsafeBytes { pattern in
            let last = haystack.count - needle.count
            var offset = 0
            while offset <= last {
                guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
                offset = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + offset, pattern.baseAddress!, needle.count) == 0 { return true }
                offset += 1
            }
            return false
        }
    }
}
