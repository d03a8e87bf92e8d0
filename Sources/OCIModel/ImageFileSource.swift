import Foundation

/// The files of a stored image, read without loading it whole: an OCI layout directory
/// (`DirectoryImageSource`), or a plain tar archive indexed by entry (`TarFileImageSource` in
/// ContainerImage, blobs read from their offsets).
public protocol ImageFileSource {
    /// The size of `name`, nil when absent; throws when it is there but not a regular file.
    func size(of name: String) throws -> Int?
    /// Streams `name`'s bytes to `body` in chunks.
    func stream(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws
}

extension ImageFileSource {
    /// A small file (JSON) in memory; nil when absent. Refuses anything over `limit` bytes.
    public func small(_ name: String, limit: Int = 64 << 20) throws -> [UInt8]? {
        guard let size = try size(of: name) else { return nil }
        guard size <= limit else { throw OCILayoutError.tooLarge(name, size: size, limit: limit) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        try stream(name) { bytes.append(contentsOf: $0) }
        return bytes
    }
}

/// An OCI layout directory. Every file is opened with `FileIO.openForeign`: only regular files
/// count, a symlink is never followed, a FIFO never blocks, and no name climbs out with `..`.
public struct DirectoryImageSource: ImageFileSource {
    public var root: String
    public init(root: String) { self.root = root }

    public func size(of name: String) throws -> Int? {
        guard !name.split(separator: "/").contains("..") else { return nil }
        var info = stat()
        guard lstat(root + "/" + name, &info) == 0 else { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw OCILayoutError.unreadable(name, .notRegularFile) }
        return Int(info.st_size)
    }

    public func stream(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !name.split(separator: "/").contains("..") else { throw OCILayoutError.unreadable(name, .missing) }
        let opened: (descriptor: Int32, size: Int)
        do { opened = try FileIO.openForeign(root + "/" + name) } catch { throw OCILayoutError.unreadable(name, error) }
        defer { close(opened.descriptor) }
        do { try FileIO.stream(opened.descriptor, offset: 0, count: opened.size, body) } catch let problem as ForeignFileProblem {
            throw OCILayoutError.unreadable(name, problem)
        }
    }
}
