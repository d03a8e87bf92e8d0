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
