import OCIModel
import Foundation

/// The one way this tool changes an existing OCI layout: under the layout's lock, read its
/// `index.json` (as `OCILayoutReader` reads it: at most 64 MiB; a JSON object whose `manifests` is an array), let the caller edit
/// the entries, add the new blobs under their digest, and stage the new `index.json` for a rename.
/// A build merging its image in (`OCILayoutDestination`) and `containertool attach oci-layout:…`
/// (`OCILayoutReferrers`) both go through it, so they share the size cap, the hostile-file checks,
/// the lock and the order of the entries.
enum OCILayoutIndex {
    /// The entries of `index.json` as raw JSON, so fields this tool does not know survive an edit.
    struct Entries {
        var manifests: [Any]
        /// The layout's path, for errors.
        let path: String

        /// The entries as descriptors, each with its position; entries that are not descriptors
        /// (another tool's extension) are left out here but stay in `manifests`.
        var descriptors: [(position: Int, descriptor: Descriptor)] {
            manifests.enumerated().compactMap { position, entry in
                guard let object = entry as? [String: Any],
                      let data = try? JSONSerialization.data(withJSONObject: object),
                      let descriptor = try? JSONDecoder().decode(Descriptor.self, from: data) else { return nil }
                return (position, descriptor)
            }
        }

        /// Removes the entries tagged `refName` (whatever else they hold).
        mutating func removeTagged(_ refName: String) {
            manifests.removeAll { (($0 as? [String: Any])?["annotations"] as? [String: Any])?[AnnotationKey.refName] as? String == refName }
        }

        /// Removes the entries of the blob `digest`.
        mutating func removeDigest(_ digest: String) {
            manifests.removeAll { ($0 as? [String: Any])?["digest"] as? String == digest }
        }

        mutating func append(_ descriptor: Descriptor) throws {
            manifests.append(try JSONSerialization.jsonObject(with: Data(try CanonicalJSON.encode(descriptor))))
        }

        func hostile(_ reason: String) -> OutputError { .hostileLayout(path: path, reason: reason) }
    }

    /// Locks the layout at `path`, reads its index, lets `edit` change the entries and name the blobs
    /// they need, writes the blobs that are missing and stages the new `index.json`. Nothing is
    /// visible until the returned output is committed; discarding it removes the added blobs. The
    /// lock is held until then, so two runs never both read the same index and lose an entry.
    static func stageEdit(of path: String, _ edit: (inout Entries) throws -> [Blob]) throws -> StagedOutput {
        let lock = try OCILayoutDestination.lock(path)
        do {
            return try stageEdit(of: path, lock: lock, edit)
        } catch {
            close(lock)
            throw error
        }
    }

    private static func stageEdit(of path: String, lock: Int32, _ edit: (inout Entries) throws -> [Blob]) throws -> StagedOutput {
        var index = try read(path)
        var entries = Entries(manifests: (index["manifests"] as? [Any]) ?? [], path: path)
        let blobs = path + "/blobs/sha256"
        for directory in [path + "/blobs", blobs] {
            var info = stat()
            guard lstat(directory, &info) == 0 else {
                try AtomicOutput.createDirectory(directory)
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw entries.hostile("\(directory) is not a directory (a symlink or a file)") }
        }
        let newBlobs = try edit(&entries)
        index["manifests"] = ordered(entries.manifests)
        let indexBytes = [UInt8](try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys, .withoutEscapingSlashes]))

        // New blobs go in under a temporary name first, then their digest name.
        var added: [String] = []
        do {
            for blob in newBlobs {
                let target = blobs + "/" + blob.hex
                var existing = stat()
                if lstat(target, &existing) == 0 {
                    guard (existing.st_mode & S_IFMT) == S_IFREG else { throw entries.hostile("blob \(blob.digest) is not a regular file") }
                    if Int(existing.st_size) == blob.size { continue }
                    throw entries.hostile("blob \(blob.digest) has \(existing.st_size) bytes, expected \(blob.size)")
                }
                let (temporary, descriptor) = try AtomicOutput.createTemporaryFile(near: target)
                close(descriptor)
                unlink(temporary)
                try OCILayoutDestination.write(blob, to: temporary)
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

    /// The existing `index.json` as a JSON object (absent: an empty index), read as every layout
    /// reader reads it (`OCILayoutReader.indexBytes`), kept as raw JSON.
    private static func read(_ path: String) throws -> [String: Any] {
        func hostile(_ reason: String) -> OutputError { .hostileLayout(path: path, reason: reason) }
        let bytes: [UInt8]?
        do { bytes = try OCILayoutReader.indexBytes(of: DirectoryImageSource(root: path)) } catch { throw hostile("\(error)") }
        guard let bytes else { return ["schemaVersion": 2, "mediaType": MediaType.imageIndex, "manifests": [Any]()] }
        guard (try? CanonicalJSON.checkNesting(bytes)) != nil,
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              object["manifests"] == nil || object["manifests"] is [Any]
        else { throw hostile(OCILayoutError.notAnIndex.description) }
        return object
    }

    /// Images first, in the order they were written (readers that take the first image stay
    /// right), then referrers by digest, so every order of attaching gives the same `index.json`.
    static func ordered(_ manifests: [Any]) -> [Any] {
        func referrerDigest(_ entry: Any) -> String? {
            guard let object = entry as? [String: Any], let digest = object["digest"] as? String else { return nil }
            let refName = (object["annotations"] as? [String: Any])?[AnnotationKey.refName] as? String
            return Referrers.isLayoutReferrer(artifactType: object["artifactType"] as? String, refName: refName) ? digest : nil
        }
        let referrers = manifests.compactMap { entry in referrerDigest(entry).map { (digest: $0, entry: entry) } }
        return manifests.filter { referrerDigest($0) == nil } + referrers.sorted { $0.digest < $1.digest }.map(\.entry)
    }
}
