import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `containertool`, built once per state of its sources into a cache that every package on this
/// machine shares. Why not a tool dependency of the plugin: SwiftPM then builds `containertool` in
/// every package's `.build` (a fresh package pays a whole debug build of it before its own) and
/// re-checks it before every run. Here a run whose sources are unchanged costs a `stat` per source
/// file; a changed source (a new plugin version, an edit to a path dependency) builds it again,
/// incrementally, in one shared scratch folder.
///
/// No PackagePlugin here: the tests compile this file as it is (Tests/ContainerizePluginTests).
struct ToolCache {
    /// The swift-containerize package whose `containertool` this is.
    let sourcePackage: URL
    /// The source files of the package's targets that `containertool` does not depend on (HelloWeb,
    /// the server): editing them does not change the tool, so it is not built again.
    let unrelatedFiles: Set<String>
    /// The cache folder: `bin/containertool-<key>` are the built tools, `build/` the scratch folder.
    let directory: URL
    /// The build configuration: debug, because a whole debug build costs less than a release one and
    /// the tool's hot paths (gzip, SHA-256) are C either way (issue 24's note has the numbers).
    static let configuration = "debug"
    /// Tools of other keys kept (other plugin versions that other packages pin); older ones are removed.
    static let kept = 4

    /// `tools/` in the machine's cache folder (`CacheLocation`: `$CONTAINERIZE_CACHE_DIR`, …).
    static func defaultDirectory(environment: [String: String], home: String) -> URL {
        URL(fileURLWithPath: CacheLocation.root(environment: environment, home: home)).appendingPathComponent("tools")
    }

    /// One file that goes into the key: its path in the package and a hash of its bytes.
    struct SourceFile: Equatable {
        var path: String
        var contentHash: UInt64
    }

    /// The key of a state of the sources: every file's path and content (in path order) and the
    /// toolchain's identity, as 16 hex digits. Content, not modification times: every fresh checkout
    /// of the same version (a new package's `.build/checkouts`, a clone) must find the same tool.
    /// FNV-1a, 64 bits: a cache key, not a defence — the cache folder is the user's own.
    static func key(of files: [SourceFile], toolchain: String) -> String {
        var hash = FNV1a()
        hash.mix(configuration); hash.mix(toolchain)
        for file in files.sorted(by: { $0.path < $1.path }) {
            hash.mix(file.path)
            hash.mix(String(file.contentHash, radix: 16))
        }
        return String(hash.value, radix: 16).leftPadded(to: 16)
    }

