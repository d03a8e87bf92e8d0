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
}

/// Reads any of the three local outputs back: an OCI layout directory, an OCI archive or a
/// Docker archive (ours or one written by `docker save`).
public enum ImageReader {
    public static func read(path: String, kind requestedKind: String? = nil) throws -> InspectedImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ImageReadError.notFound(path) }
        if isDirectory.boolValue {
            let root = URL(fileURLWithPath: path)
            return try read(kind: requestedKind ?? "oci-layout", path: path) { relative in
                let file = root.appendingPathComponent(relative).path
                guard FileManager.default.fileExists(atPath: file) else { return nil }
                return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            }
        }
        let archive = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let records = try TarReader.read(Gzip.isGzip(archive) ? try Gzip.decompress(archive) : archive)
        var files: [String: [UInt8]] = [:]
        for record in records where record.kind == .file {
            var name = record.path
            while name.hasPrefix("./") { name.removeFirst(2) }
            files[name] = record.contents
        }
        let kind = requestedKind ?? (files["manifest.json"] != nil ? "docker-archive" : "oci-archive")
        return try read(kind: kind, path: path) { files[$0] }
    }

    private static func read(kind: String, path: String, file: (String) throws -> [UInt8]?) throws -> InspectedImage {
        func blob(_ digest: String) throws -> [UInt8] {
            let parts = digest.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let bytes = try file("blobs/\(parts[0])/\(parts[1])") else { throw ImageReadError.missingBlob(digest) }
            guard sha256Digest(bytes) == digest || parts[0] != "sha256" else { throw ImageReadError.digestMismatch(digest) }
            return bytes
        }
        func uncompressedSize(_ bytes: [UInt8]) throws -> Int {
            Gzip.isGzip(bytes) ? try Gzip.decompress(bytes).count : bytes.count
        }

        if kind == "docker-archive", let manifestJSON = try file("manifest.json") {
            let entries = try CanonicalJSON.decode([DockerArchiveManifestEntry].self, from: manifestJSON)
            guard let entry = entries.first, let configBytes = try file(entry.config) else { throw ImageReadError.malformed(path, "manifest.json names no readable config") }
            let config = try CanonicalJSON.decode(ImageConfig.self, from: configBytes)
            var layers: [Descriptor] = []
            var uncompressed = 0
            for layerPath in entry.layers {
                guard let bytes = try file(layerPath) else { throw ImageReadError.malformed(path, "layer \(layerPath) is missing") }
                layers.append(Descriptor(mediaType: Gzip.isGzip(bytes) ? MediaType.layerTarGzip : MediaType.layerTar, digest: sha256Digest(bytes), size: Int64(bytes.count)))
                uncompressed += try uncompressedSize(bytes)
            }
            var digest: String?
            if let indexJSON = try file("index.json"), let index = try? CanonicalJSON.decode(ImageIndex.self, from: indexJSON) {
                digest = index.manifests.first?.digest
            }
            let layerBytes: Int = layers.reduce(0) { $0 + Int($1.size) }
            let manifestBytes: Int = try digest.map { try blob($0).count } ?? 0
            let compressed = configBytes.count + layerBytes + manifestBytes
            return InspectedImage(kind: kind, path: path, digest: digest, configDigest: sha256Digest(configBytes), tags: entry.repoTags ?? [],
                                  config: config, layers: layers, compressedSize: compressed, uncompressedSize: uncompressed)
        }

        guard let indexJSON = try file("index.json") else { throw ImageReadError.malformed(path, "no index.json; not an OCI layout or archive") }
        let index = try CanonicalJSON.decode(ImageIndex.self, from: indexJSON)
        guard let manifestDescriptor = index.manifests.first(where: { $0.mediaType == MediaType.imageManifest }) ?? index.manifests.first else {
            throw ImageReadError.malformed(path, "index.json lists no manifest")
        }
        let manifestBytes = try blob(manifestDescriptor.digest)
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: manifestBytes)
        let configBytes = try blob(manifest.config.digest)
        let config = try CanonicalJSON.decode(ImageConfig.self, from: configBytes)
        var uncompressed = 0
        for layer in manifest.layers { uncompressed += try uncompressedSize(try blob(layer.digest)) }
        let tags = index.manifests.compactMap { $0.annotations?[AnnotationKey.refName] }
        return InspectedImage(kind: kind, path: path, digest: manifestDescriptor.digest, configDigest: manifest.config.digest, tags: tags,
                              config: config, layers: manifest.layers,
                              compressedSize: manifestBytes.count + configBytes.count + manifest.layers.reduce(0) { $0 + Int($1.size) },
                              uncompressedSize: uncompressed)
    }
}

public enum ImageReadError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case missingBlob(String)
    case digestMismatch(String)
    case malformed(String, String)

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path) does not exist; pass an OCI layout directory, an OCI archive or a Docker archive"
        case .missingBlob(let digest): return "blob \(digest) is missing; the image is incomplete, rebuild it"
        case .digestMismatch(let digest): return "blob \(digest) does not match its digest; the image is corrupt, rebuild it"
        case .malformed(let path, let detail): return "\(path) is not a readable image: \(detail)"
        }
    }
}
