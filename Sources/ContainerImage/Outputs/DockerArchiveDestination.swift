import OCIModel

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

    public func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput {
        try AtomicOutput.stageFile(at: path) { writer in
            try Self.writeArchive(image, tag: tag) { try writer.write($0) }
        }
    }

    /// Writes the archive as one tar stream into `sink`: a file here, `docker load`'s standard
    /// input for a local engine (`EngineDestination`), so both get the very same bytes.
    public static func writeArchive(_ image: Image, tag: ImageReference, to sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        var entries = try OCILayoutFiles.entries(for: image, tag: tag)
        let manifest = [DockerArchiveManifestEntry(
            config: "blobs/sha256/" + image.configBlob.hex,
            repoTags: [tag.familiarDescription],
            layers: image.layers.map { "blobs/sha256/" + $0.blob.hex }
        )]
        entries.append(.file("manifest.json", try CanonicalJSON.encode(manifest)))
        if let topLayer = image.layers.last {
            entries.append(.file("repositories", try CanonicalJSON.encode([tag.familiarName: [tag.tagOrLatest: topLayer.blob.hex]])))
        }
        try TarWriter(modificationTime: image.sourceDateEpoch, sink: sink).writeArchive(entries)
    }
}
