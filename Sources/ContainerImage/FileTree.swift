import Foundation

/// The image's file system while it is being put together: one entry per path, parent
/// directories added automatically, conflicting files rejected.
struct FileTree {
    private var byPath: [String: TarEntry] = [:]

    var entries: [TarEntry] { Array(byPath.values) }

    static func normalize(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }

    mutating func add(_ entry: TarEntry, replacingIdentical: Bool = false) throws {
        var entry = entry
        entry.path = Self.normalize(entry.path)
        guard !entry.path.isEmpty, !entry.path.split(separator: "/").contains("..") else { throw ImageBuildError.invalidImagePath(entry.path) }
        addParents(of: entry.path)
        if let existing = byPath[entry.path] {
            if existing.kind == .directory && entry.kind == .directory { return }
            if replacingIdentical { return }
            throw ImageBuildError.duplicatePath("/" + entry.path)
        }
        byPath[entry.path] = entry
    }

    private mutating func addParents(of path: String) {
        var components = path.split(separator: "/").dropLast()
        while !components.isEmpty {
            let parent = components.joined(separator: "/")
            if byPath[parent] == nil { byPath[parent] = .directory(parent) }
            components = components.dropLast()
        }
    }

    /// Copies a host file, symlink or whole directory tree to `destination` in the image.
    mutating func addHostItem(_ source: String, at destination: String) throws {
        var info = stat()
        guard lstat(source, &info) == 0 else { throw ImageBuildError.resourceNotFound(source) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            try add(.directory(destination))
            let children: [String]
            do { children = try FileManager.default.contentsOfDirectory(atPath: source).sorted() } catch { throw ImageBuildError.unreadable(source) }
            for child in children { try addHostItem(source + "/" + child, at: destination + "/" + child) }
        case S_IFLNK:
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: source)
            try add(TarEntry(path: destination, kind: .symlink(target: target), mode: 0o777))
        case S_IFREG:
            let executable = info.st_mode & 0o111 != 0
            try add(TarEntry(path: destination, kind: .file(.hostFile(path: source, size: Int(info.st_size))), mode: executable ? 0o755 : 0o644))
        default:
            throw ImageBuildError.notRegularFile(source)
        }
    }
}
