import Foundation

/// A single-platform image fetched from a registry: its manifest and config, and every blob in the local `BlobCache`.
public struct PulledImage: Sendable {
    /// `HOST[:PORT]/REPO@sha256:…` of the platform's manifest.
    public var pinnedReference: String
    public var reference: RegistryReference
    public var manifest: ImageManifest
    /// The config blob's bytes (verified against `manifest.config`).
    public var configData: Data
    /// The cached file of each of `manifest.layers`, in order.
    public var layerFiles: [String]
    /// Blobs fetched over the network this time (0 when the cache held them all).
    public var downloadedBlobs: Int
}

/// Fetches a base image from a registry through the same `RegistryClient` as pushes (auth, TLS,
/// `--registry-ca`, timeouts, redirects and retries): the manifest every time (a tag may move),
/// blobs only when the cache lacks them, each streamed to disk and verified by digest and size
/// before it enters the cache. An index resolves to the manifest of `platform`.
public struct RegistryPuller: Sendable {
    public var connection: ConnectionOptions
    public var credentials: CredentialStore
    public var retryPolicy: RetryPolicy
    public var log: @Sendable (String) -> Void

    /// Config blobs larger than this are refused (real ones are a few KiB).
    static let maxConfigBytes: Int64 = 4 << 20

    public init(connection: ConnectionOptions = ConnectionOptions(), credentials: CredentialStore = CredentialStore(),
                retryPolicy: RetryPolicy = .standard, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.connection = connection
        self.credentials = credentials
        self.retryPolicy = retryPolicy
        self.log = log
    }

    public func pull(_ text: String, platform: Platform, cache: BlobCache) async throws -> PulledImage {
        let reference = try RegistryReference(parsing: text)
        let client = try RegistryClient(reference: reference, connection: connection, credential: try credentials.credential(for: reference.registry),
                                        retryPolicy: retryPolicy, pullOnly: true, log: log)
        try await client.ping()
        var fetched = try await client.fetchManifest(reference: reference.manifestReference)
        if ImageIndex.isIndex(fetched.mediaType) {
            let index = try decode(ImageIndex.self, fetched.data, reference: text, what: "index")
            let entry = try Self.select(platform, from: index, reference: text)
            fetched = try await client.fetchManifest(reference: entry.digest)
        }
        guard ImageManifest.isManifest(fetched.mediaType) else {
            throw RegistryError.unusableImage(reference: text, reason: "its manifest has the media type '\(fetched.mediaType.prefix(100))'; an OCI or Docker v2 image manifest or index is needed (Docker schema 1 is not supported)")
        }
        let manifest = try decode(ImageManifest.self, fetched.data, reference: text, what: "manifest")
        if let layer = manifest.unsupportedLayer {
            throw RegistryError.unusableImage(reference: text, reason: "its layer \(layer.digest.prefix(19)) has the media type '\(layer.mediaType.prefix(100))'; only tar and tar+gzip layers are supported (re-publish the base with gzip layers)")
        }
        guard manifest.config.size <= Self.maxConfigBytes else {
            throw RegistryError.unusableImage(reference: text, reason: "its config blob claims \(manifest.config.size) bytes (more than \(Self.maxConfigBytes))")
        }

        var downloaded = 0
        var files: [String] = []
        for blob in [manifest.config] + manifest.layers {
            if let file = try cache.verifiedFile(for: blob) {
                files.append(file)
                continue
            }
            let (temporary, descriptor) = try cache.createTemporaryFile(for: blob.digest)
            close(descriptor)
            log("downloading blob \(blob.digest.shortDigest) (\(blob.size) bytes) from \(reference.registry)/\(reference.repository)")
            do {
                try await client.downloadBlob(blob, to: temporary)
            } catch {
                cache.discard(temporary: temporary)
                throw error
            }
            files.append(try cache.commit(temporary: temporary, digest: blob.digest))
            downloaded += 1
        }
        let configData = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        log("base \(reference.pinned(to: fetched.digest)): \(manifest.layers.count) layer(s), \(downloaded) blob(s) downloaded, \(manifest.layers.count + 1 - downloaded) from the cache")
        return PulledImage(pinnedReference: reference.pinned(to: fetched.digest), reference: reference, manifest: manifest,
                           configData: configData, layerFiles: Array(files.dropFirst()), downloadedBlobs: downloaded)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, reference: String, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw RegistryError.unusableImage(reference: reference, reason: "its \(what) is not valid JSON of that kind")
        }
    }

    /// The index entry for `platform`, or a one-line error listing the platforms the index has.
    static func select(_ platform: Platform, from index: ImageIndex, reference: String) throws -> Descriptor {
        if let entry = index.image(for: platform) {
            // Only a digest is verified against the bytes fetched: a tag or a path here would not be.
            guard ImageReference.isValidDigest(entry.digest) else {
                throw RegistryError.unusableImage(reference: reference, reason: "its index names the \(platform.name) manifest '\(entry.digest.prefix(80))', which is not a sha256 digest")
            }
            return entry
        }
        throw RegistryError.unusableImage(reference: reference, reason: "it has no image for \(platform.name) (available: \(index.platformList)); build for one of those or choose another base")
    }
}
