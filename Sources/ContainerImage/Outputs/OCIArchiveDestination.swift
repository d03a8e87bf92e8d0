import OCIModel

/// An OCI archive: a tar of the OCI layout (`skopeo … oci-archive:FILE`).
public struct OCIArchiveDestination: ImageDestination {
    public let path: String
    public init(path: String) { self.path = path }
    public var kind: String { "oci-archive" }
    public var layerCompression: LayerCompression { .gzip }
    public var destination: String { path }

    public func checkWritable() throws { try AtomicOutput.checkWritable(path, asDirectory: false) }

    public func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput { try stageContent(image, tag: tag) }
    public func stage(_ index: MultiPlatformImage, tag: ImageReference) async throws -> StagedOutput { try stageContent(index, tag: tag) }

    func stageContent(_ image: some OCILayoutContent, tag: ImageReference) throws -> StagedOutput {
        let entries = try OCILayoutFiles.entries(for: image, tag: tag)
        return try AtomicOutput.stageFile(at: path) { writer in
            try TarWriter(modificationTime: image.sourceDateEpoch) { try writer.write($0) }.writeArchive(entries)
        }
    }
}
