import OCIModel
import Foundation

/// What `containertool inspect` reports about an image stored locally.
public struct InspectedImage: Sendable, Equatable {
    public var kind: String
    public var path: String
    /// The manifest digest; nil for a legacy Docker archive, which has no manifest.
    public var digest: String?
    public var configDigest: String
    public var tags: [String]
    public var config: ImageConfig
    public var layers: [Descriptor]
    public var compressedSize: Int
    public var uncompressedSize: Int
    /// When the entry is an image index (a multi-platform build): its digest and platforms, in
    /// order; the image described is the first platform's.
    public var index: String? = nil
    public var platforms: [String] = []
}

/// Reads any of the three local outputs back: an OCI layout directory, an OCI archive or a
/// Docker archive (ours or one written by `docker save`). Blobs are streamed (hashed and, for
/// gzip layers, decompressed to count their size) in constant memory, whatever their size.
public enum ImageReader {
    public static func read(path: String, kind requestedKind: String? = nil) throws -> InspectedImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ImageReadError.notFound(path) }
        if isDirectory.boolValue {
            return try read(kind: requestedKind ?? "oci-layout", path: path, source: DirectoryImageSource(root: path))
        }
        // A compressed archive has no offsets to read from: it is unpacked, streaming, to an unlinked
        // temporary file, so memory stays constant whatever the archive's size.
        let source = try isGzipFile(path) ? TarFileImageSource(gunzipping: path) : TarFileImageSource(path: path)
        let kind = try requestedKind ?? archiveKind(source)
        return try read(kind: kind, path: path, source: source)
    }

    /// What an archive file is, by its contents (`docker-archive` or `oci-archive`), from its tar
    /// headers alone: no blob is read. A gzip-compressed one is named by what it holds.
    public static func archiveKind(path: String) throws -> String {
        try archiveKind(isGzipFile(path) ? TarFileImageSource(gunzipping: path) : TarFileImageSource(path: path))
    }

    /// A Docker archive has a top-level manifest.json; an OCI archive has none.
    private static func archiveKind(_ source: some ImageFileSource) throws -> String {
        try source.size(of: "manifest.json") != nil ? "docker-archive" : "oci-archive"
    }

    private static func isGzipFile(_ path: String) throws -> Bool {
        do { return try Gzip.isGzipFile(path) } catch {
            throw ImageReadError(opening: path, error)
        }
    }

    /// One streaming pass over a blob: its digest, size, and uncompressed size.
    private struct BlobFacts {
        var digest: String
        var size: Int
        var uncompressedSize: Int
        var isGzip: Bool
    }

    private static func facts(_ name: String, source: some ImageFileSource) throws -> BlobFacts {
        var hasher = SHA256()
        var size = 0
        var uncompressed = 0
        var decompressor: GzipDecompressor?
        var first = true
        try source.stream(name) { chunk in
            if first {
                first = false
                if Gzip.isGzip(chunk) { decompressor = try GzipDecompressor { uncompressed += $0.count } }
            }
            hasher.update(chunk)
            size += chunk.count
            try decompressor?.write(chunk)
        }
        try decompressor?.finish()
        return BlobFacts(digest: "sha256:" + hasher.finalize().hexString, size: size,
                         uncompressedSize: decompressor == nil ? size : uncompressed, isGzip: decompressor != nil)
    }

    private static func read(kind: String, path: String, source: some ImageFileSource) throws -> InspectedImage {
        if kind == "docker-archive", let manifestJSON = try source.small("manifest.json") {
            let entries = try CanonicalJSON.decode([DockerArchiveManifestEntry].self, from: manifestJSON)
            guard let entry = entries.first, let configBytes = try source.small(entry.config) else {
                throw ImageReadError.malformed(path, "manifest.json names no readable config")
            }
            let config = try CanonicalJSON.decode(ImageConfig.self, from: configBytes)
            var layers: [Descriptor] = []
            var uncompressed = 0
            for layerPath in entry.layers {
                guard try source.size(of: layerPath) != nil else { throw ImageReadError.malformed(path, "layer \(layerPath) is missing") }
                let facts = try facts(layerPath, source: source)
                layers.append(Descriptor(mediaType: facts.isGzip ? MediaType.layerTarGzip : MediaType.layerTar, digest: facts.digest, size: Int64(facts.size)))
                uncompressed += facts.uncompressedSize
            }
            // Docker 25+ writes an OCI layout beside manifest.json: its first entry is the manifest.
            let layout = try? OCILayoutReader(source)
            let manifestEntry = layout?.index.manifests.first
            let layerBytes: Int = layers.reduce(0) { $0 + Int($1.size) }
            let manifestBytes: Int = try manifestEntry.map { entry in try layoutErrors(path) { try layout!.manifest(entry).bytes.count } } ?? 0
            return InspectedImage(kind: kind, path: path, digest: manifestEntry?.digest, configDigest: sha256Digest(configBytes), tags: entry.repoTags ?? [],
                                  config: config, layers: layers, compressedSize: configBytes.count + layerBytes + manifestBytes,
                                  uncompressedSize: uncompressed)
        }

        return try layoutErrors(path) { try readLayout(OCILayoutReader(source), kind: kind, path: path) }
    }

    /// The first image of the layout (an image index: its first platform's), as `inspect` shows it.
    private static func readLayout(_ layout: OCILayoutReader, kind: String, path: String) throws -> InspectedImage {
        // Referrers (an SBOM, a provenance) listed beside the image are not the image.
        let images = layout.images
        guard let entry = images.first(where: { $0.mediaType == MediaType.imageManifest }) ?? images.first else {
            throw ImageReadError.malformed(path, "index.json lists no manifest")
        }
        var manifestDescriptor = entry
        var platforms: [String] = []
        if entry.mediaType == MediaType.imageIndex {
            let nested = try layout.nestedIndex(entry).index
            guard let first = nested.manifests.first(where: { $0.mediaType == MediaType.imageManifest }) else {
                throw ImageReadError.malformed(path, "image index \(entry.digest) lists no image manifest")
            }
            manifestDescriptor = first
            platforms = nested.manifests.compactMap { $0.platform?.name }
        }
        let (manifestBytes, manifest) = try layout.manifest(manifestDescriptor)
        let configBytes = try layout.config(manifest.config)
        let config = try CanonicalJSON.decode(ImageConfig.self, from: configBytes)
        var uncompressed = 0
        for layer in manifest.layers {
            let facts = try facts(try OCILayoutReader.blobName(layer.digest), source: layout.source)
            guard facts.digest == layer.digest else { throw ImageReadError.digestMismatch(layer.digest) }
            uncompressed += facts.uncompressedSize
        }
        // Only the tags of the entry shown: a shared layout holds other images under other tags.
        let tags = layout.index.manifests.filter { $0.digest == entry.digest }.compactMap { $0.annotations?[AnnotationKey.refName] }
        return InspectedImage(kind: kind, path: path, digest: manifestDescriptor.digest, configDigest: manifest.config.digest, tags: tags,
                              config: config, layers: manifest.layers,
                              compressedSize: manifestBytes.count + configBytes.count + manifest.layers.reduce(0) { $0 + Int($1.size) },
                              uncompressedSize: uncompressed, index: entry.mediaType == MediaType.imageIndex ? entry.digest : nil, platforms: platforms)
    }
}

