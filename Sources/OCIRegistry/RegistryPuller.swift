import OCIModel
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
    /// The base as named, as a tag (`HOST/REPO:TAG`, `latest` when no tag or digest was given; nil when
    /// only a digest was), and the digest it resolved to (the index's for a multi-platform base): the
    /// same for every platform of one pull.
    public var resolvedName: String?
    public var resolvedDigest: String
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
        try await pull(text, platforms: [platform], cache: cache)[0]
    }

    /// The image of each of `platforms`, in that order, from one resolution of `text`: a tag is fetched
    /// once, and each platform's manifest then by the digest its index names, so a tag moved during the
    /// build cannot give two platforms two different bases.
    public func pull(_ text: String, platforms: [Platform], cache: BlobCache) async throws -> [PulledImage] {
        let reference = try RegistryReference(parsing: text)
        let client = try RegistryClient(reference: reference, connection: connection, credential: try credentials.credential(for: reference.registry),
                                        retryPolicy: retryPolicy, pullOnly: true, log: log)
        try await client.ping()
        let top = try await client.fetchManifest(reference: reference.manifestReference)
        // The name as a tag (what a scanner re-resolves to see whether the base has moved); none for a digest alone.
        let resolvedName = reference.digest != nil && reference.tag == nil ? nil : "\(reference.registry)/\(reference.repository):\(reference.tagOrLatest)"
        var pulled: [PulledImage] = []
        for platform in platforms {
            let fetched = try await manifest(for: platform, in: top, text: text, client: client)
            var image = try await pullImage(fetched, text: text, reference: reference, client: client, cache: cache)
            image.resolvedName = resolvedName
            image.resolvedDigest = top.digest
            pulled.append(image)
        }
        return pulled
    }

    /// Nested indexes followed at most this deep (containerd follows them; real ones nest once or twice).
    static let maxIndexDepth = 4
    static let maxNestedFetches = 16

    /// The image manifest of `platform` reached from `fetched`: itself, or the matching entry of an index,
    /// looking into nested indexes (entries that are indexes, with no platform or a matching one; at most
    /// `maxNestedFetches` of them in all, so a hostile tree of indexes costs a few requests) as containerd
    /// does when no direct entry matches.
    private func manifest(for platform: Platform, in fetched: FetchedManifest, text: String, client: RegistryClient) async throws -> FetchedManifest {
        guard ImageIndex.isIndex(fetched.mediaType) else { return fetched }
        let index = try decode(ImageIndex.self, fetched.data, reference: text, what: "index")
        var budget = Self.maxNestedFetches
        var seen: [String] = []
        if let found = try await nestedManifest(for: platform, in: index, text: text, client: client, depth: 0, budget: &budget, seen: &seen) { return found }
        guard !seen.isEmpty else {
            let entry = try Self.select(platform, from: index, reference: text)  // throws: no image for the platform, listing those there are
            return try await client.fetchManifest(reference: entry.digest)
        }
        throw RegistryError.unusableImage(reference: text, reason: "it has no image for \(platform.name) (available: \(Array(Set(seen + index.images.compactMap(\.platform).filter { $0.os != "unknown" }.map(\.name))).sorted().joined(separator: ", ")), some in nested indexes); build for one of those or choose another base")
    }

    /// `platform`'s manifest in `index` or the indexes nested in it, nil when there is none; too deep a nesting throws.
    private func nestedManifest(for platform: Platform, in index: ImageIndex, text: String, client: RegistryClient, depth: Int,
                                budget: inout Int, seen: inout [String]) async throws -> FetchedManifest? {
        if depth > 0 { seen += index.images.compactMap(\.platform).filter { $0.os != "unknown" }.map(\.name) }
        if index.image(for: platform) != nil {
            return try await client.fetchManifest(reference: try Self.select(platform, from: index, reference: text).digest)
        }
        let nested = index.manifests.filter { ImageIndex.isIndex($0.mediaType) && ($0.platform.map { $0.matches(platform) } ?? true) }
        guard !nested.isEmpty else { return nil }
        guard depth < Self.maxIndexDepth else {
            throw RegistryError.unusableImage(reference: text, reason: "its indexes nest more than \(Self.maxIndexDepth) deep; pin the \(platform.name) image manifest by digest instead")
        }
        for entry in nested where ImageReference.isValidDigest(entry.digest) {
            guard budget > 0 else {
                throw RegistryError.unusableImage(reference: text, reason: "its nested indexes need more than \(Self.maxNestedFetches) requests to search; pin the \(platform.name) image manifest by digest instead")
            }
            budget -= 1
            let child = try await client.fetchManifest(reference: entry.digest)
            guard ImageIndex.isIndex(child.mediaType) else { continue }
            if let found = try await nestedManifest(for: platform, in: try decode(ImageIndex.self, child.data, reference: text, what: "nested index"),
                                                    text: text, client: client, depth: depth + 1, budget: &budget, seen: &seen) {
                return found
            }
        }
        return nil
    }

    /// One image manifest's config and layers, from the cache or downloaded into it.
    private func pullImage(_ fetched: FetchedManifest, text: String, reference: RegistryReference, client: RegistryClient,
                           cache: BlobCache) async throws -> PulledImage {
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
                           configData: configData, layerFiles: Array(files.dropFirst()), downloadedBlobs: downloaded,
                           resolvedName: nil, resolvedDigest: fetched.digest)
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
