/// An OCI image layout directory (`skopeo … oci:DIR:TAG`, `umoci`, `oci-image-tool`).
public struct OCILayoutDestination: ImageDestination {
    public let path: String
    public init(path: String) { self.path = path }
    public var kind: String { "oci-layout" }
    public var layerCompression: LayerCompression { .gzip }
    public var destination: String { path }

    public func checkWritable() throws { try AtomicOutput.checkWritable(path, asDirectory: true) }

    public func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput {
        let entries = try OCILayoutFiles.entries(for: image, tag: tag)
        return try AtomicOutput.stageDirectory(at: path) { directory in
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
    }
}
