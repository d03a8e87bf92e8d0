import OCIModel

/// Where an image goes. Every destination writes the same `Image`; local ones write to a
/// temporary name and rename when complete (see `AtomicOutput`).
public protocol ImageDestination: Sendable {
    /// `oci-layout`, `oci-archive`, `docker-archive`, `registry`.
    var kind: String { get }
    /// The absolute path or registry reference, as reported to the user.
    var destination: String { get }
    /// How this destination stores layers (plain tar for Docker archives, gzip otherwise).
    var layerCompression: LayerCompression { get }
    /// Fails early (before the image is built) if the destination cannot be written.
    func checkWritable() throws
    /// Writes the image under a temporary name (or pushes it); nothing is visible at the
    /// destination until the result is committed.
    func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput
    /// True when staging cannot be undone (a registry push): such destinations go last, after
    /// every local output has been staged successfully.
    var isIrreversible: Bool { get }
    /// Writes an image index over one image per platform (OCI layouts, archives, registries).
    func stage(_ index: MultiPlatformImage, tag: ImageReference) async throws -> StagedOutput
}

extension ImageDestination {
    public var isIrreversible: Bool { false }

    /// Destinations that hold one image (a Docker archive) cannot take an index.
    public func stage(_ index: MultiPlatformImage, tag: ImageReference) async throws -> StagedOutput {
        throw ImageBuildError.singlePlatformOutput(kind: kind)
    }

    /// Stages and commits in one go; returns the pinned reference of a registry push.
    @discardableResult
    public func write(_ image: Image, tag: ImageReference) async throws -> String? {
        let staged = try await stage(image, tag: tag)
        try staged.commit()
        return staged.pushedReference
    }
}

/// The files of an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
/// as tar entries, shared by the layout directory and both archive formats.
public enum OCILayoutFiles {
    public static let layoutMarker = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    public static func entries(for image: some OCILayoutContent, tag: ImageReference) throws -> [TarEntry] {
        let index = ImageIndex(manifests: [image.indexDescriptor(tag: tag)])
        var entries: [TarEntry] = [
            .file("oci-layout", layoutMarker),
            .file("index.json", try CanonicalJSON.encode(index)),
            .directory("blobs"),
            .directory("blobs/sha256"),
        ]
        for blob in image.blobs { entries.append(TarEntry(path: "blobs/sha256/" + blob.hex, kind: .file(blob.tarContent), mode: 0o644)) }
        return entries
    }
}
