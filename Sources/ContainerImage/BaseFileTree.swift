import Foundation

extension BaseImage {
    /// The base's file tree as its layers stack up (the last layer's entry for each path, whiteouts
    /// applied), without the file contents: what `FileTree.layers(over:)` needs so our layers keep the
    /// base's directories as they are. Each layer is streamed (gunzipped when it is gzip) through a
    /// tar header scanner: memory stays constant whatever the base's size.
    public func fileTree() throws -> [String: TarEntry] {
        var tree: [String: TarEntry] = [:]
        for layer in layers {
            guard case let .file(path) = layer.blob.content else { continue }
            let scanner = TarHeaderScanner { entry in Self.apply(entry, to: &tree) }
            do {
                if MediaType.gzipLayers.contains(layer.blob.mediaType) {
                    let decompressor = try GzipDecompressor { try scanner.write($0) }
                    try Self.stream(file: path) { try decompressor.write($0) }
                    try decompressor.finish()
                } else {
                    try Self.stream(file: path) { try scanner.write($0) }
                }
            } catch {
                throw BaseImageError.unusable(reference, "its layer \(layer.blob.digest) is not a readable tar (\(error))")
            }
        }
        return tree
    }

    /// One layer entry on top of the tree so far: `.wh.NAME` deletes NAME (and what is under it),
    /// `.wh..wh..opq` empties its directory, anything else replaces the path.
    static func apply(_ entry: TarEntry, to tree: inout [String: TarEntry]) {
        let components = entry.path.split(separator: "/")
        guard let name = components.last, !components.contains(".."), !components.contains(".") else { return }
        let parent = components.dropLast().joined(separator: "/")
        func removeChildren(of directory: String) {
            let prefix = directory.isEmpty ? "" : directory + "/"
            for key in tree.keys where key.hasPrefix(prefix) && key != directory { tree[key] = nil }
        }
        if name == ".wh..wh..opq" { return removeChildren(of: parent) }
        if name.hasPrefix(".wh.") {
            let target = (parent.isEmpty ? "" : parent + "/") + name.dropFirst(4)
            tree[target] = nil
            return removeChildren(of: target)
        }
        if case .directory = entry.kind {} else { removeChildren(of: entry.path) }
        tree[entry.path] = entry
    }
}

/// Reads tar headers from a stream of chunks and reports each entry's path, kind, mode and owner;
/// file data is skipped, never kept. PAX (`x`) and GNU long names (`L`, `K`) are honoured.
final class TarHeaderScanner {
    private let onEntry: (TarEntry) -> Void
    private var pending: [UInt8] = []
    private var need = 512
    private var skip = 0
    private var extended: (type: UInt8, size: Int)?
    private var pendingPath: String?
    private var pendingLink: String?
    private var pendingSize: Int?
    private var ended = false

    init(onEntry: @escaping (TarEntry) -> Void) { self.onEntry = onEntry }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        var index = 0
        while index < chunk.count && !ended {
            if skip > 0 {
                let count = min(skip, chunk.count - index)
                skip -= count
                index += count
                continue
            }
            let count = min(need - pending.count, chunk.count - index)
            pending.append(contentsOf: chunk[index..<index + count])
            index += count
            if pending.count == need { try process() }
        }
    }

    private func process() throws {
        defer { pending.removeAll(keepingCapacity: true) }
        if let (type, size) = extended {
            let data = Array(pending.prefix(size))
            switch type {
            case UInt8(ascii: "x"):
                for (key, value) in TarReader.paxRecords(data) {
                    if key == "path" { pendingPath = value }
                    if key == "linkpath" { pendingLink = value }
                    if key == "size" { pendingSize = Int(value) }
                }
            case UInt8(ascii: "L"): pendingPath = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            default: pendingLink = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            }
            extended = nil
            need = 512
            return
        }
        if pending.allSatisfy({ $0 == 0 }) { ended = true; return }
        guard TarReader.checksumMatches(pending) else { throw TarError.malformed("bad tar header checksum") }
        let type = pending[156]
        let size = pendingSize ?? TarReader.octal(pending[124..<136])
        guard size >= 0 else { throw TarError.malformed("a negative entry size") }
        let padded = (size + 511) / 512 * 512
        if [UInt8(ascii: "x"), UInt8(ascii: "L"), UInt8(ascii: "K")].contains(type) {
            guard size <= 1 << 20 else { throw TarError.malformed("an extended header of \(size) bytes") }
            extended = (type, size)
            need = max(padded, 512)
            if padded == 0 { extended = nil; need = 512 }
            return
        }
        if type == UInt8(ascii: "g") {
            skip = padded
            return
        }
        var path = pendingPath ?? TarReader.headerPath(pending)
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasPrefix("/") { path.removeFirst() }
        while path.hasSuffix("/") { path.removeLast() }
        let link = pendingLink ?? String(decoding: pending[157..<257].prefix { $0 != 0 }, as: UTF8.self)
        let kind: TarEntry.Kind
        switch type {
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "2"): kind = .symlink(target: link)
        default: kind = .file(.bytes([]))
        }
        if !path.isEmpty {
            onEntry(TarEntry(path: path, kind: kind, mode: UInt32(TarReader.octal(pending[100..<108])),
                             uid: TarReader.octal(pending[108..<116]), gid: TarReader.octal(pending[116..<124])))
        }
        pendingPath = nil
        pendingLink = nil
        pendingSize = nil
        // Only regular files (and contiguous ones) carry data in the archive.
        skip = [UInt8(ascii: "0"), 0, UInt8(ascii: "7")].contains(type) ? padded : 0
    }
}
