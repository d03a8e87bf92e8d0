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

    /// Adds the image to the existing layout at `path`.
    private func merge(_ image: some OCILayoutContent, tag: ImageReference) throws -> StagedOutput {
        // Another run merging into the same layout would read the same index.json and the last
        // rename would drop the other's tag (or count on blobs the other then rolls back): the
        // layout is locked from reading the index until this output is committed or discarded.
        let lock = try Self.lock(path)
        do {
            return try merge(image, tag: tag, lock: lock)
        } catch {
            close(lock)
            throw error
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

    private func merge(_ image: some OCILayoutContent, tag: ImageReference, lock: Int32) throws -> StagedOutput {
        func hostile(_ reason: String) -> OutputError { .hostileLayout(path: path, reason: reason) }
        // The existing index, kept as raw JSON so fields this tool does not know survive.
        var index: [String: Any] = ["schemaVersion": 2, "mediaType": MediaType.imageIndex, "manifests": [Any]()]
        var info = stat()
        if lstat(path + "/index.json", &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw hostile("index.json is not a regular file") }
            guard info.st_size <= 64 << 20, let data = FileManager.default.contents(atPath: path + "/index.json"),
                  (try? CanonicalJSON.checkNesting([UInt8](data))) != nil,
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  object["manifests"] == nil || object["manifests"] is [Any]
            else { throw hostile("index.json is not an OCI image index") }
            index = object
        }
        let blobs = path + "/blobs/sha256"
        for directory in [path + "/blobs", blobs] {
            var info = stat()
            guard lstat(directory, &info) == 0 else {
                try AtomicOutput.createDirectory(directory)
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw hostile("\(directory) is not a directory (a symlink or a file)") }
        }

        let refName = tag.tagOrLatest
        var manifests = (index["manifests"] as? [Any]) ?? []
        manifests.removeAll { entry in
            ((entry as? [String: Any])?["annotations"] as? [String: Any])?[AnnotationKey.refName] as? String == refName
        }
        let ours = try JSONSerialization.jsonObject(with: Data(try CanonicalJSON.encode(image.indexDescriptor(tag: tag))))
        manifests.append(ours)
        index["manifests"] = manifests
        let indexBytes = [UInt8](try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys, .withoutEscapingSlashes]))

        // New blobs go in under a temporary name first, then their digest name.
        var added: [String] = []
        do {
            for blob in image.blobs {
                let target = blobs + "/" + blob.hex
                var existing = stat()
                if lstat(target, &existing) == 0 {
                    guard (existing.st_mode & S_IFMT) == S_IFREG else { throw hostile("blob \(blob.digest) is not a regular file") }
                    if Int(existing.st_size) == blob.size { continue }
                    throw hostile("blob \(blob.digest) has \(existing.st_size) bytes, expected \(blob.size)")
                }
                let (temporary, descriptor) = try AtomicOutput.createTemporaryFile(near: target)
                close(descriptor)
                unlink(temporary)
                try Self.write(blob, to: temporary)
                try PendingOutputs.shared.whileOpen { registry in
                    guard rename(temporary, target) == 0 else { throw OutputError.cannotCreate(path: target, reason: String(cString: strerror(errno))) }
                    registry.unregister(temporary)
                    registry.register(target)
                }
                added.append(target)
            }
            let (temporary, descriptor) = try AtomicOutput.createTemporaryFile(near: path + "/index.json")
            let writer = BufferedFileWriter(descriptor: descriptor, path: temporary)
            defer { close(descriptor) }
            try writer.write(indexBytes)
            try writer.flush()
            return StagedOutput(temporary: temporary, final: path + "/index.json", addedFiles: added, lock: lock)
        } catch {
            for file in added { PendingOutputs.shared.remove(file) }
            throw error
        }
    }
}
