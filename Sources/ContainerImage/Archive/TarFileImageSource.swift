import OCIModel
import Foundation

/// Reads `count` bytes from `offset` of the archive `descriptor` (`FileIO.stream`), an early end
/// or a read error named after the archive.
private func streamRange(_ descriptor: Int32, path: String, offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
    do { try FileIO.stream(descriptor, offset: offset, count: count, body) } catch let problem as ForeignFileProblem {
        throw ImageReadError.malformed(path, "\(problem)")
    }
}

/// A plain (uncompressed) tar archive: headers are scanned once, file data read by offset.
final class TarFileImageSource: ImageFileSource {
    let path: String
    private let descriptor: Int32
    private var entries: [String: (offset: Int, size: Int)] = [:]

    convenience init(path: String) throws {
        // Named by the user, so a symlink is followed; a FIFO or a device is still refused, never read.
        let descriptor: Int32
        do { descriptor = try FileIO.openForeign(path, followingSymlinks: true).descriptor } catch {
            throw ImageReadError(opening: path, error)
        }
        try self.init(path: path, descriptor: descriptor)
    }

    /// A gzip-compressed tar archive, unpacked streaming to an unlinked temporary file (in
    /// `$TMPDIR`): a tar has to be read at offsets, and memory stays constant whatever its size.
    /// The file is gone when the source is (or the process ends).
    convenience init(gunzipping path: String) throws {
        var template = Array((NSTemporaryDirectory() + "/containertool-inspect-XXXXXX").utf8CString)
        // Created and unlinked under the interrupt lock: an interrupt never finds the name on disk.
        let descriptor = try PendingOutputs.shared.whileOpen { _ in
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if descriptor >= 0 { unlink(String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
            return descriptor
        }
        guard descriptor >= 0 else {
            throw ImageReadError.malformed(path, "no temporary file to unpack it into (\(String(cString: strerror(errno)))); set TMPDIR to a writable folder")
        }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            let writer = BufferedFileWriter(descriptor: descriptor, path: temporary)
            let decompressor = try GzipDecompressor { try writer.write($0) }
            let input: (descriptor: Int32, size: Int)
            do { input = try FileIO.openForeign(path, followingSymlinks: true) } catch { throw ImageReadError(opening: path, error) }
            defer { close(input.descriptor) }
            try FileIO.stream(input.descriptor, offset: 0, count: input.size) { try decompressor.write($0) }
            try decompressor.finish()
            try writer.flush()
        } catch let error as ImageReadError {
            close(descriptor)
            throw error
        } catch {
            close(descriptor)
            throw ImageReadError.malformed(path, "it cannot be gunzipped (\(error))")
        }
        try self.init(path: path, descriptor: descriptor)
    }

    /// Takes `descriptor` (closed with the source, or on error).
    private init(path: String, descriptor: Int32) throws {
        self.path = path
        self.descriptor = descriptor
        var info = stat()
        fstat(descriptor, &info)
        let fileSize = Int(info.st_size)
        var offset = 0
        var pendingPath: String?
        var pendingSize: Int?
        var header = [UInt8](repeating: 0, count: 512)
        while offset + 512 <= fileSize {
            let read = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 512, off_t(offset)) }
            guard read == 512 else { throw ImageReadError.malformed(path, "cannot read the tar header at \(offset)") }
            if header.allSatisfy({ $0 == 0 }) { break }
            guard TarReader.checksumMatches(header) else { throw ImageReadError.malformed(path, "bad tar header checksum at offset \(offset)") }
            let size: Int
            do { size = try pendingSize ?? TarFields.number(header[124..<136], name: "size") } catch {
                throw ImageReadError.malformed(path, "the tar header at offset \(offset): \(error)")
            }
            let dataStart = offset + 512
            guard size >= 0, size <= fileSize - dataStart else { throw ImageReadError.malformed(path, "the entry at offset \(offset) runs past the end") }
            let typeFlag = header[156]
            offset = dataStart + (size + 511) / 512 * 512
            switch typeFlag {
            case UInt8(ascii: "x"):
                guard size <= 1 << 20 else { throw ImageReadError.malformed(path, "a PAX header of \(size) bytes") }
                var data = [UInt8](repeating: 0, count: size)
                try data.withUnsafeMutableBytes { buffer in
                    var done = 0
                    try streamRange(descriptor, path: path, offset: dataStart, count: size) { chunk in
                        buffer.baseAddress!.advanced(by: done).copyMemory(from: chunk.baseAddress!, byteCount: chunk.count)
                        done += chunk.count
                    }
                }
                do {
                    for (key, value) in try TarFields.paxRecords(data) {
                        if key == "path" { pendingPath = value }
                        if key == "size" { pendingSize = try TarFields.paxSize(value) }
                    }
                } catch {
                    throw ImageReadError.malformed(path, "the PAX header at offset \(offset): \(error)")
                }
                continue
            case UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                continue
            default:
                break
            }
            var name = pendingPath ?? TarReader.headerPath(header)
            pendingPath = nil
            pendingSize = nil
            while name.hasPrefix("./") { name.removeFirst(2) }
            if typeFlag == UInt8(ascii: "0") || typeFlag == 0 { entries[name] = (dataStart, size) }
        }
    }

    deinit { close(descriptor) }

    func size(of name: String) throws -> Int? { entries[name]?.size }

    /// Every regular file's name, as cleaned above.
    var fileNames: [String] { Array(entries.keys) }

    func stream(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let entry = entries[name] else { throw ImageReadError.malformed(path, "\(name) is missing") }
        try streamRange(descriptor, path: path, offset: entry.offset, count: entry.size, body)
    }
}
