import Foundation

/// A local store of blobs by digest (`ROOT/blobs/sha256/<hex>`), shared by every build on the machine,
/// so a base image's layers are downloaded once. A file enters the cache only by `rename` after its
/// digest and size were verified, so concurrent runs never see a partial file; a file whose content
/// does not match its name (a poisoned or damaged cache) is detected on every use and removed.
public struct BlobCache: Sendable {
    /// The cache directory (holds `blobs/sha256/` and `tmp/`).
    public let root: String

    public init(root: String) { self.root = root }

    /// The machine's cache folder (`CacheLocation`).
    public static func defaultRoot(environment: [String: String]) -> String {
        CacheLocation.root(environment: environment, home: NSHomeDirectory())
    }

    /// Where the blob with `digest` lives; throws for anything but `sha256:` and 64 lowercase hex
    /// digits (a digest from a hostile manifest must never become a path like `../../x`).
    public func path(of digest: String) throws -> String {
        guard ImageReference.isValidDigest(digest), digest.hasPrefix("sha256:") else { throw BlobCacheError.invalidDigest(digest) }
        return root + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
    }

    /// The cached file of `blob` when it is there and its size and digest match; a mismatching
    /// file is deleted (and nil returned, so the caller fetches it again).
    public func verifiedFile(for blob: Descriptor) throws -> String? {
        let path = try path(of: blob.digest)
        guard let digest = try? Self.digest(ofFile: path, expectedSize: blob.size) else { return nil }
        guard digest == blob.digest else {
            unlink(path)
            return nil
        }
        return path
    }

    /// A new temporary file inside the cache's own `tmp/` (same file system as the blobs, so
    /// `commit` is a rename), created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`: a file or symlink
    /// planted under the name is never followed or reused, creation moves on to another name) and
    /// registered in `PendingOutputs`, so an error path (`discard`) or an interrupt removes it.
    /// The caller closes the descriptor.
    public func createTemporaryFile(for digest: String) throws -> (path: String, descriptor: Int32) {
        _ = try path(of: digest)
        let directory = try temporaryDirectory()
        var lastError: Int32 = EEXIST
        for _ in 0..<16 {
            let candidate = directory + "/" + digest.dropFirst("sha256:".count).prefix(16) + ".\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
            let descriptor: Int32 = try PendingOutputs.shared.whileOpen { registry in
                let opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                if opened >= 0 { registry.register(candidate) } else { lastError = errno }
                return opened
            }
            if descriptor >= 0 { return (candidate, descriptor) }
            guard lastError == EEXIST else { break }
        }
        throw BlobCacheError.unwritable(directory, String(cString: strerror(lastError)))
    }

    /// Removes a temporary from `createTemporaryFile` that will not be committed.
    public func discard(temporary: String) {
        PendingOutputs.shared.remove(temporary)
    }

    /// `ROOT/tmp`, made if missing; refused unless it is a real directory this user owns.
    func temporaryDirectory() throws -> String {
        let directory = root + "/tmp"
        try Self.makeDirectory(directory)
        // Why lstat: a symlinked tmp/ would make removeStale delete files outside the cache.
        var info = stat()
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid() else {
            throw BlobCacheError.unwritable(directory, "not a directory this user owns (a symlink?)")
        }
        Self.removeStale(in: directory)
        return directory
    }

    /// Deletes what interrupted runs left in `tmp/` (files untouched for a day; a running download
    /// writes to its file all the time).
    static func removeStale(in directory: String) {
        let cutoff = Date().addingTimeInterval(-86_400)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            let path = directory + "/" + name
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff { unlink(path) }
        }
    }

    /// `mkdir -p`, failing with `BlobCacheError.unwritable` (one line saying what to do), not Foundation's error dump.
    static func makeDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil }
            throw BlobCacheError.unwritable(path, posix.map { String(cString: strerror($0)) } ?? "it cannot be created")
        }
    }

    /// Moves a downloaded and verified file into place under `digest` (atomic; a concurrent run that
    /// committed the same blob first is harmless: the content is the same).
    /// On failure the temporary is removed.
    public func commit(temporary: String, digest: String) throws -> String {
        do {
            let path = try path(of: digest)
            try Self.makeDirectory(root + "/blobs/sha256")
            // Under the interrupt lock: the temporary is either still registered or renamed away.
            try PendingOutputs.shared.whileOpen { registry in
                guard rename(temporary, path) == 0 else { throw BlobCacheError.unwritable(path, String(cString: strerror(errno))) }
                registry.unregister(temporary)
            }
            return path
        } catch {
            discard(temporary: temporary)
            throw error
        }
    }

    /// Stores `bytes` (verified against `digest`) in the cache.
    public func store(_ bytes: [UInt8], digest: String) throws -> String {
        let actual = "sha256:" + SHA256.hash(bytes).hexString
        guard actual == digest else { throw BlobCacheError.mismatch(digest, actual) }
        let (temporary, descriptor) = try createTemporaryFile(for: digest)
        do { try bytes.withUnsafeBytes { raw in try FileIO.writeAll(descriptor, raw) } } catch {
            close(descriptor)
            discard(temporary: temporary)
            throw BlobCacheError.unwritable(temporary, "\(error)")
        }
        close(descriptor)
        return try commit(temporary: temporary, digest: digest)
    }

    /// `sha256:…` of a regular file's content, which must have `expectedSize` bytes (streamed, 1 MiB at a time).
    public static func digest(ofFile path: String, expectedSize: Int64? = nil) throws -> String {
        // An entry planted by someone else (a FIFO, a symlink) is refused by the one foreign-file open.
        let descriptor: Int32, size: Int
        do { (descriptor, size) = try FileIO.openForeign(path) } catch { throw BlobCacheError.unwritable(path, "\(error)") }
        defer { close(descriptor) }
        if let expectedSize, Int64(size) != expectedSize { throw BlobCacheError.unwritable(path, "\(size) bytes, \(expectedSize) expected") }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try FileIO.read(descriptor, into: buffer.baseAddress!, count: buffer.count) } catch {
                throw BlobCacheError.unwritable(path, "\(error)")
            }
            if count == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
        }
        return "sha256:" + hasher.finalize().hexString
    }
}

public enum BlobCacheError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidDigest(String)
    case mismatch(String, String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case let .invalidDigest(digest): return "'\(digest.prefix(100))' is not a sha256 digest (sha256: and 64 lowercase hex digits); the image's manifest is malformed"
        case let .mismatch(expected, actual): return "content for \(expected) hashes to \(actual); nothing was cached"
        case let .unwritable(path, reason): return "the blob cache path \(path) cannot be used (\(reason)); check permissions, or set CONTAINERIZE_CACHE_DIR to another directory"
        }
    }
}
