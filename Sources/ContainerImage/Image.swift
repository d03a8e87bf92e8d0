/// A content-addressed blob held in memory (the images built here are a few megabytes).
public struct Blob: Sendable, Equatable {
    public var mediaType: String
    public var bytes: [UInt8]
    public var digest: String

    public init(mediaType: String, bytes: [UInt8]) {
        self.mediaType = mediaType
        self.bytes = bytes
        self.digest = sha256Digest(bytes)
    }

    init(mediaType: String, bytes: [UInt8], digest: String) {
        self.mediaType = mediaType
        self.bytes = bytes
        self.digest = digest
    }

    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: bytes.count) }
    /// The hex part of the digest, the file name under `blobs/sha256/`.
    public var hex: String { String(digest.dropFirst("sha256:".count)) }
}

/// A compressed layer and the digest of its uncompressed tar (the config's `diff_id`).
public struct Layer: Sendable, Equatable {
    public var blob: Blob
    public var diffID: String
    public var uncompressedSize: Int
}

/// A complete single-platform image: layers, config and manifest, ready for any destination.
public struct Image: Sendable, Equatable {
    public var layers: [Layer]
    public var config: ImageConfig
    public var configBlob: Blob
    public var manifestBlob: Blob
    /// File times for archives that wrap the image (`SOURCE_DATE_EPOCH`).
    public var sourceDateEpoch: Int

    /// Builds the config and manifest blobs (canonical JSON) for `layers`.
    public init(layers: [Layer], config: ImageConfig, sourceDateEpoch: Int = 0) throws {
        self.layers = layers
        self.sourceDateEpoch = sourceDateEpoch
        self.config = config
        configBlob = Blob(mediaType: MediaType.imageConfig, bytes: try CanonicalJSON.encode(config))
        let manifest = ImageManifest(config: configBlob.descriptor, layers: layers.map(\.blob.descriptor))
        manifestBlob = Blob(mediaType: MediaType.imageManifest, bytes: try CanonicalJSON.encode(manifest))
    }

    /// The image digest: the digest of its manifest.
    public var digest: String { manifestBlob.digest }
    public var platform: Platform { Platform(architecture: config.architecture, os: config.os, variant: config.variant) }
    /// What a registry stores: manifest + config + compressed layers.
    public var compressedSize: Int { manifestBlob.bytes.count + configBlob.bytes.count + layers.reduce(0) { $0 + $1.blob.bytes.count } }
    /// The sum of the uncompressed layer tars.
    public var uncompressedSize: Int { layers.reduce(0) { $0 + $1.uncompressedSize } }
    /// Every blob, manifest first.
    public var blobs: [Blob] { [manifestBlob, configBlob] + layers.map(\.blob) }

    /// The manifest descriptor as it appears in an `index.json`, tagged with `tag`'s tag part.
    public func indexDescriptor(tag: ImageReference?) -> Descriptor {
        var descriptor = manifestBlob.descriptor
        descriptor.platform = platform
        if let tag { descriptor.annotations = [AnnotationKey.refName: tag.tag, AnnotationKey.containerdImageName: tag.fullyQualified] }
        return descriptor
    }
}

/// `NAME[:TAG]` as given to `--tag`; the tag defaults to `latest`.
public struct ImageReference: Sendable, Equatable, CustomStringConvertible {
    public var repository: String
    public var tag: String

    public init(parsing text: String) throws {
        let lastSlash = text.lastIndex(of: "/")
        let searchStart = lastSlash.map { text.index(after: $0) } ?? text.startIndex
        if let colon = text[searchStart...].lastIndex(of: ":") {
            repository = String(text[..<colon])
            tag = String(text[text.index(after: colon)...])
        } else {
            repository = text
            tag = "latest"
        }
        let repositoryCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789._-/:")
        let tagCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !repository.isEmpty, repository.allSatisfy({ repositoryCharacters.contains($0) }),
              !repository.hasPrefix("/"), !repository.hasSuffix("/"),
              !tag.isEmpty, tag.count <= 128, tag.allSatisfy({ tagCharacters.contains($0) }), !tag.hasPrefix("."), !tag.hasPrefix("-") else {
            throw ImageBuildError.invalidTag(text)
        }
    }

    public var description: String { "\(repository):\(tag)" }

    /// The name with Docker's implied registry and namespace (`hello:1` → `docker.io/library/hello:1`),
    /// as `docker save` and containerd write it.
    public var fullyQualified: String {
        let components = repository.split(separator: "/")
        if components.count == 1 { return "docker.io/library/\(repository):\(tag)" }
        let first = components[0]
        if first.contains(".") || first.contains(":") || first == "localhost" { return description }
        return "docker.io/\(repository):\(tag)"
    }
}
