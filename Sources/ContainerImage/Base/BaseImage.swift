import OCIModel
import Foundation

/// The image we build on (`--from`): its config and its layers, each a blob in a local file (the
/// blob cache, or an OCI layout's `blobs/`). Our layers go on top; the base's blobs are never
/// recompressed, so their digests stay what the base's registry has. A Docker v2 base's layer media
/// types are written as their OCI equivalents (the same bytes, as skopeo converts them), so the image
/// is one consistent OCI manifest that every OCI tool reads (umoci refuses Docker types in one).
public struct BaseImage: Sendable, Equatable {
    /// What the user named (`host/repo:tag`, `oci-layout:DIR`, …), pinned when known; shown in logs and errors.
    public var reference: String
    /// What the image's history says it is built on: `reference` for a registry base; for a local one no
    /// path (the image would differ by where the base lies, and tell the builder's directories).
    public var historyName: String
    public var config: ImageConfig
    /// Bottom first; `diffID` from the base config's `rootfs.diff_ids`.
    public var layers: [Layer]
    /// Where the base lives on a registry (`registry`, `repository`), so a push to the same registry mounts its blobs.
    public var registry: String?
    public var repository: String?
    /// A registry base as named (`host/repo:tag`; nil for a digest alone) and the digest it resolved to,
    /// once for every platform of a build; recorded in our manifests (`manifestAnnotations`). Nil for local bases.
    public var resolvedName: String?
    public var resolvedDigest: String?

    /// `org.opencontainers.image.base.name` / `.base.digest`, as ko and buildx record them, so a scanner
    /// can tell which base an image was built on and whether the tag has moved since; nil without a name.
    public var manifestAnnotations: [String: String]? {
        guard let resolvedDigest else { return nil }
        var annotations = [AnnotationKey.baseDigest: resolvedDigest]
        if let resolvedName { annotations[AnnotationKey.baseName] = resolvedName }
        return annotations
    }

    /// A base from its config bytes and its layer descriptors with their files (same order).
    public init(reference: String, configBytes: [UInt8], layers: [Descriptor], layerFiles: [String], registry: String? = nil, repository: String? = nil,
                historyName: String? = nil) throws {
        var config: ImageConfig
        do { config = try CanonicalJSON.decode(ImageConfig.self, from: configBytes) } catch {
            throw BaseImageError.unusable(reference, "its config is not an image config (\(error))")
        }
        if let layer = ImageManifest(config: Descriptor(mediaType: "", digest: "", size: 0), layers: layers).unsupportedLayer {
            throw BaseImageError.unusable(reference, "its layer \(layer.digest.prefix(19)) has the media type '\(layer.mediaType.prefix(100))'; only tar and tar+gzip layers are supported")
        }
        guard config.rootfs.diffIDs.count == layers.count, layers.count == layerFiles.count else {
            throw BaseImageError.unusable(reference, "its config lists \(config.rootfs.diffIDs.count) diff_ids for \(layers.count) layers")
        }
        // A plain tar layer's diff_id is its digest; and no more layer-making history entries than layers
        // (`docker load` refuses such a config). A base with too few gets placeholders, so our history stays on our layers.
        if let layer = zip(layers, config.rootfs.diffIDs).first(where: { MediaType.plainLayers.contains($0.0.mediaType) && $0.0.digest != $0.1 }) {
            throw BaseImageError.unusable(reference, "its uncompressed layer \(layer.0.digest) has the diff_id \(layer.1) in its config (it must be the layer's digest)")
        }
        var history = config.history ?? []
        let layerEntries = history.filter { $0.emptyLayer != true }.count
        guard layerEntries <= layers.count else {
            throw BaseImageError.unusable(reference, "its config's history has \(layerEntries) layer entries for \(layers.count) layers")
        }
        self.historyName = historyName ?? reference
        history += Array(repeating: HistoryEntry(created: nil, createdBy: nil, comment: "a layer of \(self.historyName) (no history)"), count: layers.count - layerEntries)
        config.history = history.isEmpty ? nil : history
        self.reference = reference
        self.config = config
        self.layers = zip(zip(layers, layerFiles), config.rootfs.diffIDs).map { pair, diffID in
            let (descriptor, file) = pair
            // The uncompressed size is known for plain tar layers only (gzip ones are not unpacked).
            let plain = MediaType.plainLayers.contains(descriptor.mediaType)
            return Layer(blob: Blob(mediaType: plain ? MediaType.layerTar : MediaType.layerTarGzip, file: file, digest: descriptor.digest, size: Int(descriptor.size)),
                         diffID: diffID, uncompressedSize: plain ? Int(descriptor.size) : 0)
        }
        self.registry = registry
        self.repository = repository
    }

    public var platform: Platform { Platform(architecture: config.architecture, os: config.os, variant: config.variant) }

