import OCIModel
import Foundation

/// What `push` takes from an OCI image layout directory, read by `OCILayoutReader`: its one image
/// entry (an image manifest, or an image index over one manifest per platform, each → config +
/// layers), every blob checked to be there with its size, and the image's referrers.
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
    var isIndex: Bool { ImageIndex.isIndex(manifestDescriptor.mediaType) }

    init(at root: URL) throws {
        self.root = root
        func invalid(_ reason: String) -> RegistryError { .invalidLayout(path: root.path, reason: reason) }
        do {
            let layout = try OCILayoutReader(directory: root.path)
            guard layout.images.count == 1, let descriptor = layout.images.first else {
                throw invalid("index.json lists \(layout.images.count) images; exactly one image (or one image index) is expected")
            }
            manifestDescriptor = descriptor
            if ImageIndex.isIndex(descriptor.mediaType) {
                let (bytes, nested) = try layout.nestedIndex(descriptor)
                manifestData = Data(bytes)
                guard !nested.manifests.isEmpty else { throw invalid("the image index lists no manifests") }
                manifests = try nested.manifests.map { entry in
                    guard ImageManifest.isManifest(entry.mediaType) else {
                        throw invalid("the image index lists a \(entry.mediaType); only image manifests are expected inside it")
                    }
                    return try Self.manifest(entry, in: layout)
                }
            } else {
                guard ImageManifest.isManifest(descriptor.mediaType) else {
                    throw invalid("the manifest's media type is \(descriptor.mediaType); an image manifest or image index is expected")
                }
                let manifest = try Self.manifest(descriptor, in: layout)
                manifestData = manifest.data
                manifests = [manifest]
            }
            // A referrer whose manifest is unreadable cannot be told to be this image's: it is left in the layout.
            referrers = layout.referrers.filter { ImageManifest.isManifest($0.mediaType) }
                .compactMap { try? Self.manifest($0, in: layout) }.filter { $0.manifest.subject?.digest == descriptor.digest }
            for blob in blobs + referrerBlobs { try layout.checkBlob(blob) }
        } catch let error as OCILayoutError {
            throw invalid("\(error)")
        }
    }

    /// The configs and layers of the referrers.
    var referrerBlobs: [Descriptor] { referrers.flatMap { [$0.manifest.config] + $0.manifest.layers } }

    /// Configs and layers of every manifest, each once: the blobs a registry needs before the manifests.
    var blobs: [Descriptor] {
        var seen: Set<String> = []
        return manifests.flatMap { [$0.manifest.config] + $0.manifest.layers }.filter { seen.insert($0.digest).inserted }
    }

    /// The file of a blob `init` checked (its digest is a sha256 digest).
    func url(of blob: Descriptor) -> URL { root.appendingPathComponent((try? OCILayoutReader.blobName(blob.digest)) ?? "blobs/invalid") }

    private static func manifest(_ descriptor: Descriptor, in layout: OCILayoutReader) throws -> Manifest {
        let (bytes, manifest) = try layout.manifest(descriptor)
        return Manifest(descriptor: descriptor, data: Data(bytes), manifest: manifest)
    }
}
