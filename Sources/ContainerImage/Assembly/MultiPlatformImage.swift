import OCIModel

/// One image per platform behind an OCI image index (what `--executable linux/arm64=PATH` builds):
/// the index lists each image manifest with its `platform`; a registry serves the matching one.
public struct MultiPlatformImage: Sendable, Equatable {
    /// One image per platform, sorted by (os, architecture, variant).
    public var images: [Image]
    /// The image index (canonical JSON): its digest is the image digest users pull by.
    public var indexBlob: Blob

    /// Builds the index over `images`, sorted by platform so that the same inputs in any order give
    /// the same index digest; throws when two images declare the same platform. `annotations` go on the index.
    public init(images unsorted: [Image], annotations: [String: String]? = nil) throws {
        let images = unsorted.sorted { Self.platformOrder($0.platform, $1.platform) }
        var seen: Set<String> = []
        for image in images where !seen.insert(image.platform.name).inserted {
            throw ImageBuildError.duplicatePlatform(image.platform.name)
        }
        self.images = images
        indexBlob = Blob(mediaType: MediaType.imageIndex, bytes: try CanonicalJSON.encode(ImageIndex(manifests: images.map { $0.indexDescriptor(tag: nil) }, annotations: annotations)))
    }

    /// Why a total order on platforms: the index lists manifests in this order, and its digest is
    /// what users pin, so flag order on the command line must not change it.
    static func platformOrder(_ a: Platform, _ b: Platform) -> Bool {
        (a.os, a.architecture, a.variant ?? "") < (b.os, b.architecture, b.variant ?? "")
    }

    /// The index digest.
    public var digest: String { indexBlob.digest }
    /// Index, manifests, configs and layers, each blob once (identical layers are shared).
    public var compressedSize: Int { blobs.reduce(0) { $0 + $1.size } }
}

/// What an OCI layout (directory, archive, or the layout a registry push reads) holds under one
/// tag: the descriptor `index.json` lists and every blob it reaches.
public protocol OCILayoutContent: Sendable {
    /// The entry of `index.json`, annotated with `tag`.
    func indexDescriptor(tag: ImageReference?) -> Descriptor
    /// Every blob, each once.
    var blobs: [Blob] { get }
    /// File times for archives (`SOURCE_DATE_EPOCH`).
    var sourceDateEpoch: Int { get }
}

extension Image: OCILayoutContent {}

extension MultiPlatformImage: OCILayoutContent {
    public func indexDescriptor(tag: ImageReference?) -> Descriptor {
        var descriptor = indexBlob.descriptor
        if let tag { descriptor.annotations = [AnnotationKey.refName: tag.tagOrLatest, AnnotationKey.containerdImageName: tag.description] }
        return descriptor
    }

    public var blobs: [Blob] {
        var seen: Set<String> = [indexBlob.digest]
        return [indexBlob] + images.flatMap(\.blobs).filter { seen.insert($0.digest).inserted }
    }

    public var sourceDateEpoch: Int { images.first?.sourceDateEpoch ?? 0 }
}
