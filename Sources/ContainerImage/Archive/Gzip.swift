import CZlib
import OCIModel

/// Errors from the system zlib.
public enum GzipError: Error, CustomStringConvertible, Equatable {
    case zlib(operation: String, code: Int32)
    case truncated
    /// Bytes after a gzip member that do not start another member.
    case trailingData(offset: Int)

    public var description: String {
        switch self {
        case .zlib(let operation, let code):
            return "zlib \(operation) failed with code \(code); the gzip data is corrupt or zlib is broken"
        case .truncated:
            return "gzip stream ends early; the file is truncated, rebuild it"
        case .trailingData(let offset):
            return "gzip stream has \(offset > 0 ? "bytes at \(offset)" : "bytes") after its last member that are not gzip (Go's compress/gzip refuses them too); the file is corrupt, fetch or rebuild it"
        }
    }
}

/// Streaming gzip compression through the system zlib with a deterministic header:
/// modification time 0, no file name, no comment, OS byte 255 ("unknown"), so the same
/// input gives the same bytes on every machine with the same zlib.
public final class GzipCompressor {
    /// Level 1 (best speed), as go-containerregistry/ko use for layers: about 3x faster than
    /// zlib's default 6 on a Swift binary for roughly 10% more bytes.
    public static let defaultLevel: Int32 = 1

    private let stream: UnsafeMutablePointer<z_stream>
    private let header: UnsafeMutablePointer<gz_header>
    private var output: [UInt8] = Array(repeating: 0, count: 256 * 1024)
    private let sink: (UnsafeRawBufferPointer) throws -> Void

    /// `sink` receives the compressed bytes as they are produced.
    public init(level: Int32 = GzipCompressor.defaultLevel, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        header = .allocate(capacity: 1)
        header.initialize(to: gz_header())
        header.pointee.time = 0
        header.pointee.os = 255
        // windowBits 31 = 15 (32 KB window) + 16 (gzip wrapper instead of zlib).
        let initCode = deflateInit2_(stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initCode == Z_OK else {
            stream.deallocate()
            header.deallocate()
            throw GzipError.zlib(operation: "deflateInit2", code: initCode)
        }
        let headerCode = deflateSetHeader(stream, header)
        guard headerCode == Z_OK else {
            deflateEnd(stream)
            stream.deallocate()
            header.deallocate()
            throw GzipError.zlib(operation: "deflateSetHeader", code: headerCode)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        header.deallocate()
    }

    /// Compresses `input`, passing any produced output to the sink.
    public func write(_ input: UnsafeRawBufferPointer) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        try run(flush: Z_NO_FLUSH)
    }

    /// Flushes everything and writes the gzip trailer.
    public func finish() throws {
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        try run(flush: Z_FINISH)
    }

    private func run(flush: Int32) throws {
        let capacity = output.count
        try output.withUnsafeMutableBytes { buffer in
            let out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            while true {
                stream.pointee.next_out = out
                stream.pointee.avail_out = uInt(capacity)
                let code = deflate(stream, flush)
                guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else {
                    throw GzipError.zlib(operation: "deflate", code: code)
                }
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: buffer.baseAddress, count: produced)) }
                if flush == Z_FINISH {
                    if code == Z_STREAM_END { return }
                } else if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 {
                    return
                }
            }
        }
    }
}

/// Gzip helpers for whole buffers (reading images back, tests).
public enum Gzip {
    /// Compresses `bytes` with the deterministic header.
    public static func compress(_ bytes: [UInt8], level: Int32 = GzipCompressor.defaultLevel) throws -> [UInt8] {
        var result = [UInt8]()
        let compressor = try GzipCompressor(level: level) { result.append(contentsOf: $0) }
        try bytes.withUnsafeBytes { try compressor.write($0) }
        try compressor.finish()
        return result
    }