/// `body`, with the layout reader's errors said as `inspect` says them.
private func layoutErrors<Value>(_ path: String, _ body: () throws -> Value) throws -> Value {
    do { return try body() } catch let error as OCILayoutError {
        switch error {
        case .missingBlob(let digest): throw ImageReadError.missingBlob(digest)
        case .mismatch(let digest, _): throw ImageReadError.digestMismatch(digest)
        case .noIndex: throw ImageReadError.malformed(path, "no index.json; not an OCI layout or archive")
        default: throw ImageReadError.malformed(path, "\(error)")
        }
    }
}

public enum ImageReadError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case missingBlob(String)
    case digestMismatch(String)
    case malformed(String, String)

    /// The file named `path` cannot be opened (`FileIO.openForeign`).
    init(opening path: String, _ problem: ForeignFileProblem) {
        self = problem == .missing ? .notFound(path) : .malformed(path, "\(problem)")
    }

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path) does not exist; pass an OCI layout directory, an OCI archive or a Docker archive"
        case .missingBlob(let digest): return "blob \(digest) is missing; the image is incomplete, rebuild it"
        case .digestMismatch(let digest): return "blob \(digest) does not match its digest; the image is corrupt, rebuild it"
        case .malformed(let path, let detail): return "\(path) is not a readable image: \(detail)"
        }
    }
}
