import OCIModel
import Foundation

extension BaseImage {
    /// The base's merged file system as its layers stacked in order give it: path (no leading
    /// slash) → the entry of the topmost layer that has it, with OCI whiteouts applied (`.wh.NAME`
    /// deletes NAME and everything below it, `.wh..wh..opq` empties its directory of what lower
    /// layers put there) and a directory replaced by a file or link losing what was below it.
    /// Only tar headers are read, streaming (gunzip → `TarHeaderStream`); file contents are not kept.
    public func fileTree() throws -> [String: TarEntry] { try fileTree(digestsOfFilesNamed: []).tree }

    /// `fileTree()`, and the SHA-256 digest of each regular file whose name is in `names` (by path;
    /// a path's digest is that of its topmost file), hashed while streamed.
    public func fileTree(digestsOfFilesNamed names: Set<String>) throws -> (tree: [String: TarEntry], digests: [String: String]) {
        var tree: [String: TarEntry] = [:]
        var digests: [String: String] = [:]
        var hashing: (path: String, hasher: SHA256)?
        func finishHashing() {
            guard var current = hashing else { return }
            digests[current.path] = "sha256:" + current.hasher.finalize().hexString
            hashing = nil
        }
        for (number, layer) in layers.enumerated() {
            guard case .file(let file) = layer.blob.content else { continue }
            // The layer's diff_id is checked in the same pass: a config that does not describe its
            // layers gives an image that `docker pull` and `podman pull` refuse later.
            var diffHasher = SHA256()
            var entries: [TarEntry] = []
            var deleted = Set<String>()  // the path and all below it are gone
            var emptied = Set<String>()  // all below the path is gone
            let reader = TarHeaderStream(readingData: { record in
                finishHashing()
                // Names cleaned as docker and containerd clean them: `x/../data` is `data` (skipping it would
                // hide its link from the checks); one that climbs out of the root refuses the base.
                guard let path = TarEntryName.cleaned(record.path) else { throw Self.outsideRoot(number, "entry '\(record.path)'") }
                if record.kind == .other(UInt8(ascii: "1")), TarEntryName.cleanedLinkTarget(record.linkName) == nil {
                    throw Self.outsideRoot(number, "hard link '\(record.path)' to '\(record.linkName)'")
                }
                guard !path.isEmpty else { return nil }
                let parent = path.split(separator: "/").dropLast().joined(separator: "/")
                let name = path.split(separator: "/").last.map(String.init) ?? path
                if name == FileTree.whiteoutPrefix + FileTree.whiteoutPrefix + ".opq" {
                    emptied.insert(parent)
                } else if name.hasPrefix(FileTree.whiteoutPrefix) {
                    deleted.insert((parent.isEmpty ? "" : parent + "/") + name.dropFirst(FileTree.whiteoutPrefix.count))
                } else {
                    entries.append(Self.entry(record, path: path))
                    if record.kind == .file, names.contains(name) {
                        hashing = (path, SHA256())
                        return { hashing?.hasher.update($0) }
                    }
                }
                return nil
            })
            do {
                if MediaType.gzipLayers.contains(layer.blob.mediaType) {
                    let decompressor = try GzipDecompressor { diffHasher.update($0); try reader.write($0) }
                    try Self.stream(file: file) { try decompressor.write($0) }
                    try decompressor.finish()
                } else {
                    try Self.stream(file: file) { diffHasher.update($0); try reader.write($0) }
                }
                try reader.finish()
                finishHashing()
            } catch let error as OutsideRoot {
                throw BaseImageError.unusable(reference, "its layer #\(error.layer + 1) (\(layers[error.layer].blob.digest)) has the \(error.what), which lands outside the image's root (docker refuses it as a breakout); rebuild the base without it")
            } catch {
                throw BaseImageError.unusable(reference, "its layer #\(number + 1) (\(layer.blob.digest)) cannot be read as a tar archive (\(error))")
            }
            let diffID = "sha256:" + diffHasher.finalize().hexString
            guard diffID == layer.diffID else {
                throw BaseImageError.unusable(reference, "its layer #\(number + 1) (\(layer.blob.digest)) unpacks to \(diffID), but the config's diff_id is \(layer.diffID); the base is corrupt or its config does not describe it")
            }
            for entry in entries where entry.kind != .directory {
                if tree[entry.path]?.kind == .directory { emptied.insert(entry.path) }
            }
            if !deleted.isEmpty || !emptied.isEmpty {
                tree = tree.filter { path, _ in !Self.isRemoved(path, deleted: deleted, emptied: emptied) }
            }
            for entry in entries { tree[entry.path] = entry }
        }
        return (tree, digests)
    }

    /// A layer entry (or hard link target) that lands outside the root: `what` names it.
    private struct OutsideRoot: Error {
        var layer: Int
        var what: String
    }

    private static func outsideRoot(_ number: Int, _ what: String) -> OutsideRoot {
        OutsideRoot(layer: number, what: String(what.prefix(300)))
    }

    /// Whether `path` or one of its parents is in `deleted`, or one of its parents is in `emptied`.
    private static func isRemoved(_ path: String, deleted: Set<String>, emptied: Set<String>) -> Bool {
        if deleted.contains(path) { return true }
        var parent = Substring(path)
        while true {
            guard let slash = parent.lastIndex(of: "/") else { return emptied.contains("") }
            parent = parent[..<slash]
            if deleted.contains(String(parent)) || emptied.contains(String(parent)) { return true }
        }
    }

    /// The record's kind, mode bits (file-type bits some writers add dropped) and owner; hard
    /// links, devices and FIFOs count as files.
    private static func entry(_ record: TarRecord, path: String) -> TarEntry {
        let kind: TarEntry.Kind
        switch record.kind {
        case .directory: kind = .directory
        case .symlink: kind = .symlink(target: record.linkName)
        default: kind = .file(.bytes([]))
        }
        return TarEntry(path: path, kind: kind, mode: record.mode & 0o7777, uid: record.uid, gid: record.gid)
    }
}
