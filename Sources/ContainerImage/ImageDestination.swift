/// Where an image goes. Every destination writes the same `Image`; local ones write to a
/// temporary name and rename when complete (see `AtomicOutput`).
public protocol ImageDestination: Sendable {
    /// `oci-layout`, `oci-archive`, `docker-archive`, `registry`.
    var kind: String { get }
    /// The absolute path or registry reference, as reported to the user.
    var destination: String { get }
    /// How this destination stores layers (plain tar for Docker archives, gzip otherwise).
    var layerCompression: LayerCompression { get }
    /// Fails early (before the image is built) if the destination cannot be written.
    func checkWritable() throws
    /// Writes the image; returns the pinned reference for registry pushes, nil otherwise.
    func write(_ image: Image, tag: ImageReference) async throws -> String?
}

/// The files of an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
/// as tar entries, shared by the layout directory and both archive formats.
public enum OCILayoutFiles {
    public static let layoutMarker = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    public static func entries(for image: Image, tag: ImageReference) throws -> [TarEntry] {
        let index = ImageIndex(manifests: [image.indexDescriptor(tag: tag)])
        var entries: [TarEntry] = [
            .file("oci-layout", layoutMarker),
            .file("index.json", try CanonicalJSON.encode(index)),
            .directory("blobs"),
            .directory("blobs/sha256"),
        ]
        for blob in image.blobs { entries.append(.file("blobs/sha256/" + blob.hex, blob.bytes)) }
        return entries
    }
}

/// An OCI image layout directory (`skopeo … oci:DIR:TAG`, `umoci`, `oci-image-tool`).
public struct OCILayoutDestination: ImageDestination {
    public let path: String
    public init(path: String) { self.path = path }
    public var kind: String { "oci-layout" }
    public var layerCompression: LayerCompression { .gzip }
    public var destination: String { path }

    public func checkWritable() throws { try AtomicOutput.checkWritable(path, asDirectory: true) }

    public func write(_ image: Image, tag: ImageReference) async throws -> String? {
        let entries = try OCILayoutFiles.entries(for: image, tag: tag)
        try AtomicOutput.writeDirectory(at: path) { directory in
            for entry in entries {
                let target = directory + "/" + entry.path
                switch entry.kind {
                case .directory:
                    try AtomicOutput.createDirectory(target)
                case .file(.bytes(let bytes)):
                    try AtomicOutput.writePlainFile(target, bytes)
                default:
                    break
                }
            }
        }
        return nil
    }
}

/// An OCI archive: a tar of the OCI layout (`skopeo … oci-archive:FILE`).
public struct OCIArchiveDestination: ImageDestination {
    public let path: String
    public init(path: String) { self.path = path }
    public var kind: String { "oci-archive" }
    public var layerCompression: LayerCompression { .gzip }
    public var destination: String { path }

    public func checkWritable() throws { try AtomicOutput.checkWritable(path, asDirectory: false) }

    public func write(_ image: Image, tag: ImageReference) async throws -> String? {
        let entries = try OCILayoutFiles.entries(for: image, tag: tag)
        try AtomicOutput.writeFile(at: path) { writer in
            try TarWriter(modificationTime: image.sourceDateEpoch) { try writer.write($0) }.writeArchive(entries)
        }
        return nil
    }
}

/// A Docker archive that `docker load` accepts: the OCI layout plus Docker's `manifest.json`
/// and `repositories`, the shape `docker save` writes since Docker 25 (uncompressed layers).
public struct DockerArchiveDestination: ImageDestination {
    public let path: String
    public init(path: String) { self.path = path }
    public var kind: String { "docker-archive" }
    /// `docker load` unpacks the layers anyway, so they are stored as plain tars, as `docker save` does.
    public var layerCompression: LayerCompression { .none }
    public var destination: String { path }

    public func checkWritable() throws { try AtomicOutput.checkWritable(path, asDirectory: false) }

    public func write(_ image: Image, tag: ImageReference) async throws -> String? {
        var entries = try OCILayoutFiles.entries(for: image, tag: tag)
        let manifest = [DockerArchiveManifestEntry(
            config: "blobs/sha256/" + image.configBlob.hex,
            repoTags: [tag.description],
            layers: image.layers.map { "blobs/sha256/" + $0.blob.hex }
        )]
        entries.append(.file("manifest.json", try CanonicalJSON.encode(manifest)))
        if let topLayer = image.layers.last {
            entries.append(.file("repositories", try CanonicalJSON.encode([tag.repository: [tag.tag: topLayer.blob.hex]])))
        }
        try AtomicOutput.writeFile(at: path) { writer in
            try TarWriter(modificationTime: image.sourceDateEpoch) { try writer.write($0) }.writeArchive(entries)
        }
        return nil
    }
}
