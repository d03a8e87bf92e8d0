import Foundation

/// Everything that goes into a single-layer `scratch` image around one executable.
public struct ImageSpec: Sendable {
    /// A host file or directory copied into the image.
    public struct Resource: Sendable, Equatable {
        public var source: String
        /// Absolute path inside the image.
        public var destination: String
        public init(source: String, destination: String) {
            self.source = source
            self.destination = destination
        }
    }

    public var executablePath: String
    /// The binary's name inside the image: it lands at `/<name>` and is the entrypoint.
    public var name: String
    public var labels: [String: String] = [:]
    public var environment: [String] = []
    /// `PORT/PROTO` keys, e.g. `8080/tcp`.
    public var exposedPorts: [String] = []
    public var user: String = ImageAssembler.nonrootUser
    public var workingDirectory: String?
    public var command: [String]?
    public var resources: [Resource] = []
    /// Host CA bundle to copy to `/etc/ssl/certs/ca-certificates.crt`.
    public var caCertificatesPath: String?
    public var bundleSharedLibraries = false
    /// Exec-form health check command (without the leading `CMD`).
    public var healthcheck: [String]?
    /// Seconds since the epoch used for `created` and every file time (`SOURCE_DATE_EPOCH`).
    public var sourceDateEpoch: Int = 0

    public init(executablePath: String, name: String) {
        self.executablePath = executablePath
        self.name = name
    }
}

/// Builds the layer, config and manifest for an `ImageSpec`.
public enum ImageAssembler {
    public static let nonrootUser = "65532:65532"
    public static let caBundleImagePath = "etc/ssl/certs/ca-certificates.crt"
    /// Where common distributions keep their CA bundle, first match wins.
    public static let hostCABundleCandidates = [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem",
    ]

    public static func hostCABundle() throws -> String {
        guard let path = hostCABundleCandidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw ImageBuildError.noCABundle(searched: hostCABundleCandidates)
        }
        return path
    }

    /// Validates the executable and returns what its ELF header says.
    public static func inspectExecutable(_ path: String) throws -> ELFExecutable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ImageBuildError.executableNotFound(path) }
        guard !isDirectory.boolValue else { throw ImageBuildError.executableIsDirectory(path) }
        return try ELFExecutable(path: path)
    }

    /// Builds the image with layers stored as `layerCompression` asks.
    public static func assemble(_ spec: ImageSpec, layerCompression: LayerCompression = .gzip) throws -> Image {
        try ImageBuilder(spec).image(layerCompression: layerCompression)
    }

    /// The layer's file system for `spec`: the executable, users, /tmp, options; plus the ELF facts.
    static func fileTree(for spec: ImageSpec) throws -> (FileTree, ELFExecutable) {
        let elf = try inspectExecutable(spec.executablePath)
        var tree = FileTree()
        try tree.add(TarEntry(path: spec.name, kind: .file(.hostFile(path: spec.executablePath, size: try fileSize(spec.executablePath))), mode: 0o755))
        try tree.add(.file("etc/passwd", Array("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n".utf8)))
        try tree.add(.file("etc/group", Array("root:x:0:\nnonroot:x:65532:\n".utf8)))
        try tree.add(.directory("home/nonroot", mode: 0o700, uid: 65532, gid: 65532))
        try tree.add(.directory("tmp", mode: 0o1777))
        if let workingDirectory = spec.workingDirectory, workingDirectory != "/" { try tree.add(.directory(workingDirectory)) }
        if let bundle = spec.caCertificatesPath {
            try tree.add(TarEntry(path: caBundleImagePath, kind: .file(.hostFile(path: bundle, size: try fileSize(bundle))), mode: 0o644))
        }
        if let interpreter = elf.interpreter {
            guard spec.bundleSharedLibraries else { throw ImageBuildError.notStatic(path: spec.executablePath, interpreter: interpreter) }
            for library in try ELFExecutable.sharedLibraryClosure(path: spec.executablePath, interpreter: interpreter) {
                let resolved = (library as NSString).resolvingSymlinksInPath
                try tree.add(TarEntry(path: library, kind: .file(.hostFile(path: resolved, size: try fileSize(resolved))), mode: 0o755), replacingIdentical: true)
            }
        }
        for resource in spec.resources { try tree.addHostItem(resource.source, at: resource.destination) }
        return (tree, elf)
    }

    /// The image config around one layer.
    static func config(for spec: ImageSpec, elf: ELFExecutable, diffID: String) -> ImageConfig {
        let created = rfc3339(epochSeconds: spec.sourceDateEpoch)
        var labels = [AnnotationKey.created: created, AnnotationKey.title: spec.name]
        labels.merge(spec.labels) { _, given in given }
        let containerConfig = ContainerConfig(
            user: spec.user,
            exposedPorts: spec.exposedPorts.isEmpty ? nil : Dictionary(spec.exposedPorts.map { ($0, EmptyObject()) }) { first, _ in first },
            env: spec.environment.isEmpty ? nil : spec.environment,
            entrypoint: ["/" + spec.name],
            cmd: spec.command,
            workingDir: spec.workingDirectory,
            labels: labels,
            healthcheck: spec.healthcheck.map { HealthConfig(test: ["CMD"] + $0) }
        )
        return ImageConfig(
            created: created, architecture: elf.architecture, variant: elf.variant, os: "linux", config: containerConfig,
            rootfs: RootFS(diffIDs: [diffID]),
            history: [HistoryEntry(created: created, createdBy: "containertool build", comment: "scratch image for /\(spec.name)")]
        )
    }

    static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ImageBuildError.unreadable(path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ImageBuildError.notRegularFile(path) }
        return Int(info.st_size)
    }
}