    /// The base's layers as `compression` stores them: as they are for gzip outputs; for a docker
    /// archive (plain tars), each gzip layer is unpacked, streaming, to a file in `directory`,
    /// checked against its diff_id.
    public func layers(for compression: LayerCompression, in directory: String) throws -> [Layer] {
        guard compression == .none else { return layers }
        // The files unpacked so far are removed again when a later layer fails.
        var unpacked: [String] = []
        do {
            return try layers.map { layer in
                let result = try plainLayer(layer, in: directory)
                if result != layer, case let .file(path) = result.blob.content { unpacked.append(path) }
                return result
            }
        } catch {
            for path in unpacked { PendingOutputs.shared.remove(path) }
            throw error
        }
    }

    /// `layer` as a plain tar: itself, or unpacked to a new temporary file in `directory`.
    private func plainLayer(_ layer: Layer, in directory: String) throws -> Layer {
        guard MediaType.gzipLayers.contains(layer.blob.mediaType), case let .file(source) = layer.blob.content else { return layer }
        let (target, descriptor) = try AtomicOutput.createTemporaryFile(near: directory + "/containertool-base-layer", suffix: "layer")
        var hasher = SHA256()
        var size = 0
        do {
            defer { close(descriptor) }
            let writer = BufferedFileWriter(descriptor: descriptor, path: target)
            let decompressor = try GzipDecompressor { chunk in
                hasher.update(chunk)
                size += chunk.count
                try writer.write(chunk)
            }
            try Self.stream(file: source) { try decompressor.write($0) }
            try decompressor.finish()
            try writer.flush()
        } catch {
            PendingOutputs.shared.remove(target)
            throw BaseImageError.unusable(reference, "its layer \(layer.blob.digest) cannot be unpacked (\(error))")
        }
        let diffID = "sha256:" + hasher.finalize().hexString
        guard diffID == layer.diffID else {
            PendingOutputs.shared.remove(target)
            throw BaseImageError.unusable(reference, "its layer \(layer.blob.digest) unpacks to \(diffID), but the config's diff_id is \(layer.diffID)")
        }
        return Layer(blob: Blob(mediaType: MediaType.layerTar, file: target, digest: diffID, size: size), diffID: diffID, uncompressedSize: size)
    }

    /// Reads `file` in 1 MiB chunks.
    static func stream(file: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw BaseImageError.unusable(file, "it cannot be read") }
        defer { try? handle.close() }
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { return }
            try chunk.withUnsafeBytes(body)
        }
    }

    /// Refuses to stack an executable for `ours` on a base of another OS or architecture.
    public func checkPlatform(_ ours: Platform) throws {
        guard platform.matches(ours) else { throw BaseImageError.platformMismatch(reference, base: platform.name, ours: ours.name) }
    }

    /// Our config on top of the base's: see `docs/base-images.md`. Env and Labels merge by key
    /// (ours win), ExposedPorts and Volumes are the union, our entrypoint replaces the base's (and so
    /// its Cmd, which only made sense as arguments to it, unless we give `--cmd`), WorkingDir and
    /// Healthcheck are ours when given, StopSignal is the base's. User is the base's unless `--user`
    /// was given (`userIsExplicit`), and our nonroot user when the base names none. diff_ids and
    /// history are the base's, then ours. The OS and architecture must be the base's.
    public func inherit(into ours: ImageConfig, userIsExplicit: Bool) throws -> ImageConfig {
        try checkPlatform(Platform(architecture: ours.architecture, os: ours.os, variant: ours.variant))
        let theirs = config.config ?? ContainerConfig()
        let mine = ours.config ?? ContainerConfig()
        var merged = mine
        var environment = theirs.env ?? []
        for variable in mine.env ?? [] {
            let key = variable.split(separator: "=", maxSplits: 1).first.map(String.init) ?? variable
            if let index = environment.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) { environment[index] = variable } else { environment.append(variable) }
        }
        merged.env = environment.isEmpty ? nil : environment
        merged.labels = (theirs.labels ?? [:]).merging(mine.labels ?? [:]) { _, ours in ours }
        let ports = (theirs.exposedPorts ?? [:]).merging(mine.exposedPorts ?? [:]) { first, _ in first }
        merged.exposedPorts = ports.isEmpty ? nil : ports
        merged.volumes = theirs.volumes
        merged.stopSignal = theirs.stopSignal
        merged.workingDir = mine.workingDir ?? theirs.workingDir
        merged.healthcheck = mine.healthcheck ?? theirs.healthcheck
        if !userIsExplicit, let user = theirs.user, !user.isEmpty { merged.user = user }
        var result = ours
        result.variant = ours.variant ?? config.variant
        result.config = merged
        result.rootfs = RootFS(diffIDs: config.rootfs.diffIDs + ours.rootfs.diffIDs)
        result.history = (config.history ?? []) + (ours.history ?? [])
        return result
    }
}

public enum BaseImageError: Error, Sendable, Equatable, CustomStringConvertible {
    case unusable(String, String)
    case platformMismatch(String, base: String, ours: String)

    public var description: String {
        switch self {
        case let .unusable(reference, reason): return "cannot use the base image \(reference): \(reason)"
        case let .platformMismatch(reference, base, ours):
            return "the base image \(reference) is \(base) but the executable is \(ours); build the executable for \(base) or choose a \(ours) base"
        }
    }
}
