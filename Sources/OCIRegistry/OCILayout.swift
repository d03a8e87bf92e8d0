import OCIModel
import Foundation

/// What an OCI image layout directory holds under its one `index.json` entry: an image manifest,
/// or an image index over one manifest per platform (each → config + layers), every blob under
/// `blobs/sha256/`.
struct OCILayout: Sendable {
    /// One image manifest: its descriptor, its exact bytes and what it says.
    struct Manifest: Sendable {
        var descriptor: Descriptor
        var data: Data
        var manifest: ImageManifest
    }

    var root: URL
    /// The descriptor `index.json` records (a manifest or an index); its digest is the image digest.
    var manifestDescriptor: Descriptor
    /// Its bytes exactly as stored (their digest is `manifestDescriptor.digest`).
    var manifestData: Data
    /// The image manifests: the one above, or the ones its index lists (pushed before the index).
    var manifests: [Manifest]
    /// The artifact manifests listed beside the image whose `subject` it is (an SBOM, a provenance:
    /// `containertool attach oci-layout:…`), pushed after it; other images' referrers are not here.
    var referrers: [Manifest] = []

    /// True when `index.json` names an image index rather than one manifest.
    var isIndex: Bool { manifestDescriptor.mediaType == MediaType.imageIndex || manifestDescriptor.mediaType == MediaType.dockerManifestList }

    init(at root: URL) throws {
        self.root = root
        func invalid(_ reason: String) -> RegistryError { .invalidLayout(path: root.path, reason: reason) }
        let indexURL = root.appendingPathComponent("index.json")
        guard let indexData = FileManager.default.contents(atPath: indexURL.path) else { throw invalid("index.json is missing") }
        let index: ImageIndex
        do { index = try JSONDecoder().decode(ImageIndex.self, from: indexData) } catch { throw invalid("index.json is not an OCI image index (\(error))") }
        // Referrers listed beside the image (`containertool attach oci-layout:…`) are not the image.
        let images = index.withoutReferrers
        guard images.count == 1, let descriptor = images.first else {
            throw invalid("index.json lists \(images.count) images; exactly one image (or one image index) is expected")
        }
        manifestDescriptor = descriptor
        manifestData = try Self.read(descriptor, root: root, what: "the manifest")
        manifests = []
        if isIndex {
            let nested: ImageIndex
            do { nested = try JSONDecoder().decode(ImageIndex.self, from: manifestData) } catch { throw invalid("the image index is not an OCI image index (\(error))") }
            guard !nested.manifests.isEmpty else { throw invalid("the image index lists no manifests") }
            for entry in nested.manifests {
                guard Self.isImageManifest(entry.mediaType) else {
                    throw invalid("the image index lists a \(entry.mediaType); only image manifests are expected inside it")
                }
                manifests.append(try Self.manifest(entry, root: root))
            }
        } else {
            guard Self.isImageManifest(descriptor.mediaType) else {
                throw invalid("the manifest's media type is \(descriptor.mediaType); an image manifest or image index is expected")
            }
            manifests = [try Self.manifest(descriptor, root: root, data: manifestData)]
        }
        for entry in index.manifests where Referrers.isLayoutReferrer(entry) && Self.isImageManifest(entry.mediaType) {
            // A referrer whose manifest is unreadable cannot be told to be this image's: it is left in the layout.
            guard let data = try? Self.read(entry, root: root, what: "the referrer"),
                  let manifest = try? JSONDecoder().decode(ImageManifest.self, from: data),
                  manifest.subject?.digest == descriptor.digest else { continue }
            referrers.append(Manifest(descriptor: entry, data: data, manifest: manifest))
        }
        for blob in blobs + referrerBlobs {
            guard RegistryReference.isValidDigest(blob.digest) else { throw invalid("a manifest names a blob by '\(blob.digest)', not a sha256 digest") }
            let path = Self.blobPath(root: root, digest: blob.digest).path
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let size = (attributes[.size] as? NSNumber)?.int64Value
            else { throw invalid("the blob \(blob.digest) is missing") }
            guard size == blob.size else { throw invalid("the blob \(blob.digest) has \(size) bytes, the manifest says \(blob.size)") }
        }
    }

    /// The configs and layers of the referrers.
    var referrerBlobs: [Descriptor] { referrers.flatMap { [$0.manifest.config] + $0.manifest.layers } }

    /// Configs and layers of every manifest, each once: the blobs a registry needs before the manifests.
    var blobs: [Descriptor] {
        var seen: Set<String> = []
        return manifests.flatMap { [$0.manifest.config] + $0.manifest.layers }.filter { seen.insert($0.digest).inserted }
    }

    func url(of blob: Descriptor) -> URL { Self.blobPath(root: root, digest: blob.digest) }

    static func blobPath(root: URL, digest: String) -> URL {
        let parts = digest.split(separator: ":", maxSplits: 1)
        let algorithm = parts.first.map(String.init) ?? "sha256"
        let hex = parts.count > 1 ? String(parts[1]) : digest
        return root.appendingPathComponent("blobs").appendingPathComponent(algorithm).appendingPathComponent(hex)
    }

    private static func isImageManifest(_ mediaType: String) -> Bool {
        mediaType == MediaType.ociManifest || mediaType == MediaType.dockerManifest
    }

    /// The bytes of a small JSON blob (a manifest or index), checked against its descriptor.
    private static func read(_ descriptor: Descriptor, root: URL, what: String) throws -> Data {
        func invalid(_ reason: String) -> RegistryError { .invalidLayout(path: root.path, reason: reason) }
        guard RegistryReference.isValidDigest(descriptor.digest) else { throw invalid("\(what) is named by '\(descriptor.digest)', not a sha256 digest") }
        guard descriptor.size >= 0, descriptor.size <= 4 << 20 else { throw invalid("\(what) \(descriptor.digest) is declared as \(descriptor.size) bytes; at most 4 MiB is expected") }
        let path = blobPath(root: root, digest: descriptor.digest)
        guard let data = FileManager.default.contents(atPath: path.path) else { throw invalid("\(what) blob \(descriptor.digest) is missing") }
        guard Int64(data.count) == descriptor.size else { throw invalid("\(what) blob has \(data.count) bytes, its descriptor says \(descriptor.size)") }
        return data
    }

    private static func manifest(_ descriptor: Descriptor, root: URL, data: Data? = nil) throws -> Manifest {
        let data = try data ?? read(descriptor, root: root, what: "the manifest")
        do {
            return Manifest(descriptor: descriptor, data: data, manifest: try JSONDecoder().decode(ImageManifest.self, from: data))
        } catch {
            throw RegistryError.invalidLayout(path: root.path, reason: "the manifest \(descriptor.digest) is not an image manifest (\(error))")
        }
    }
}