/// Builds one spec's image once per layer compression the destinations ask for: a docker
/// archive stores the plain tar (like `docker save`), OCI outputs and registries gzip. The
/// config, and so the image ID, is the same for both; the manifest digests differ.
public final class ImageBuilder {
    public let spec: ImageSpec
    public let executable: ELFExecutable
    private let entries: [TarEntry]
    private var images: [LayerCompression: Image] = [:]

    /// Validates the executable and collects every file of the layer (nothing is read yet).
    public init(_ spec: ImageSpec) throws {
        self.spec = spec
        let (tree, elf) = try ImageAssembler.fileTree(for: spec)
        entries = tree.entries
        executable = elf
    }

    public func image(layerCompression: LayerCompression) throws -> Image {
        if let image = images[layerCompression] { return image }
        let layer = try LayerBuilder.build(entries: entries, modificationTime: spec.sourceDateEpoch, compression: layerCompression)
        let config = ImageAssembler.config(for: spec, elf: executable, diffID: layer.diffID)
        let image = try Image(layers: [layer], config: config, sourceDateEpoch: spec.sourceDateEpoch)
        images[layerCompression] = image
        return image
    }
}

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

public enum ImageBuildError: Error, CustomStringConvertible, Equatable {
    case executableNotFound(String)
    case executableIsDirectory(String)
    case notStatic(path: String, interpreter: String)
    case unreadable(String)
    case notRegularFile(String)
    case resourceNotFound(String)
    case duplicatePath(String)
    case invalidImagePath(String)
    case noCABundle(searched: [String])
    case invalidTag(String)

    public var description: String {
        switch self {
        case .executableNotFound(let path):
            return "executable not found at \(path); build it first (swift build -c release --static-swift-stdlib -Xswiftc -static-executable) and pass its path"
        case .executableIsDirectory(let path):
            return "\(path) is a directory; pass the executable file inside it, e.g. \(path.hasSuffix("/") ? path : path + "/")NAME"
        case .notStatic(let path, let interpreter):
            return "\(path) is dynamically linked (needs \(interpreter)) and would not start on scratch; rebuild it with --static-swift-stdlib -Xswiftc -static-executable, or pass --bundle-shared-libraries to copy its libraries and loader into the image"
        case .unreadable(let path):
            return "cannot read \(path); check that it exists and is readable"
        case .notRegularFile(let path):
            return "\(path) is not a regular file, directory or symlink; only those can go into the image"
        case .resourceNotFound(let path):
            return "resource \(path) does not exist; check the --resource SRC[:DEST] path"
        case .duplicatePath(let path):
            return "two files would be written to \(path) in the image; give one of them another --resource destination"
        case .invalidImagePath(let path):
            return "'\(path)' is not a valid path inside the image; use an absolute path without '..'"
        case .noCABundle(let searched):
            return "--ca-certificates: no CA bundle found on this machine (looked at \(searched.joined(separator: ", "))); install ca-certificates or add the bundle with --resource FILE:/etc/ssl/certs/ca-certificates.crt"
        case .invalidTag(let text):
            return "'\(text)' is not a valid image reference; use NAME:TAG with a lowercase name, e.g. helloweb:1.0"
        }
    }
}
