import OCIModel
import Foundation

/// An OCI image layout directory (`skopeo … oci:DIR:TAG`, `umoci`, `oci-image-tool`).
///
/// A new directory is written under a temporary name and renamed into place. An existing layout
/// is merged into, as skopeo and umoci do: its other manifests and blobs stay, the entry with
/// the same `org.opencontainers.image.ref.name` is replaced, new blobs are added under their
/// digest, and the new `index.json` is renamed over the old one when the output is committed.
public struct OCILayoutDestination: ImageDestination {
    public let path: String
    public init(path: String) { self.path = path }
    public var kind: String { "oci-layout" }
    public var layerCompression: LayerCompression { .gzip }
    public var destination: String { path }

    public func checkWritable() throws { try AtomicOutput.checkWritable(path, asDirectory: true) }

    public func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput { try stageContent(image, tag: tag) }
    public func stage(_ index: MultiPlatformImage, tag: ImageReference) async throws -> StagedOutput { try stageContent(index, tag: tag) }

    func stageContent(_ image: some OCILayoutContent, tag: ImageReference) throws -> StagedOutput {
        try checkWritable()
        if FileManager.default.fileExists(atPath: path + "/oci-layout") {
            return try merge(image, tag: tag)
        }
        return try AtomicOutput.stageDirectory(at: path) { directory in
            try Self.fill(directory, with: image, tag: tag)
        }
    }

    /// Writes the complete layout of `image` into the empty directory `directory`.
    public static func fill(_ directory: String, with image: some OCILayoutContent, tag: ImageReference?) throws {
        let index = ImageIndex(manifests: [image.indexDescriptor(tag: tag)])
        try AtomicOutput.writeNewFile(directory + "/oci-layout", OCILayoutFiles.layoutMarker)
        try AtomicOutput.createDirectory(directory + "/blobs")
        try AtomicOutput.createDirectory(directory + "/blobs/sha256")
        for blob in image.blobs where access(directory + "/blobs/sha256/" + blob.hex, F_OK) != 0 {
            try write(blob, to: directory + "/blobs/sha256/" + blob.hex)
        }
        try AtomicOutput.writeNewFile(directory + "/index.json", try CanonicalJSON.encode(index))
    }

    static func write(_ blob: Blob, to target: String) throws {
        switch blob.content {
        case .bytes(let bytes): try AtomicOutput.writeNewFile(target, bytes)
        case .file(let source): try AtomicOutput.cloneOrCopy(source, to: target)
        }
    }

    /// Adds the image to the existing layout at `path`: the entry with the same tag is replaced,
    /// every other entry (other images, referrers) stays.
    private func merge(_ image: some OCILayoutContent, tag: ImageReference) throws -> StagedOutput {
        // Another run merging into the same layout would read the same index.json and the last
        // rename would drop the other's tag (or count on blobs the other then rolls back):
        // OCILayoutIndex holds the layout's lock from reading the index until this output is
        // committed or discarded.
        let refName = tag.tagOrLatest
        return try OCILayoutIndex.stageEdit(of: path) { entries in
            entries.removeTagged(refName)
            try entries.append(image.indexDescriptor(tag: tag))
            return image.blobs
        }
    }

    /// An exclusive `flock` on the layout directory, waiting (interruptibly) while another run holds it.
    static func lock(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        let deadline = Date().addingTimeInterval(600)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(descriptor)
                throw OutputError.layoutBusy(path: path)
            }
            do { try Interruption.check() } catch { close(descriptor); throw error }
            usleep(20_000)
        }
        return descriptor
    }
}
