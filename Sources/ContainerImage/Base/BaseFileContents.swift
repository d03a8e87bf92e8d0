extension BaseImage {
    /// What the base's merged tree has at a path `contents(ofFilesWhere:)` was asked about.
    public enum FileContent: Sendable, Equatable {
        /// A regular file and its bytes.
        case file([UInt8])
        /// A regular file larger than the limit: its size; its bytes were not kept.
        case tooLarge(size: Int)
        /// A symbolic link and its target, as written (the caller resolves it in the tree).
        case symlink(target: String)
        /// A hard link and the path (from the root, cleaned) whose bytes it shares.
        case hardLink(target: String)
        /// A directory, device or FIFO: nothing to read.
        case other
    }

    /// The limits of `contents(ofFilesWhere:)`: real package databases are a few MiB.
    public struct ContentLimits: Sendable, Equatable {
        /// A regular file larger than this is `.tooLarge`.
        public var maximumFileSize: Int
        /// All kept files together (each counted with 512 bytes for its header, so a million empty files count too).
        public var maximumTotalSize: Int

        public init(maximumFileSize: Int = 64 << 20, maximumTotalSize: Int = 192 << 20) {
            self.maximumFileSize = maximumFileSize
            self.maximumTotalSize = maximumTotalSize
        }
    }

    /// Each path of the merged tree (as `fileTree()` gives it: whiteouts applied in layer order) that
    /// `wanted` accepts, and what is there: a file's bytes, a link's target. The layers are streamed
    /// once and only the wanted entries are kept, so a base of gigabytes costs the few files asked for.
    /// With `keepingSymlinks`, every symbolic link of the tree is there too, so the caller can follow
    /// the base's links (`/etc/os-release` → `../usr/lib/os-release`, a linked parent folder).
    /// Throws when the kept files pass `limits.maximumTotalSize`.
    public func contents(ofFilesWhere wanted: @escaping (String) -> Bool, keepingSymlinks: Bool = false,
                         limits: ContentLimits = ContentLimits()) throws -> [String: FileContent] {
        var contents: [String: FileContent] = [:]
        var kept = 0
        var reading: (path: String, bytes: [UInt8], size: Int)?
        let reference = self.reference
        func cost(_ content: FileContent) -> Int {
            if case .file(let bytes) = content { return bytes.count + 512 }
            return 512
        }
        func store(_ path: String, _ content: FileContent) throws {
            kept -= contents[path].map(cost) ?? 0
            kept += cost(content)
            contents[path] = content
            guard kept <= limits.maximumTotalSize else {
                throw BaseImageError.unusable(reference, "the files read for the SBOM (such as \(String(path.prefix(200)))) hold more than \(Self.bytesText(limits.maximumTotalSize)); a package database is a few MiB; leave out --base or describe a base whose package database dpkg can use")
            }
        }
        _ = try mergedTree(
            reading: { record, path in
                guard wanted(path) || (keepingSymlinks && record.kind == .symlink) else { return nil }
                switch record.kind {
                case .file:
                    reading = (path, [], 0)
                    return { chunk in
                        guard var current = reading else { return }
                        current.size += chunk.count
                        // Past the limit the bytes are dropped, only counted: the size goes into the error.
                        if current.size <= limits.maximumFileSize { current.bytes.append(contentsOf: chunk) } else { current.bytes = [] }
                        reading = current
                    }
                case .symlink: try store(path, .symlink(target: record.linkName))
                case .other(UInt8(ascii: "1")): try store(path, .hardLink(target: TarEntryName.cleanedLinkTarget(record.linkName) ?? ""))
                default: try store(path, .other)
                }
                return nil
            },
            entryEnded: {
                guard let current = reading else { return }
                reading = nil
                try store(current.path, current.size > limits.maximumFileSize ? .tooLarge(size: current.size) : .file(current.bytes))
            },
            layerMerged: { tree in
                // What this layer deleted or replaced is gone from what is kept, too.
                contents = contents.filter { tree[$0.key] != nil }
                kept = contents.values.reduce(0) { $0 + cost($1) }
                guard kept <= limits.maximumTotalSize else {
                    throw BaseImageError.unusable(reference, "the files read for the SBOM hold more than \(Self.bytesText(limits.maximumTotalSize)); a package database is a few MiB; leave out --base or describe a base whose package database dpkg can use")
                }
            })
        return contents
    }

    /// `192 MiB`, or `4096 bytes` below a MiB.
    private static func bytesText(_ count: Int) -> String { count >= 1 << 20 ? "\(count >> 20) MiB" : "\(count) bytes" }
}
