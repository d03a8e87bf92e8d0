import OCIModel
import Foundation

/// The image's file system, validated before anything is written: one entry per path, parent
/// directories created implicitly (root-owned, 0755), and every conflict refused with both
/// paths named — two sources for one destination, a file used as a parent directory, a
/// destination that passes through a symlink, a symlink whose target escapes its resource.
struct FileTree {
    private struct Node {
        var entry: TarEntry
        /// Where it came from, for messages: "the executable", "resource /host/path", ….
        var origin: String
        /// True for directories that exist only because something below them needed them.
        var implicit: Bool
        /// The layer it goes in; unused for implicit directories, which go in every layer that needs them.
        var layer: ImageLayerKind = .addOns
    }

    private var byPath: [String: Node] = [:]

    /// The name prefix of OCI whiteouts; no image path may have a component that starts with it.
    static let whiteoutPrefix = ".wh."

    var entries: [TarEntry] { byPath.values.map(\.entry) }

    /// Host files that go into the image (to refuse an output that would overwrite one).
    var hostFiles: [String] {
        byPath.values.compactMap { node in
            if case .file(.hostFile(let path, _)) = node.entry.kind { return path }
            return nil
        }
    }

    static func normalize(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }

    /// Adds `entry`; `origin` names its source in error messages. `replacingIdentical` lets the
    /// shared-library closure name one library twice.
    mutating func add(_ entry: TarEntry, origin: String, layer: ImageLayerKind, replacingIdentical: Bool = false) throws {
        var entry = entry
        entry.path = Self.normalize(entry.path)
        guard !entry.path.isEmpty, !entry.path.split(separator: "/").contains("..") else { throw ImageBuildError.invalidImagePath(entry.path) }
        // In a layer, `.wh.NAME` deletes NAME of the layers below and `.wh..wh..opq` empties its
        // directory: a user's file named so would delete /etc/passwd or a whole folder.
        guard !entry.path.split(separator: "/").contains(where: { $0.hasPrefix(Self.whiteoutPrefix) }) else {
            throw ImageBuildError.whiteoutName(path: "/" + entry.path, origin: origin)
        }
        try addParents(of: entry.path, origin: origin)
        if let existing = byPath[entry.path] {
            switch (existing.entry.kind, entry.kind) {
            case (.directory, .directory):
                // An explicit directory (mode, owner) wins over an implicit one.
                if existing.implicit { byPath[entry.path] = Node(entry: entry, origin: origin, implicit: false, layer: layer) }
                return
            case (.directory, _) where existing.implicit:
                let child = byPath.keys.filter { $0.hasPrefix(entry.path + "/") }.sorted().first ?? entry.path
                throw ImageBuildError.fileIsParent(file: "/" + entry.path, fileOrigin: origin, child: "/" + child, childOrigin: byPath[child]?.origin ?? existing.origin)
            default:
                if replacingIdentical { return }
                throw ImageBuildError.duplicatePath("/" + entry.path, first: existing.origin, second: origin)
            }
        }
        byPath[entry.path] = Node(entry: entry, origin: origin, implicit: false, layer: layer)
    }

