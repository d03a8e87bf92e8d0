#if canImport(Glibc)
import OCIModel
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One entry of a tar archive. Paths are relative (`etc/passwd`, no leading `/`); directories
/// are written with a trailing `/`.
public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case directory
        case file(FileContent)
        case symlink(target: String)
    }

    /// Where a regular file's bytes come from: memory, or a host file read in chunks while writing.
    public enum FileContent: Sendable, Equatable {
        case bytes([UInt8])
        case hostFile(path: String, size: Int)

        var size: Int {
            switch self {
            case .bytes(let bytes): return bytes.count
            case .hostFile(_, let size): return size
            }
        }
    }

    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: Int
    public var gid: Int

    public init(path: String, kind: Kind, mode: UInt32, uid: Int = 0, gid: Int = 0) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }

    /// A regular file from memory.
    public static func file(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o644) -> TarEntry {
        TarEntry(path: path, kind: .file(.bytes(bytes)), mode: mode)
    }

    /// A directory.
    public static func directory(_ path: String, mode: UInt32 = 0o755, uid: Int = 0, gid: Int = 0) -> TarEntry {
        TarEntry(path: path, kind: .directory, mode: mode, uid: uid, gid: gid)
    }
}

/// Errors while writing a tar stream.
public enum TarError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case fileChanged(path: String)
    case malformed(String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason):
            return "cannot read \(path): \(reason); check that it exists and is readable"
        case .fileChanged(let path):
            return "\(path) changed size while it was being archived; run the build again once it is stable"
        case .malformed(let detail):
            return "not a valid tar archive (\(detail))"
        }
    }
}

/// Writes a deterministic POSIX tar (ustar headers, PAX extended headers for what ustar cannot
/// hold): entries in byte order of their paths, empty user/group names, every time set to
/// `modificationTime`. The bytes go to `sink` as they are produced.
public struct TarWriter {
    public var modificationTime: Int
    private let sink: (UnsafeRawBufferPointer) throws -> Void

    public init(modificationTime: Int = 0, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.modificationTime = modificationTime
        self.sink = sink
    }

    /// Writes all `entries` sorted by path, then the end-of-archive marker.
    public func writeArchive(_ entries: [TarEntry]) throws {
        let sorted = entries.sorted { Array(Self.archivePath(of: $0).utf8).lexicographicallyPrecedes(Array(Self.archivePath(of: $1).utf8)) }
        for entry in sorted { try write(entry) }
        try emit([UInt8](repeating: 0, count: 1024))
    }

    /// The name as stored: relative, directories with a trailing slash.
    static func archivePath(of entry: TarEntry) -> String {
        var path = entry.path
        while path.hasPrefix("/") { path.removeFirst() }
        if case .directory = entry.kind, !path.hasSuffix("/") { path += "/" }
        return path
    }

    private func write(_ entry: TarEntry) throws {
        let name = Self.archivePath(of: entry)
        var linkName = ""
        var size = 0
        let typeFlag: UInt8
        switch entry.kind {
        case .directory: typeFlag = UInt8(ascii: "5")
        case .symlink(let target): typeFlag = UInt8(ascii: "2"); linkName = target
        case .file(let content): typeFlag = UInt8(ascii: "0"); size = content.size
        }

        // PAX records for everything a ustar header cannot hold (readers prefer them over the
        // header fields, which then hold 0): long or non-ASCII names, sizes of 8 GiB and more,
        // times outside the 11-digit octal field.
        var paxRecords: [(String, String)] = []
        if !Self.fitsUstar(name) { paxRecords.append(("path", name)) }
        if !Self.fitsUstar(linkName) { paxRecords.append(("linkpath", linkName)) }
        if !Self.fitsOctal(size) { paxRecords.append(("size", String(size))) }
        if !Self.fitsOctal(modificationTime) { paxRecords.append(("mtime", String(modificationTime))) }
        if !paxRecords.isEmpty {
            let body = Self.paxBody(paxRecords)
            let paxName = "PaxHeaders/" + String(decoding: Array(name.utf8.suffix(80)).filter { $0 < 0x80 }, as: UTF8.self)
            try emit(header(name: paxName, mode: 0o644, uid: 0, gid: 0, size: body.count, typeFlag: UInt8(ascii: "x"), linkName: ""))
            try emitPadded(body)
        }
        try emit(header(name: name, mode: entry.mode, uid: entry.uid, gid: entry.gid, size: size, typeFlag: typeFlag, linkName: linkName))

        if case .file(let content) = entry.kind {
            switch content {
            case .bytes(let bytes): try emitPadded(bytes)
            case .hostFile(let path, let size): try copyHostFile(path: path, expectedSize: size)
            }
        }
    }

