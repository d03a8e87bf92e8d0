import OCIModel
@testable import ContainerImage
import Foundation

/// A base image written by hand as an OCI layout, layer by layer, for tests that need a base with
/// particular files (a dpkg database, whiteouts, links) without a registry or a Docker engine.
enum BaseLayoutFixture {
    /// Writes `layers` (bottom first; the first gzip-compressed, the others plain, as real bases mix
    /// them) as an OCI layout in `directory` and returns the image manifest's digest.
    @discardableResult
    static func write(_ layers: [[TarEntry]], to directory: String, architecture: String = "amd64") throws -> String {
        try write(tars: layers.map { entries in
            var tar: [UInt8] = []
            try TarWriter { tar.append(contentsOf: $0) }.writeArchive(entries)
            return tar
        }, to: directory, architecture: architecture)
    }

    /// The same with each layer's tar bytes as given (entries `TarWriter` does not write: hard links).
    @discardableResult
    static func write(tars: [[UInt8]], to directory: String, architecture: String = "amd64") throws -> String {
        let blobs = directory + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func store(_ bytes: [UInt8]) throws -> String {
            let digest = sha256Digest(bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: blobs + "/" + digest.dropFirst("sha256:".count)))
            return digest
        }
        var descriptors: [Descriptor] = []
        var diffIDs: [String] = []
        for (index, tar) in tars.enumerated() {
            let blob = index == 0 ? try Gzip.compress(tar) : tar
            descriptors.append(Descriptor(mediaType: index == 0 ? MediaType.layerTarGzip : MediaType.layerTar, digest: try store(blob), size: Int64(blob.count)))
            diffIDs.append(sha256Digest(tar))
        }
        let config = try CanonicalJSON.encode(ImageConfig(created: nil, architecture: architecture, os: "linux", config: nil, rootfs: RootFS(diffIDs: diffIDs), history: nil))
        let manifest = try CanonicalJSON.encode(ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, digest: try store(config), size: Int64(config.count)),
                                                              layers: descriptors))
        let manifestDigest = try store(manifest)
        let index = try CanonicalJSON.encode(ImageIndex(manifests: [Descriptor(mediaType: MediaType.imageManifest, digest: manifestDigest, size: Int64(manifest.count),
                                                                               platform: Platform(architecture: architecture, os: "linux"))]))
        try Data(index).write(to: URL(fileURLWithPath: directory + "/index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
        return manifestDigest
    }

    /// The base as `LocalBase` loads it (layers cached in `cache`).
    static func load(_ directory: String, cache: String) throws -> BaseImage {
        try LocalBase.load(.ociLayout, path: directory, tag: nil, platform: Platform(architecture: "amd64", os: "linux"), cache: BlobCache(root: cache))
    }

    /// A dpkg status stanza, as dpkg writes one (with a multi-line Description to skip).
    static func stanza(_ name: String, _ version: String, architecture: String = "amd64", status: String? = "install ok installed",
                       source: String? = nil, maintainer: String = "Debian Maintainers <debian@example.org>") -> String {
        var lines = ["Package: \(name)"]
        if let status { lines.append("Status: \(status)") }
        lines += ["Priority: optional", "Installed-Size: 100", "Maintainer: \(maintainer)", "Architecture: \(architecture)"]
        if let source { lines.append("Source: \(source)") }
        lines += ["Version: \(version)", "Description: the package \(name)", " A longer description of \(name),", " .", " over several lines."]
        return lines.joined(separator: "\n") + "\n"
    }
}