    /// The tree split by layer, bottom first, empty layers left out. Each layer holds its own
    /// entries plus every parent directory they need, with the same mode and owner as in the whole
    /// tree, so the layers stacked in order give exactly `entries`.
    var layers: [LayerContents] {
        var byLayer: [ImageLayerKind: [String: TarEntry]] = [:]
        for node in byPath.values where !node.implicit {
            byLayer[node.layer, default: [:]][node.entry.path] = node.entry
            // Every path already in a layer has its parents there too, so stop at the first one.
            var parent = Substring(node.entry.path)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                guard byLayer[node.layer]?[String(parent)] == nil, let directory = byPath[String(parent)] else { break }
                byLayer[node.layer, default: [:]][directory.entry.path] = directory.entry
            }
        }
        return ImageLayerKind.allCases.compactMap { kind in
            byLayer[kind].map { LayerContents(kind: kind, entries: Array($0.values)) }
        }
    }

    /// The layers to stack on a base image whose file tree is `lower` (paths without the leading
    /// slash, the last base layer's entry for each). A directory our layers carry that the base
    /// already has keeps the base's mode and owner: a resource under /tmp must not turn the base's
    /// 1777 /tmp into 0755. A path the base has as a symlink or file where ours is a directory, or
    /// as a directory where ours is a file, is refused: ours would hide the base's (/lib → usr/lib).
    /// Shared libraries and add-ons go where the base's symlinked directories lead (`placedThroughLinks`), and
    /// one the base already has there, byte for byte (`baseDigests`, by path), is left to the base.
    func layers(over lower: [String: TarEntry], baseDigests: [String: String] = [:]) throws -> [LayerContents] {
        try layers.compactMap { contents in
            var contents = contents
            // Files we generate or bundle (CA bundle, time-zone data, libraries) go where the base's links lead,
            // as Docker's COPY writes through a base's /etc/ssl/certs → /usr/share/… link; a user's resource is
            // refused there instead (`underBaseSymlink`), naming the real path, since its path was chosen.
            if contents.kind == .addOns { try refuseChosenDirectoriesBelowLinks(contents.entries, over: lower) }
            if contents.kind == .sharedLibraries || contents.kind == .addOns {
                contents.entries = try Self.placedThroughLinks(contents.entries, over: lower, baseDigests: baseDigests,
                                                               keepingEmptyDirectories: contents.kind == .addOns)
                if contents.entries.isEmpty { return nil }
            }
            contents.entries = try contents.entries.compactMap { entry in
                guard let below = lower[entry.path] else { return entry }
                switch (entry.kind, below.kind) {
                case (.directory, .directory):
                    var kept = entry
                    (kept.mode, kept.uid, kept.gid) = (below.mode, below.uid, below.gid)
                    return kept
                case (.directory, .symlink(let target)):
                    let inside = contents.entries.filter { $0.path.hasPrefix(entry.path + "/") }
                    // A directory of ours at the base's link to a directory (--workdir /lib): the link gives it.
                    if inside.isEmpty, let real = Self.resolvingLinks(entry.path, in: lower, last: true), lower[real]?.kind == .directory { return nil }
                    // Name what the user put below the link (a file first), and where it belongs instead.
                    let named = inside.filter { $0.kind != .directory }.map(\.path).min() ?? inside.map(\.path).max() ?? entry.path
                    let real = Self.resolvingLinks(named, in: lower, last: false).map { "/" + $0 } ?? "a path that is not below it"
                    throw ImageBuildError.underBaseSymlink(path: "/" + named, origin: byPath[named]?.origin ?? "the image", link: "/" + entry.path, target: target, real: real)
                case (.directory, _), (_, .directory):
                    throw ImageBuildError.hidesBaseEntry(path: "/" + entry.path, origin: byPath[entry.path]?.origin ?? "the image", base: Self.describe(below))
                default:
                    return entry  // a file or link over the base's file or link replaces it, as COPY does
                }
            }
            return contents
        }
    }

    /// A directory the user chose (the working directory: an explicit add-on directory, not one implied
    /// by a file below it) that passes through a base's link is refused, naming the real path: its path
    /// is the user's, and `WorkingDir` would name the link. Generated files below such links are placed.
    func refuseChosenDirectoriesBelowLinks(_ entries: [TarEntry], over lower: [String: TarEntry]) throws {
        for entry in entries where entry.kind == .directory && byPath[entry.path]?.implicit == false {
            let components = entry.path.split(separator: "/")
            for count in 1..<max(1, components.count) {
                let prefix = components.prefix(count).joined(separator: "/")
                guard case .symlink(let target) = lower[prefix]?.kind else { continue }
                let real = Self.resolvingLinks(entry.path, in: lower, last: false).map { "/" + $0 } ?? "a path that is not below it"
                throw ImageBuildError.underBaseSymlink(path: "/" + entry.path, origin: byPath[entry.path]?.origin ?? "the image", link: "/" + prefix, target: target, real: real)
            }
        }
    }

    /// Bundled libraries at the paths the base's symlinked directories lead to: with a merged-/usr
    /// base (/lib → usr/lib), /lib/x86_64-linux-gnu/libc.so.6 goes to /usr/lib/x86_64-linux-gnu/,
    /// where the loader finds it through the base's link, which stays a link. A file the base has
    /// there with the same bytes (`baseDigests`) or a link with the same target is left out: the base
    /// provides it, as with ko and jib. Parent directories the remaining entries need are added (they
    /// take the base's metadata in `layers(over:)`). With `keepingEmptyDirectories` (add-ons: /tmp, the
    /// home and working directories are wanted even when empty) no directory is dropped.
    static func placedThroughLinks(_ entries: [TarEntry], over lower: [String: TarEntry], baseDigests: [String: String] = [:],
                                   keepingEmptyDirectories: Bool = false) throws -> [TarEntry] {
        var placed: [String: TarEntry] = [:]
        // Files first, each path in order: the same inputs give the same result and the same error (a file's path, not its folder's).
        let ordered = entries.sorted { ($0.kind == .directory ? 1 : 0, $0.path) < ($1.kind == .directory ? 1 : 0, $1.path) }
        for var entry in ordered {
            guard let resolved = resolvingLinks(entry.path, in: lower, last: entry.kind == .directory) else {
                throw ImageBuildError.baseLinksLoop(path: "/" + entry.path)
            }
            // A directory that is the root itself (/etc → / on the base): the root is the base's, never ours to reset.
            if resolved.isEmpty { continue }
            entry.path = resolved
            switch (entry.kind, lower[entry.path]?.kind) {
            case (.symlink(let ours), .symlink(let theirs)) where ours == theirs: continue
            case (.file(let content), .file):
                if let theirs = baseDigests[entry.path], try digest(of: content) == theirs { continue }
            default: break
            }
            // Two of our paths may lead to one place (/lib/x and /usr/lib/x): a file wins over a directory.
            if let existing = placed[entry.path], existing.kind != .directory || entry.kind == .directory { continue }
            placed[entry.path] = entry
        }
        // Directories that hold nothing of ours any more (all left to the base) go too.
        placed = placed.filter { path, entry in keepingEmptyDirectories || entry.kind != .directory || placed.keys.contains { $0.hasPrefix(path + "/") && placed[$0]?.kind != .directory } }
        for path in Array(placed.keys) {
            var parent = Substring(path)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                guard placed[String(parent)] == nil else { break }
                placed[String(parent)] = .directory(String(parent))
            }
        }
        return placed.values.sorted { $0.path < $1.path }
    }

    /// The SHA-256 digest of a file's bytes (a host file is streamed).
    static func digest(of content: TarEntry.FileContent) throws -> String {
        var hasher = SHA256()
        switch content {
        case .bytes(let bytes): hasher.update(bytes)
        case .hostFile(let path, _): try BaseImage.stream(file: path) { hasher.update($0) }
        }
        return "sha256:" + hasher.finalize().hexString
    }

    /// `path` with every symlink of the base (`lower`) it goes through followed, as the kernel
    /// would inside the container (absolute targets from the image root); the last component is
    /// followed only when `last`. Nil after 40 links (a loop).
    static func resolvingLinks(_ path: String, in lower: [String: TarEntry], last: Bool) -> String? {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." || component.isEmpty { continue }
            if component == ".." { _ = resolved.popLast(); continue }
            let candidate = (resolved + [component]).joined(separator: "/")
            if pending.isEmpty && !last { resolved.append(component); break }
            guard case .symlink(let target) = lower[candidate]?.kind else { resolved.append(component); continue }
            links += 1
            guard links <= 40 else { return nil }
            if target.hasPrefix("/") { resolved = [] }
            pending = target.split(separator: "/").map(String.init) + pending
        }
        return resolved.joined(separator: "/")
    }

    /// "a directory", "a file", "a symlink → target", for messages.
    private static func describe(_ entry: TarEntry) -> String {
        switch entry.kind {
        case .directory: return "a directory"
        case .file: return "a file"
        case .symlink(let target): return "a symlink → \(target)"
        }
    }

    private mutating func addParents(of path: String, origin: String) throws {
        let components = path.split(separator: "/").dropLast()
        var parent = ""
        for component in components {
            parent = parent.isEmpty ? String(component) : parent + "/" + component
            guard let existing = byPath[parent] else {
                byPath[parent] = Node(entry: .directory(parent), origin: "a directory that /\(path) needs", implicit: true)
                continue
            }
            switch existing.entry.kind {
            case .directory: continue
            case .symlink(let target):
                throw ImageBuildError.throughSymlink(path: "/" + path, origin: origin, link: "/" + parent, target: target)
            case .file:
                throw ImageBuildError.fileIsParent(file: "/" + parent, fileOrigin: existing.origin, child: "/" + path, childOrigin: origin)
            }
        }
    }

    /// Copies a host file, symlink or whole directory tree to `destination` in the image.
    /// Symlinks are copied as links; their targets must stay inside `destination`'s tree, or inside
    /// `symlinkBoundary` when one is given (a tree copied as several resources).
    /// A destination ending in `/` names the folder a file or link goes into, as Docker's `COPY`
    /// (and so the rendered Dockerfile) reads it; a directory's contents go to that folder either way.
    mutating func addHostItem(_ source: String, at destination: String, symlinkBoundary: String? = nil, layer: ImageLayerKind = .resources) throws {
        var destination = destination
        var info = stat()
        if destination.hasSuffix("/"), lstat(source, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
            destination += URL(fileURLWithPath: source).lastPathComponent
        }
        let root = Self.normalize(destination)
        try addHostItem(source, at: root, resourceRoot: symlinkBoundary.map(Self.normalize) ?? root, origin: "resource \(source)", layer: layer)
    }

    private mutating func addHostItem(_ source: String, at destination: String, resourceRoot: String, origin: String, layer: ImageLayerKind) throws {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw ImageBuildError.resourceNotFound(source) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            // A folder copied to / (as `COPY dir /` does) adds its contents; the root itself is no entry.
            if !destination.isEmpty { try add(.directory(destination), origin: origin, layer: layer) }
            let children: [String]
            do { children = try FileManager.default.contentsOfDirectory(atPath: source).sorted() } catch { throw ImageBuildError.unreadable(source) }
            for child in children {
                try addHostItem(source + "/" + child, at: destination + "/" + child, resourceRoot: resourceRoot, origin: "resource \(source)/\(child)", layer: layer)
            }
        case S_IFLNK:
            let target: String
            do { target = try FileManager.default.destinationOfSymbolicLink(atPath: source) } catch { throw ImageBuildError.unreadable(source) }
            let imagePath = Self.normalize(destination)
            // A link given as the resource itself may point at its siblings; links inside a
            // resource directory must stay inside that directory.
            let boundary = resourceRoot == imagePath ? imagePath.split(separator: "/").dropLast().joined(separator: "/") : resourceRoot
            guard !target.isEmpty, let resolved = Self.resolve(target, from: imagePath),
                  boundary.isEmpty || resolved == boundary || resolved.hasPrefix(boundary + "/")
            else {
                throw ImageBuildError.escapingSymlink(link: "/" + imagePath, target: target, origin: origin, boundary: "/" + boundary)
            }
            try add(TarEntry(path: imagePath, kind: .symlink(target: target), mode: 0o777), origin: origin, layer: layer)
        case S_IFREG:
            let executable = info.st_mode & 0o111 != 0
            try add(TarEntry(path: destination, kind: .file(.hostFile(path: source, size: Int(info.st_size))), mode: executable ? 0o755 : 0o644), origin: origin, layer: layer)
        default:
            throw ImageBuildError.notRegularFile(source)
        }
    }

    /// Where a relative symlink target leads, from the link at `linkPath` (image paths without
    /// the leading slash); nil for an absolute target or one that climbs above the root.
    static func resolve(_ target: String, from linkPath: String) -> String? {
        guard !target.hasPrefix("/") else { return nil }
        var components = linkPath.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/") where component != "." {
            if component == ".." {
                guard !components.isEmpty else { return nil }
                components.removeLast()
            } else {
                components.append(String(component))
            }
        }
        return components.joined(separator: "/")
    }
}
