/// Finds a base image's dpkg database and `os-release` among the files read from its merged tree,
/// following the base's symbolic links as a process inside the container would (a link is resolved
/// within the image's root: `..` at the root stays there, an absolute target starts at the root), and
/// reads them. Pure: the caller reads the files (`BaseImage.contents(ofFilesWhere:keepingSymlinks:)`).
public enum BasePackageDatabase {
    /// One path of the merged tree, as the caller read it.
    public enum File: Sendable, Equatable {
        case file([UInt8])
        case tooLarge(size: Int)
        case symlink(target: String)
        /// A hard link: the path (from the root) whose bytes it shares.
        case hardLink(target: String)
        /// A directory, device or FIFO.
        case other
    }

    /// What the base holds, for `BaseImageComponent`.
    public struct Contents: Sendable, Equatable {
        /// The installed packages of the status file and `status.d/` together, sorted, one per name and architecture.
        public var packages: [DebianPackage]
        /// The first readable os-release of `osReleasePaths`.
        public var osRelease: OSRelease?
        /// `var/lib/dpkg/status`, `var/lib/dpkg/status.d`, or both joined by ` and `; nil without a database.
        public var database: String?
    }

    public static let statusPath = "var/lib/dpkg/status"
    public static let statusDirectory = "var/lib/dpkg/status.d"
    /// Where os-release is looked for, in order (the spec's order).
    public static let osReleasePaths = ["etc/os-release", "usr/lib/os-release"]
    /// Links followed at most, as Linux's `MAXSYMLINKS`.
    static let maximumLinkHops = 40
    /// Linux's `PATH_MAX`: no link target is this long.
    static let maximumPathLength = 4096

    /// Whether `path` (no leading slash) is one of the files to read: the status file, a stanza file
    /// of `status.d/` (not its `.md5sums`), or an os-release.
    public static func isWanted(_ path: String) -> Bool {
        if path == statusPath || osReleasePaths.contains(path) { return true }
        guard path.hasPrefix(statusDirectory + "/") else { return false }
        let name = path.dropFirst(statusDirectory.count + 1)
        return !name.contains("/") && DebianStatus.isStatusDirectoryStanza(String(name))
    }

    /// Where `path` really is once the links in `files` are followed (every component, the last too);
    /// nil for a loop (more than 40 links, as Linux's `ELOOP`) or a link target longer than Linux's
    /// `PATH_MAX`, so a hostile base's links cost at most 40 short walks.
    public static func resolve(_ path: String, in files: [String: File]) -> String? {
        var pending = path.split(separator: "/").map(String.init).reversed() as [String]
        var resolved = ""
        var hops = 0
        while let component = pending.popLast() {
            if component.isEmpty || component == "." { continue }
            if component == ".." {
                resolved = resolved.lastIndex(of: "/").map { String(resolved[..<$0]) } ?? ""
                continue
            }
            let parent = resolved
            resolved = resolved.isEmpty ? component : resolved + "/" + component
            let target: String
            switch files[resolved] {
            case .symlink(let text)?: target = text
            // A hard link names its target from the root; it only leads somewhere as the last component.
            case .hardLink(let text)? where pending.isEmpty: target = "/" + text
            default: continue
            }
            hops += 1
            guard hops <= maximumLinkHops, target.utf8.count < maximumPathLength else { return nil }
            resolved = target.hasPrefix("/") ? "" : parent
            pending += target.split(separator: "/").map(String.init).reversed()
        }
        return resolved
    }

    /// What a second read must fetch because a wanted path leads, through links, somewhere not read
    /// yet: exact paths, and folders (ending in `/`) whose files are wanted. Empty when all is there.
    public static func unreadTargets(in files: [String: File]) -> [String] {
        var targets: [String] = []
        for path in [statusPath] + osReleasePaths {
            if let real = resolve(path, in: files), real != path, files[real] == nil, !real.isEmpty { targets.append(real) }
        }
        if let directory = resolve(statusDirectory, in: files), directory != statusDirectory, !directory.isEmpty,
           !files.keys.contains(where: { $0.hasPrefix(directory + "/") }) {
            targets.append(directory + "/")
        }
        for (path, file) in files where path.hasPrefix(statusDirectory + "/") {
            switch file {
            case .symlink, .hardLink: break
            default: continue
            }
            guard let real = resolve(path, in: files), files[real] == nil, !real.isEmpty else { continue }
            targets.append(real)
        }
        return Array(Set(targets)).sorted()
    }

    /// Whether `path` is one `unreadTargets` asked for.
    public static func isTarget(_ path: String, of targets: [String]) -> Bool {
        targets.contains { $0.hasSuffix("/") ? path.hasPrefix($0) && !path.dropFirst($0.count).contains("/") : path == $0 }
    }

    /// The installed packages (status file and `status.d/` together), the os-release, and which
    /// database was read. A base without any is no error: it has no packages. A database that is
    /// there but unreadable (too large, not a status file) throws `DebianStatusError`.
    public static func read(_ files: [String: File]) throws(DebianStatusError) -> Contents {
        var packages: [DebianPackage] = []
        var databases: [String] = []
        if let bytes = try bytes(of: statusPath, in: files) {
            packages += try DebianStatus.packages(in: bytes, path: statusPath)
            databases.append(statusPath)
        }
        if let directory = resolve(statusDirectory, in: files) {
            let prefix = directory.isEmpty ? "" : directory + "/"
            let names = files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.filter(DebianStatus.isStatusDirectoryStanza).sorted()
            var found = false
            for name in names {
                let shown = statusDirectory + "/" + name
                guard let bytes = try bytes(of: prefix + name, in: files, shownAs: shown) else { continue }
                packages += try DebianStatus.packages(in: bytes, path: shown, requiresStatus: false)
                found = true
                guard packages.count <= DebianStatus.maximumPackages else { throw .tooManyPackages(path: statusDirectory, limit: DebianStatus.maximumPackages) }
            }
            if found { databases.append(statusDirectory) }
        }
        var osRelease: OSRelease?
        for path in osReleasePaths {
            if case .file(let bytes)? = resolve(path, in: files).flatMap({ files[$0] }), let parsed = OSRelease(parsing: bytes) {
                osRelease = parsed
                break
            }
        }
        return Contents(packages: DebianStatus.sorted(packages), osRelease: osRelease, database: databases.isEmpty ? nil : databases.joined(separator: " and "))
    }

    /// The bytes at `path` once its links are followed; nil when nothing regular is there.
    private static func bytes(of path: String, in files: [String: File], shownAs shown: String? = nil) throws(DebianStatusError) -> [UInt8]? {
        guard let real = resolve(path, in: files) else {
            throw .linkLoop(path: shown ?? path)
        }
        switch files[real] {
        case .file(let bytes)?: return bytes
        case .tooLarge(let size)?: throw .tooLarge(path: shown ?? path, size: size)
        default: return nil
        }
    }
}
