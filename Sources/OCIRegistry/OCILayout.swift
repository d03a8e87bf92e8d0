import Foundation

/// The single image of an OCI image layout directory: `index.json` → manifest → config + layers,
/// every blob under `blobs/sha256/`.
struct OCILayout: Sendable {
    var root: URL
    /// The manifest's descriptor as `index.json` records it; its digest is the image digest.
    var manifestDescriptor: Descriptor
    /// The manifest bytes exactly as stored (their digest is `manifestDescriptor.digest`).
    var manifestData: Data
    var manifest: ImageManifest

    init(at root: URL) throws {
        self.root = root
        func invalid(_ reason: String) -> RegistryError { .invalidLayout(path: root.path, reason: reason) }
        let indexURL = root.appendingPathComponent("index.json")
        guard let indexData = FileManager.default.contents(atPath: indexURL.path) else { throw invalid("index.json is missing") }
        let index: ImageIndex
        do { index = try JSONDecoder().decode(ImageIndex.self, from: indexData) } catch { throw invalid("index.json is not an OCI image index (\(error))") }
        guard index.manifests.count == 1, let descriptor = index.manifests.first else {
            throw invalid("index.json lists \(index.manifests.count) manifests; exactly one image is expected")
        }
        guard descriptor.mediaType == MediaType.ociManifest || descriptor.mediaType == MediaType.dockerManifest else {
            throw invalid("the manifest's media type is \(descriptor.mediaType); an image manifest is expected")
        }
        guard RegistryReference.isValidDigest(descriptor.digest) else { throw invalid("index.json names the manifest by '\(descriptor.digest)', not a sha256 digest") }
        manifestDescriptor = descriptor
        let manifestPath = Self.blobPath(root: root, digest: descriptor.digest)
        guard let data = FileManager.default.contents(atPath: manifestPath.path) else { throw invalid("the manifest blob \(descriptor.digest) is missing") }
        guard Int64(data.count) == descriptor.size else { throw invalid("the manifest blob has \(data.count) bytes, index.json says \(descriptor.size)") }
        manifestData = data
        do { manifest = try JSONDecoder().decode(ImageManifest.self, from: data) } catch { throw invalid("the manifest is not an image manifest (\(error))") }
        for blob in blobs {
            guard RegistryReference.isValidDigest(blob.digest) else { throw invalid("the manifest names a blob by '\(blob.digest)', not a sha256 digest") }
            let path = Self.blobPath(root: root, digest: blob.digest).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = (attributes[.size] as? NSNumber)?.int64Value
            else { throw invalid("the blob \(blob.digest) is missing") }
            guard size == blob.size else { throw invalid("the blob \(blob.digest) has \(size) bytes, the manifest says \(blob.size)") }
        }
    }

    /// Config first, then the layers: the blobs a registry needs before the manifest.
    var blobs: [Descriptor] { [manifest.config] + manifest.layers }

    func url(of blob: Descriptor) -> URL { Self.blobPath(root: root, digest: blob.digest) }

    static func blobPath(root: URL, digest: String) -> URL {
        let parts = digest.split(separator: ":", maxSplits: 1)
        let algorithm = parts.first.map(String.init) ?? "sha256"
        let hex = parts.count > 1 ? String(parts[1]) : digest
        return root.appendingPathComponent("blobs").appendingPathComponent(algorithm).appendingPathComponent(hex)
    }
}
