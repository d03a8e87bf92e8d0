import OCIModel
import Foundation

/// A content-addressed blob: small ones (config, manifest) in memory, layers in a file written
/// once per run and shared by every output, so memory does not grow with the image.
public struct Blob: Sendable, Equatable {
    /// Where the bytes are.
    public enum Content: Sendable, Equatable {
        case bytes([UInt8])
        /// A file that holds exactly the blob (`size` bytes with `digest`).
        case file(path: String)
    }

    public var mediaType: String
    public var digest: String
    public var size: Int
    public var content: Content

    public init(mediaType: String, bytes: [UInt8]) {
        self.init(mediaType: mediaType, bytes: bytes, digest: sha256Digest(bytes))
    }

    init(mediaType: String, bytes: [UInt8], digest: String) {
        self.mediaType = mediaType
        self.digest = digest
        size = bytes.count
        content = .bytes(bytes)
    }

    /// A blob stored in `file`, whose digest and size the caller computed while writing it.
    public init(mediaType: String, file: String, digest: String, size: Int) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        content = .file(path: file)
    }

    /// The whole blob in memory (reads the file for a file-backed blob; meant for small blobs and tests).
    public var bytes: [UInt8] {
        get throws {
            switch content {
            case .bytes(let bytes): return bytes
            case .file(let path): return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
    }

    /// The blob as the content of a tar entry (streamed from its file when it has one).
    var tarContent: TarEntry.FileContent {
        switch content {
        case .bytes(let bytes): return .bytes(bytes)
        case .file(let path): return .hostFile(path: path, size: size)
        }
    }

    public var descriptor: Descriptor { Descriptor(mediaType: mediaType, digest: digest, size: Int64(size)) }
    /// The hex part of the digest, the file name under `blobs/sha256/`.
    public var hex: String { String(digest.dropFirst("sha256:".count)) }
}

/// `sha256:<hex>` of some bytes.
public func sha256Digest<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    "sha256:" + SHA256.hash(bytes).hexString
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

    /// Builds the config and manifest blobs (canonical JSON) for `layers`; `annotations` go on the manifest.
    public init(layers: [Layer], config: ImageConfig, sourceDateEpoch: Int = 0, annotations: [String: String]? = nil) throws {
        self.layers = layers
        self.sourceDateEpoch = sourceDateEpoch
        self.config = config
        configBlob = Blob(mediaType: MediaType.imageConfig, bytes: try CanonicalJSON.encode(config))
        let manifest = ImageManifest(config: configBlob.descriptor, layers: layers.map(\.blob.descriptor), annotations: annotations)
        manifestBlob = Blob(mediaType: MediaType.imageManifest, bytes: try CanonicalJSON.encode(manifest))
    }

    /// The manifest and config bytes (always in memory).
    public var manifestBytes: [UInt8] { if case .bytes(let bytes) = manifestBlob.content { return bytes } else { return [] } }
    public var configBytes: [UInt8] { if case .bytes(let bytes) = configBlob.content { return bytes } else { return [] } }

    /// The image digest: the digest of its manifest.
    public var digest: String { manifestBlob.digest }
    public var platform: Platform { Platform(architecture: config.architecture, os: config.os, variant: config.variant) }
    /// What a registry stores: manifest + config + compressed layers.
    public var compressedSize: Int { manifestBlob.size + configBlob.size + layers.reduce(0) { $0 + $1.blob.size } }
    /// The sum of the uncompressed layer tars.
    public var uncompressedSize: Int { layers.reduce(0) { $0 + $1.uncompressedSize } }
    /// Every blob, manifest first.
    public var blobs: [Blob] { [manifestBlob, configBlob] + layers.map(\.blob) }
    /// What each layer is, bottom first (see `ImageConfig.layerDescriptions`).
    public var layerDescriptions: [String] { config.layerDescriptions(layerCount: layers.count) }

    /// The manifest descriptor as it appears in an `index.json`, tagged with `tag`'s tag part.
    public func indexDescriptor(tag: ImageReference?) -> Descriptor {
        var descriptor = manifestBlob.descriptor
        descriptor.platform = platform
        if let tag { descriptor.annotations = [AnnotationKey.refName: tag.tagOrLatest, AnnotationKey.containerdImageName: tag.description] }
        return descriptor
    }
}

extension ImageConfig {
    /// What each of `layerCount` layers is, bottom first: the `created_by` of its `history` entry
    /// (entries marked `empty_layer` have no layer), e.g. `containerize: executable`; its comment,
    /// or "no history", when the history does not say (never "layer N": callers number layers).
    public func layerDescriptions(layerCount: Int) -> [String] {
        let entries = (history ?? []).filter { $0.emptyLayer != true }
        return (0..<layerCount).map { index in
            let entry = entries.count == layerCount ? entries[index] : nil
            return entry?.createdBy ?? entry?.comment ?? "no history"
        }
    }
}