    /// The manifests and every file under Sources/ but the unrelated ones (what `swift build
    /// --product containertool` may read; a folder of unknown use counts), with paths relative to the
    /// package; symbolic links followed, as the compiler follows them; hidden files left out.
    /// About 1 MB today: reading and hashing it costs milliseconds.
    static func sourceFiles(of package: URL, excluding unrelated: Set<String>) throws -> [SourceFile] {
        var files: [SourceFile] = []
        // Package.swift, and the version-specific manifests SwiftPM prefers to it (Package@swift-6.2.swift).
        let manifests = ((try? FileManager.default.contentsOfDirectory(atPath: package.path)) ?? [])
            .filter { $0 == "Package.swift" || ($0.hasPrefix("Package@swift-") && $0.hasSuffix(".swift")) }
        for manifest in manifests {
            if let hash = contentHash(package.appendingPathComponent(manifest).path) { files.append(.init(path: manifest, contentHash: hash)) }
        }
        let sources = package.appendingPathComponent("Sources").standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: sources) else { throw ToolCacheError.noSources(package.path) }
        // Not FileManager's enumerator: it does not descend into a linked folder, whose files the
        // compiler reads all the same. A folder reached again (a link loop) is walked once.
        var walked: Set<String> = []
        func walk(_ folder: String, _ relative: String) {
            guard walked.insert(URL(fileURLWithPath: folder).resolvingSymlinksInPath().path).inserted else { return }
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() where !name.hasPrefix(".") {
                let path = folder + "/" + name
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                if info.st_mode & S_IFMT == S_IFDIR {
                    walk(path, relative + name + "/")
                } else if !unrelated.contains(path), let hash = contentHash(path) {
                    files.append(.init(path: relative + name, contentHash: hash))
                }
            }
        }
        walk(sources, "Sources/")
        guard files.contains(where: { $0.path.hasPrefix("Sources/containertool/") }) else { throw ToolCacheError.noSources(package.path) }
        return files
    }

    /// The FNV-1a hash of a regular file's bytes (after links); nil for folders and the rest.
    static func contentHash(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, let data = FileManager.default.contents(atPath: path) else { return nil }
        var hash = FNV1a()
        data.withUnsafeBytes { hash.mix($0) }
        return hash.value
    }

    /// What identifies the toolchain that builds the tool: its `swift`'s path, size and modification
    /// time (a new toolchain at the same path is another file).
    static func toolchainIdentity(_ swift: String) -> String {
        var info = stat()
        guard stat(swift, &info) == 0 else { return swift }
        return "\(swift) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// The built tool for the sources as they are now: the cached one, else built by `build` (which
    /// gets the scratch folder and returns the binary it made) and kept. Two runs at once build it
    /// once: the second waits for the first's lock, then finds the tool.
    func tool(toolchain: String, build: (_ scratch: URL) throws -> URL, progress: (String) -> Void) throws -> URL {
        let key = Self.key(of: try Self.sourceFiles(of: sourcePackage, excluding: unrelatedFiles), toolchain: toolchain)
        let tools = directory.appendingPathComponent("bin")
        let cached = tools.appendingPathComponent("containertool-" + key)
        // The folders are checked before the cached tool is run, not only before one is stored: a
        // folder others can write to may hold a tool someone else put there under the (predictable) key.
        let parent = directory.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: parent.path) {
            do { try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
                throw ToolCacheError.cannotStore(parent.path, Self.reason(error))
            }
        }
        try Self.checkParent(parent)
        try Self.makePrivateDirectory(directory)
        try Self.makePrivateDirectory(tools)
        if Self.isUsableTool(cached.path) {
            // Its time is its last use: `prune` keeps the tools in use, not the newest built.
            utimensat(AT_FDCWD, cached.path, nil, 0)
            return cached
        }

        let lock = try Self.lock(directory.appendingPathComponent("lock"), waiting: {
            progress("Waiting for another run that is building containertool (\(directory.path))…")
        })
        defer { close(lock) }
        if Self.isUsableTool(cached.path) { return cached }
        // Something else under the name (a folder, an empty file a crash left): built again.
        try? FileManager.default.removeItem(at: cached)

        progress("Building containertool for this version of swift-containerize, once (cached in \(directory.path))…")
        let scratch = directory.appendingPathComponent("build")
        Self.forgetMovedScratch(scratch)
        let built = try build(scratch)
        try? scratch.path.write(to: scratch.appendingPathComponent(Self.scratchPathMark), atomically: true, encoding: .utf8)
        // A copy, not the scratch folder's binary: the next build of other sources rewrites that one,
        // maybe under a run that is using it.
        let temporary = tools.appendingPathComponent(".containertool-\(key)-\(getpid())")
        try? FileManager.default.removeItem(at: temporary)
        do {
            try FileManager.default.copyItem(at: built, to: temporary)
            // On disk before it has its name: after a crash the name holds the whole tool or nothing.
            guard chmod(temporary.path, 0o755) == 0, Self.sync(temporary.path), rename(temporary.path, cached.path) == 0 else {
                throw ToolCacheError.cannotStore(cached.path, String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let known = error as? ToolCacheError { throw known }
            throw ToolCacheError.cannotStore(cached.path, Self.reason(error))
        }
        Self.prune(tools, keeping: cached)
        return cached
    }

    /// Whether `path` is a tool this cache stored: a non-empty executable regular file of ours that
    /// others cannot write to (not a link, a folder or what an interrupted write left).
    /// An ELF file must reach the end of its section header table, which the linker puts last: a
    /// truncated copy (a crash, a bad disk) is found here, not by "Exec format error" on every run.
    static func isUsableTool(_ path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0, info.st_uid == geteuid(),
              info.st_mode & 0o022 == 0, info.st_mode & 0o100 != 0 else { return false }
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: 64)
        let count = header.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 64) }
        return elfIsWhole(header: Array(header.prefix(max(count, 0))), size: Int(info.st_size))
    }

    /// Whether a file of `size` bytes starting with `header` holds all of its ELF section headers;
    /// true for what is not a 64-bit little-endian ELF file (a Mach-O tool, a script).
    static func elfIsWhole(header: [UInt8], size: Int) -> Bool {
        guard header.count >= 4, header[0..<4] == [0x7f, 0x45, 0x4c, 0x46] else { return true }
        guard header.count == 64, header[4] == 2, header[5] == 1 else { return header.count == 64 }
        func little(_ offset: Int, _ width: Int) -> Int { (0..<width).reduce(0) { $0 | Int(header[offset + $1]) << (8 * $1) } }
        let tableEnd = little(0x28, 8) + little(0x3A, 2) * little(0x3C, 2)
        return size >= max(tableEnd, 64)
    }

    /// The file in the scratch folder that says where it was when it last built.
    static let scratchPathMark = ".containerize-scratch-path"

    /// Empties a scratch folder that was built at another path (the cache folder copied, moved, or
    /// restored by CI elsewhere): the compiler's module cache holds absolute paths, and the next build
    /// there fails with "was compiled with module cache path …" until it is removed.
    static func forgetMovedScratch(_ scratch: URL) {
        let mark = scratch.appendingPathComponent(scratchPathMark)
        guard let recorded = try? String(contentsOf: mark, encoding: .utf8), recorded != scratch.path else { return }
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The system's words for why a file operation failed ("No space left on device"), not
    /// Foundation's "The operation could not be completed. (NSCocoaErrorDomain error 640.)".
    static func reason(_ error: any Error) -> String {
        let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
        for candidate in [underlying, error as NSError].compactMap({ $0 }) where candidate.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(candidate.code)))
        }
        if (error as? CocoaError)?.code == .fileWriteOutOfSpace { return String(cString: strerror(ENOSPC)) }
        return error.localizedDescription
    }

    /// `fsync` of a file; false when it cannot be opened or synced.
    static func sync(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return fsync(descriptor) == 0
    }

    /// Removes all but the `kept` newest tools (by modification time); `keeping` always stays. Called
    /// under the lock, so a temporary copy left there is an interrupted run's: removed too.
    static func prune(_ tools: URL, keeping current: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tools.path)) ?? []
        for leftover in names where leftover.hasPrefix(".containertool-") { try? FileManager.default.removeItem(atPath: tools.path + "/" + leftover) }
        let others = names.filter { $0.hasPrefix("containertool-") && $0 != current.lastPathComponent }
            .map { name -> (name: String, modified: Int) in
                var info = stat()
                return (name, stat(tools.path + "/" + name, &info) == 0 ? info.st_mtim.tv_sec : 0)
            }
            .sorted { $0.modified > $1.modified }
        for stale in others.dropFirst(kept - 1) { try? FileManager.default.removeItem(atPath: tools.path + "/" + stale.name) }
    }

    /// Creates `url` as 0700 if missing; refuses one that another user owns or others may write to,
    /// since what it holds is run with our credentials.
    static func makePrivateDirectory(_ url: URL) throws {
        if mkdir(url.path, 0o700) != 0 && errno != EEXIST { throw ToolCacheError.cannotStore(url.path, String(cString: strerror(errno))) }
        var info = stat()
        guard lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw ToolCacheError.notPrivate(url.path) }
        guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else { throw ToolCacheError.notPrivate(url.path) }
    }

    /// Refuses a parent folder another user could swap the cache folder in: one owned by someone else
    /// (but root), or everyone may write to without the sticky bit (`/tmp` is fine). Group write is
    /// allowed: with a umask of 002 (a group per user) every folder the user makes has it.
    static func checkParent(_ url: URL) throws {
        var info = stat()
        guard stat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw ToolCacheError.notPrivate(url.path) }
        guard info.st_uid == geteuid() || info.st_uid == 0, info.st_mode & 0o002 == 0 || info.st_mode & S_ISVTX != 0 else {
            throw ToolCacheError.notPrivate(url.path)
        }
    }

    /// An exclusive `flock` on `path`, held until the descriptor is closed (or the process ends).
    static func lock(_ path: URL, waiting: () -> Void) throws -> Int32 {
        let descriptor = open(path.path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ToolCacheError.cannotStore(path.path, String(cString: strerror(errno))) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return descriptor }
        waiting()
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                throw ToolCacheError.cannotStore(path.path, String(cString: strerror(errno)))
            }
        }
        return descriptor
    }
}

/// Why the cached `containertool` cannot be found or kept; one line each, with the way out.
enum ToolCacheError: Error, CustomStringConvertible, Equatable {
    case noSources(String)
    case notPrivate(String)
    case cannotStore(String, String)

    var description: String {
        switch self {
        case let .noSources(package):
            return "cannot find containertool's sources in \(package) (the package that provides the containerize plugin); run `swift package resolve` and retry"
        case let .notPrivate(path):
            return "the containertool cache \(path) is not a folder of yours that only you can write to; remove it, or set CONTAINERIZE_CACHE_DIR to another folder"
        case let .cannotStore(path, reason):
            return "cannot keep containertool in \(path): \(reason); free space there, or set CONTAINERIZE_CACHE_DIR to another folder"
        }
    }
}

/// FNV-1a, 64 bits.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ bytes: UnsafeRawBufferPointer) {
        var hash = value
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        value = hash
    }

    /// A text, then a zero byte (no path or number contains one), so "ab"+"c" and "a"+"bc" differ.
    mutating func mix(_ text: String) {
        var text = text
        text.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
        value = value &* 0x100_0000_01b3
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
