import OCIModel
import Foundation
import Synchronization

/// Builds one spec's image once per layer compression the destinations ask for: a docker
/// archive stores the plain tar (like `docker save`), OCI outputs and registries gzip. The
/// config, and so the image ID, is the same for both; the manifest digests differ.
///
/// With a layer directory, each layer is streamed once to a temporary file there and shared by
/// every output of the run; `removeLayerFiles()` deletes those files when the outputs are done.
public final class ImageBuilder: Sendable {
    public let spec: ImageSpec
    public let executable: ELFExecutable
    /// The image's files split by layer, bottom first (see `ImageLayerKind`); empty layers are left out.
    public let layerContents: [LayerContents]
    /// Host files the layers read (the executable, resources, libraries).
    public let inputFiles: [String]
    private let layerDirectory: String?
    /// The images built so far, by layer compression; those of different compressions may be
    /// built on different threads.
    private let images = Mutex<[LayerCompression: Image]>([:])

    /// Validates the executable and the whole file tree (nothing is read or written yet): a path
    /// given twice is refused across layers as within one.
    /// `layerDirectory`: where layers are streamed to; nil keeps them in memory.
    public init(_ spec: ImageSpec, layerDirectory: String? = nil) throws {
        self.spec = spec
        let (tree, elf) = try ImageAssembler.fileTree(for: spec)
        try spec.base?.checkPlatform(Platform(architecture: elf.architecture, os: "linux", variant: elf.variant))
        // On a base, our directories keep the base's mode and owner, and nothing of ours hides its paths.
        layerContents = try spec.base.map { base in
            // Libraries the base has byte for byte are left to it: hash the base's files of those names.
            let libraries = tree.layers.filter { $0.kind == .sharedLibraries }.flatMap(\.entries).filter { $0.kind != .directory }
            let (lower, digests) = try base.fileTree(digestsOfFilesNamed: Set(libraries.compactMap { $0.path.split(separator: "/").last.map(String.init) }))
            return try tree.layers(over: lower, baseDigests: digests)
        } ?? tree.layers
        inputFiles = tree.hostFiles
        executable = elf
        self.layerDirectory = layerDirectory
    }

    /// The image with layers stored as `layerCompression` asks; built on first use. Calls for
    /// different compressions may run concurrently; one compression is built by one caller.
    public func image(layerCompression: LayerCompression) throws -> Image {
        if let image = images.withLock({ $0[layerCompression] }) { return image }
        // Every layer file made here is removed again if a later step fails (a full disk, a base
        // layer that cannot be unpacked): only a finished image's files outlive this call.
        var made: [Layer] = []
        do {
            for contents in layerContents {
                if let layerDirectory {
                    made.append(try LayerBuilder.build(entries: contents.entries, modificationTime: spec.sourceDateEpoch, compression: layerCompression,
                                                       inDirectory: layerDirectory))
                } else {
                    made.append(try LayerBuilder.build(entries: contents.entries, modificationTime: spec.sourceDateEpoch, compression: layerCompression))
                }
            }
            let layers = made
            var config = ImageAssembler.config(for: spec, elf: executable, layers: zip(layerContents, layers).map { ($0.kind, $1.diffID) })
            var allLayers = layers
            if let base = spec.base {
                config = try base.inherit(into: config, userIsExplicit: spec.userIsExplicit)
                let baseLayers = try base.layers(for: layerCompression, in: layerDirectory ?? NSTemporaryDirectory())
                made += baseLayers.filter { !base.layers.contains($0) }
                allLayers = baseLayers + layers
            }
            let image = try Image(layers: allLayers, config: config, sourceDateEpoch: spec.sourceDateEpoch,
                                  annotations: spec.base?.manifestAnnotations)
            images.withLock { $0[layerCompression] = image }
            return image
        } catch {
            for layer in made { if case .file(let path) = layer.blob.content { PendingOutputs.shared.remove(path) } }
            throw error
        }
    }

    /// Deletes the layer files of this run (outputs keep their own links or copies).
    public func removeLayerFiles() {
        let built = images.withLock { images in
            defer { images.removeAll() }
            return Array(images.values)
        }
        for image in built {
            // The base's own blob files (the blob cache) are never ours to delete.
            for layer in image.layers where !(spec.base?.layers.contains(layer) ?? false) {
                if case .file(let path) = layer.blob.content { PendingOutputs.shared.remove(path) }
            }
        }
    }
}
