/// Builds one spec's image once per layer compression the destinations ask for: a docker
/// archive stores the plain tar (like `docker save`), OCI outputs and registries gzip. The
/// config, and so the image ID, is the same for both; the manifest digests differ.
public final class ImageBuilder {
    public let spec: ImageSpec
    public let executable: ELFExecutable
    private let entries: [TarEntry]
    private var images: [LayerCompression: Image] = [:]

    /// Validates the executable and collects every file of the layer (nothing is read yet).
    public init(_ spec: ImageSpec) throws {
        self.spec = spec
        let (tree, elf) = try ImageAssembler.fileTree(for: spec)
        entries = tree.entries
        executable = elf
    }

    public func image(layerCompression: LayerCompression) throws -> Image {
        if let image = images[layerCompression] { return image }
        let layer = try LayerBuilder.build(entries: entries, modificationTime: spec.sourceDateEpoch, compression: layerCompression)
        let config = ImageAssembler.config(for: spec, elf: executable, diffID: layer.diffID)
        let image = try Image(layers: [layer], config: config, sourceDateEpoch: spec.sourceDateEpoch)
        images[layerCompression] = image
        return image
    }
}
