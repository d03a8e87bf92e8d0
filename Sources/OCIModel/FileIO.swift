import Foundation

/// The file reads and writes of the image side (layers, blobs, archives, ELF headers), each retrying
/// EINTR here, in one place, and turning errno into one typed failure that call sites map to their
/// own error with the path (the shape of HTTPServer's `syscall`, for blocking files).
public enum FileIO {
    /// A failed call: errno, read once right after it.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: Int32
        public var description: String { String(cString: strerror(code)) }
    }

    /// One `read(2)`: the bytes read, 0 at the end of the file.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        try retrying { Glibc.read(descriptor, buffer, count) }
    }

    /// One `pread(2)` at `offset`: the bytes read, 0 at the end of the file.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws -> Int {
        try retrying { Glibc.pread(descriptor, buffer, count, off_t(offset)) }
    }

    /// `write(2)` until every byte of `bytes` is written (a short write continues where it stopped).
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = try retrying { Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written > 0 else { throw Failure(code: EIO) }  // write(2) returns 0 only for a 0-byte request
            offset += written
        }
    }

    private static func retrying(_ call: () -> Int) throws -> Int {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            if code != EINTR { throw Failure(code: code) }
        }
    }
}

/// Why a file this tool did not write cannot be read (`FileIO.openForeign`).
public enum ForeignFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case missing
    case notRegularFile
    case tooLarge(size: Int, limit: Int)
    case endsEarly
    case unreadable(FileIO.Failure)

    public var description: String {
        switch self {
        case .missing: return "no such file"
        case .notRegularFile: return "not a regular file"
        case let .tooLarge(size, limit): return "\(size) bytes, more than the \(limit >> 20) MiB allowed"
        case .endsEarly: return "it ends early"
        case let .unreadable(failure): return failure.description
        }
    }
}

extension FileIO {
    /// Opens a file this tool did not write (a layout's `index.json` and blobs, a blob cache entry, an
    /// archive named on the command line) for reading, with the checks every such open gets: it never
    /// blocks (`O_NONBLOCK`: a FIFO planted in its place cannot hang the open), it is a regular file
    /// (`fstat` of the opened descriptor, so a file swapped after an earlier check is still caught), at
    /// most `maximumSize` bytes, and, unless `followingSymlinks` (a path the user named), its last
    /// component is not a symlink (`O_NOFOLLOW`). The caller closes the descriptor.
    public static func openForeign(_ path: String, maximumSize: Int = .max, followingSymlinks: Bool = false) throws(ForeignFileProblem) -> (descriptor: Int32, size: Int) {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingSymlinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else {
            let code = errno
            // ELOOP is what O_NOFOLLOW answers for a symlink.
            throw code == ENOENT ? .missing : code == ELOOP ? .notRegularFile : .unreadable(Failure(code: code))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw .unreadable(Failure(code: code))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(descriptor)
            throw .notRegularFile
        }
        guard Int(info.st_size) <= maximumSize else {
            Glibc.close(descriptor)
            throw .tooLarge(size: Int(info.st_size), limit: maximumSize)
        }
        return (descriptor, Int(info.st_size))
    }

    /// The whole of a file this tool did not write, opened as `openForeign` opens it.
    public static func readForeign(_ path: String, maximumSize: Int, followingSymlinks: Bool = false) throws(ForeignFileProblem) -> [UInt8] {
        let (descriptor, size) = try openForeign(path, maximumSize: maximumSize, followingSymlinks: followingSymlinks)
        defer { Glibc.close(descriptor) }
        var bytes: [UInt8] = []
        // `stream` throws only its own problems: the body here cannot fail.
        do { try stream(descriptor, offset: 0, count: size) { bytes.append(contentsOf: $0) } } catch { throw error as? ForeignFileProblem ?? .endsEarly }
        return bytes
    }

    /// Streams `count` bytes from `offset` of `descriptor` to `body` in 1 MiB chunks (`pread`);
    /// a file shorter than that throws `ForeignFileProblem.endsEarly`.
    public static func stream(_ descriptor: Int32, offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(1 << 20, max(count, 1)), alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let result: Int
            do { result = try read(descriptor, into: buffer.baseAddress!, count: min(buffer.count, count - done), at: offset + done) } catch {
                throw ForeignFileProblem.unreadable(error as? Failure ?? Failure(code: EIO))
            }
            guard result > 0 else { throw ForeignFileProblem.endsEarly }
            try body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: result))
            done += result
        }
    }
}
