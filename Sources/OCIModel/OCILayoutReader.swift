import Foundation

/// Reads an OCI image layout, a directory or the same files inside an OCI archive, with the one
/// policy of every reader in this package (`inspect`, a local `--from` base, `push`; the writer's
/// merge reads `index.json` through `indexBytes` too):
/// - `index.json` is a regular file of at most 64 MiB holding an image index; the `oci-layout` file
///   is not required (skopeo, umoci and this tool write it, but nothing in it changes how to read);
/// - a blob is named only by `sha256:` and 64 lowercase hex digits, so a digest from a hostile
///   manifest never becomes a path like `blobs/sha256/../../x`, and lives at `blobs/sha256/<hex>`;
/// - every file is opened by the source's one check (`FileIO.openForeign` for a directory: regular
///   files only, no symlink, no blocking FIFO);
/// - a document read into memory (manifest, index, config) has the size its descriptor says, at
///   most `maximumManifestSize` or `maximumConfigSize`, and hashes to its digest;
/// - entries of `index.json` that are referrers (`Referrers.isLayoutReferrer`) are not images.
/// Which image a caller takes (a platform, the first, exactly one) is the caller's decision.
public struct OCILayoutReader {
    /// The largest `index.json` read: a layout with thousands of tags stays far below it, and a
    /// hostile one cannot make the tool read gigabytes into memory.
    public static let maximumIndexSize = 64 << 20
    /// The largest manifest or nested index: what registries accept (distribution's 4 MiB).
    public static let maximumManifestSize = 4 << 20
    /// The largest config.
    public static let maximumConfigSize = 64 << 20

    public let source: any ImageFileSource
    /// `index.json`, decoded.
    public let index: ImageIndex

    public init(_ source: any ImageFileSource) throws {
        self.source = source
        guard let bytes = try Self.indexBytes(of: source) else { throw OCILayoutError.noIndex }
        do { index = try CanonicalJSON.decode(ImageIndex.self, from: bytes) } catch { throw OCILayoutError.notAnIndex }
    }

    /// The layout directory at `root`.
    public init(directory root: String) throws { try self.init(DirectoryImageSource(root: root)) }

    /// The bytes of `index.json` (nil when there is none), within `maximumIndexSize`.
    public static func indexBytes(of source: some ImageFileSource) throws -> [UInt8]? {
        try source.small("index.json", limit: maximumIndexSize)
    }

    /// The entries that are images (or image indexes), not referrers.
    public var images: [Descriptor] { index.withoutReferrers }
    /// The entries that are referrers (an SBOM, a provenance attached beside the images).
    public var referrers: [Descriptor] { index.manifests.filter { Referrers.isLayoutReferrer($0) } }
    /// Every tag (`org.opencontainers.image.ref.name`) `index.json` lists, in order.
    public var tags: [String] { index.manifests.compactMap { $0.annotations?[AnnotationKey.refName] } }

    /// `blobs/sha256/<hex>` for `digest`; throws for anything but a sha256 digest.
    public static func blobName(_ digest: String) throws -> String {
        guard ImageReference.isValidDigest(digest) else { throw OCILayoutError.invalidDigest(digest) }
        return "blobs/sha256/" + digest.dropFirst("sha256:".count)
    }

    /// The size of `blob` on disk, checked against its descriptor (present, a regular file, that size).
    @discardableResult
    public func checkBlob(_ blob: Descriptor) throws -> Int {
        guard let size = try source.size(of: try Self.blobName(blob.digest)) else { throw OCILayoutError.missingBlob(blob.digest) }
        guard Int64(size) == blob.size else { throw OCILayoutError.mismatch(blob.digest, "it has \(size) bytes, its descriptor says \(blob.size)") }
        return size
    }

    /// Streams `blob`'s bytes (unverified: the caller hashes what it streams).
    public func stream(_ blob: Descriptor, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try checkBlob(blob)
        try source.stream(try Self.blobName(blob.digest), body)
    }

    /// A document blob in memory, checked against its descriptor: at most `limit` bytes, the size
    /// and the digest it says.
    public func document(_ blob: Descriptor, limit: Int) throws -> [UInt8] {
        let name = try Self.blobName(blob.digest)
        guard blob.size >= 0, blob.size <= limit else { throw OCILayoutError.tooLarge(blob.digest, size: Int(clamping: blob.size), limit: limit) }
        guard let bytes = try source.small(name, limit: limit) else { throw OCILayoutError.missingBlob(blob.digest) }
        guard Int64(bytes.count) == blob.size else { throw OCILayoutError.mismatch(blob.digest, "it has \(bytes.count) bytes, its descriptor says \(blob.size)") }
        let actual = "sha256:" + SHA256.hash(bytes).hexString
        guard actual == blob.digest else { throw OCILayoutError.mismatch(blob.digest, "it hashes to \(actual)") }
        return bytes
    }

    /// An image manifest blob: its exact bytes and what they say.
    public func manifest(_ blob: Descriptor) throws -> (bytes: [UInt8], manifest: ImageManifest) { try decoded(blob, as: "an image manifest") }

    /// An image index blob (one nested under `index.json`): its exact bytes and what they say.
    public func nestedIndex(_ blob: Descriptor) throws -> (bytes: [UInt8], index: ImageIndex) { try decoded(blob, as: "an image index") }

    private func decoded<Value: Decodable>(_ blob: Descriptor, as what: String) throws -> ([UInt8], Value) {
        let bytes = try document(blob, limit: Self.maximumManifestSize)
        do { return (bytes, try CanonicalJSON.decode(Value.self, from: bytes)) } catch { throw OCILayoutError.notA(what, blob.digest) }
    }

    /// A config blob's bytes, checked against its descriptor.
    public func config(_ blob: Descriptor) throws -> [UInt8] { try document(blob, limit: Self.maximumConfigSize) }
}

/// Why an OCI layout cannot be read; each call site puts the layout's name in front.
public enum OCILayoutError: Error, Sendable, Equatable, CustomStringConvertible {
    case noIndex
    case notAnIndex
    case tooLarge(String, size: Int, limit: Int)
    case invalidDigest(String)
    case missingBlob(String)
    case mismatch(String, String)
    case notA(String, String)
    case unreadable(String, ForeignFileProblem)

    public var description: String {
        switch self {
        case .noIndex: return "it has no index.json (not an OCI layout)"
        case .notAnIndex: return "index.json is not an OCI image index"
        case let .tooLarge(name, size, limit):
            return "\(name) has \(size) bytes, more than the \(limit >> 20) MiB it may have"
        case let .invalidDigest(digest): return "a blob is named by '\(digest.prefix(80))', not a sha256 digest"
        case let .missingBlob(digest): return "the blob \(digest) is missing"
        case let .mismatch(digest, detail): return "the blob \(digest) does not match its digest or size (\(detail))"
        case let .notA(what, digest): return "the blob \(digest) is not \(what)"
        case let .unreadable(name, problem): return "\(name) cannot be read (\(problem))"
        }
    }
}