    /// Decompresses a gzip stream (every member).
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        var result = [UInt8]()
        let decompressor = try GzipDecompressor { result.append(contentsOf: $0) }
        try bytes.withUnsafeBytes { try decompressor.write($0) }
        try decompressor.finish()
        return result
    }

    /// True when `bytes` start with the gzip magic number.
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1f && iterator.next() == 0x8b
    }

    /// True when the file at `path` (named by the user: a symlink is followed) starts with the gzip
    /// magic number; opened by `FileIO.openForeign`, so a FIFO or a device is refused, never read.
    public static func isGzipFile(_ path: String) throws(ForeignFileProblem) -> Bool {
        let (descriptor, _) = try FileIO.openForeign(path, followingSymlinks: true)
        defer { close(descriptor) }
        var magic = [UInt8](repeating: 0, count: 2)
        let count = (try? magic.withUnsafeMutableBytes { try FileIO.read(descriptor, into: $0.baseAddress!, count: 2, at: 0) }) ?? 0
        return isGzip(magic.prefix(count))
    }
}

/// Streaming gunzip: compressed chunks in, plain chunks to `sink`, in constant memory. A gzip
/// stream may hold several members one after the other (`cat a.gz b.gz`, eStargz, pigz): all are
/// read, as Go's `compress/gzip` (docker, containerd, podman) and zlib's `gunzip` read them. Bytes
/// after a member that do not start another member are refused (`trailingData`), as Go refuses
/// them. A zlib-wrapped stream (also accepted) is one member.
public final class GzipDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    /// Between members: the first bytes of what follows a member's end (at most two, the magic).
    private var between: [UInt8]?
    private var isGzip: Bool?
    /// Compressed bytes taken in so far (for the position in errors).
    private var consumed = 0

    public init(sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        // zlib checks that the stream never moves, so it lives at a fixed heap address.
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 47 = 15 + 32: detect gzip or zlib wrapper automatically.
        let code = inflateInit2_(stream, 47, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard code == Z_OK else {
            stream.deallocate()
            throw GzipError.zlib(operation: "inflateInit2", code: code)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Decompresses `input`, member after member.
    public func write(_ input: UnsafeRawBufferPointer) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        if isGzip == nil { isGzip = input[0] == 0x1f }
        var rest = UnsafeRawBufferPointer(start: base, count: input.count)
        while !rest.isEmpty {
            if var magic = between {
                // After a member: the next must start with the gzip magic; a zlib stream has one member.
                let take = min(2 - magic.count, rest.count)
                magic += rest.prefix(take)
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
                guard isGzip == true, magic.first == 0x1f else { throw GzipError.trailingData(offset: consumed) }
                guard magic.count == 2 else { between = magic; return }
                guard magic == [0x1f, 0x8b] else { throw GzipError.trailingData(offset: consumed) }
                between = nil
                let code = inflateReset(stream)
                guard code == Z_OK else { throw GzipError.zlib(operation: "inflateReset", code: code) }
                _ = try magic.withUnsafeBytes { try inflate($0) }
                consumed += 2
            } else {
                let used = try inflate(rest)
                // zlib took nothing and the member goes on: it cannot progress (never loop on it).
                guard used > 0 || between != nil else { throw GzipError.zlib(operation: "inflate", code: Z_BUF_ERROR) }
                consumed += used
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(used))
            }
        }
    }

    /// Runs `input` through zlib until it is all taken or a member ends; returns the bytes used.
    @discardableResult
    private func inflate(_ input: UnsafeRawBufferPointer) throws -> Int {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        let capacity = output.count
        return try output.withUnsafeMutableBytes { out in
            while true {
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(capacity)
                let code = CZlib.inflate(stream, Z_NO_FLUSH)
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0 { try sink(UnsafeRawBufferPointer(start: out.baseAddress, count: produced)) }
                if code == Z_STREAM_END {
                    between = []
                    return input.count - Int(stream.pointee.avail_in)
                }
                guard code == Z_OK || code == Z_BUF_ERROR else { throw GzipError.zlib(operation: "inflate", code: code) }
                // This input is done once zlib has taken all of it and had room to spare.
                if stream.pointee.avail_in == 0 && produced < capacity { return input.count }
                if code == Z_BUF_ERROR && produced == 0 { return input.count - Int(stream.pointee.avail_in) }
            }
        }
    }

    /// Fails when the stream did not end at a member's end (truncated input).
    public func finish() throws {
        guard let magic = between else { throw GzipError.truncated }
        guard magic.isEmpty else { throw GzipError.trailingData(offset: consumed) }
    }
}