    /// Whether `value` fits the 12-byte numeric fields: 11 octal digits, below 8 GiB.
    static func fitsOctal(_ value: Int) -> Bool { value >= 0 && value < 1 << 33 }

    private static func fitsUstar(_ text: String) -> Bool {
        text.utf8.count <= 100 && text.utf8.allSatisfy { $0 < 0x80 && $0 != 0 }
    }

    /// PAX records are `"<length> <key>=<value>\n"` where length counts the whole record.
    static func paxBody(_ records: [(String, String)]) -> [UInt8] {
        var body = [UInt8]()
        for (key, value) in records {
            let payload = " \(key)=\(value)\n"
            var length = payload.utf8.count + 1
            while String(length).utf8.count + payload.utf8.count != length { length = String(length).utf8.count + payload.utf8.count }
            body += Array((String(length) + payload).utf8)
        }
        return body
    }

    private func header(name: String, mode: UInt32, uid: Int, gid: Int, size: Int, typeFlag: UInt8, linkName: String) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: some Collection<UInt8>, at offset: Int, width: Int) {
            for (index, byte) in bytes.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            // A value that does not fit is carried by a PAX record; the field then says 0.
            let digits = String(value >= 0 && value < 1 << (3 * (width - 1)) ? value : 0, radix: 8)
            let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            put(Array(padded.utf8), at: offset, width: width - 1)
        }
        put(Array(name.utf8), at: 0, width: 100)
        octal(Int(mode & 0o7777), at: 100, width: 8)
        octal(uid, at: 108, width: 8)
        octal(gid, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(modificationTime, at: 136, width: 12)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148, width: 8)
        block[156] = typeFlag
        put(Array(linkName.utf8), at: 157, width: 100)
        put(Array("ustar\0".utf8), at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        // uname/gname (265, 297) stay empty: no host user names in the image.
        octal(0, at: 329, width: 8)
        octal(0, at: 337, width: 8)
        let checksum = block.reduce(0) { $0 + Int($1) }
        let checksumDigits = String(checksum, radix: 8)
        let checksumField = String(repeating: "0", count: max(0, 6 - checksumDigits.count)) + checksumDigits
        put(Array(checksumField.utf8) + [0, UInt8(ascii: " ")], at: 148, width: 8)
        return block
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink($0) }
    }

    private func emitPadded(_ bytes: [UInt8]) throws {
        try emit(bytes)
        let padding = (512 - bytes.count % 512) % 512
        if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
    }

    /// Streams a host file in 1 MiB chunks; fails if its size differs from the header.
    private func copyHostFile(path: String, expectedSize: Int) throws {
        // O_NONBLOCK: a file swapped for a FIFO since it was checked must not hang the build.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw TarError.cannotRead(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw TarError.fileChanged(path: path) }
        let chunkSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count: Int
            do { count = try FileIO.read(descriptor, into: buffer.baseAddress!, count: chunkSize) } catch {
                throw TarError.cannotRead(path: path, reason: "\(error)")
            }
            if count == 0 { break }
            try Interruption.check()
            total += count
            guard total <= expectedSize else { throw TarError.fileChanged(path: path) }
            try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
        }
        guard total == expectedSize else { throw TarError.fileChanged(path: path) }
        let padding = (512 - total % 512) % 512
        if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
    }
}
