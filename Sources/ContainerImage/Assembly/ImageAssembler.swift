import OCIModel
import Foundation

/// Builds the layers, config and manifest for an `ImageSpec`.
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
        let elf = try ELFExecutable(path: path)
        if let reason = elf.notRunnableReason { throw ImageBuildError.notAnExecutable(path: path, reason: reason) }
        return elf
    }

    /// Builds the image with layers stored as `layerCompression` asks.
    public static func assemble(_ spec: ImageSpec, layerCompression: LayerCompression = .gzip) throws -> Image {
        try ImageBuilder(spec).image(layerCompression: layerCompression)
    }

    /// The image's file system for `spec` (the executable, users, /tmp, options), each entry
    /// tagged with its layer, validated as a whole; plus the ELF facts.
    static func fileTree(for spec: ImageSpec) throws -> (FileTree, ELFExecutable) {
        let elf = try inspectExecutable(spec.executablePath)
        var tree = FileTree()
        try tree.add(TarEntry(path: spec.name, kind: .file(.hostFile(path: spec.executablePath, size: try fileSize(spec.executablePath))), mode: 0o755),
                     origin: "the executable \(spec.executablePath)", layer: .executable)
        // A base image brings its own users and /tmp: its /etc/passwd and /etc/group are never replaced.
        if spec.base == nil {
            for entry in ScratchBase.entries { try tree.add(entry, origin: "the image's base files (users, /tmp)", layer: .addOns) }
        }
        if let workingDirectory = spec.workingDirectory, workingDirectory != "/" {
            try tree.add(.directory(workingDirectory), origin: "the working directory", layer: .addOns)
        }
        if let bundle = spec.caCertificatesPath {
            try tree.add(TarEntry(path: caBundleImagePath, kind: .file(.hostFile(path: bundle, size: try fileSize(bundle))), mode: 0o644),
                         origin: "the CA bundle \(bundle)", layer: .addOns)
        }
        if let interpreter = elf.interpreter {
            guard spec.bundleSharedLibraries else { throw ImageBuildError.notStatic(path: spec.executablePath, interpreter: interpreter) }
            for library in try ELFExecutable.sharedLibraryClosure(path: spec.executablePath, interpreter: interpreter) {
                let resolved = (library as NSString).resolvingSymlinksInPath
                try tree.add(TarEntry(path: library, kind: .file(.hostFile(path: resolved, size: try fileSize(resolved))), mode: 0o755),
                             origin: "the shared library \(library)", layer: .sharedLibraries, replacingIdentical: true)
            }
        }
        for resource in spec.resources { try tree.addHostItem(resource.source, at: resource.destination, symlinkBoundary: resource.symlinkBoundary, layer: resource.layer) }
        for entry in spec.generatedFiles { try tree.add(entry, origin: "the generated file /\(entry.path.drop { $0 == "/" })", layer: .addOns) }
        return (tree, elf)
    }

    /// The image config around its layers (bottom first): one `history` entry per layer.
    static func config(for spec: ImageSpec, elf: ELFExecutable, layers: [(kind: ImageLayerKind, diffID: String)]) -> ImageConfig {
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
            rootfs: RootFS(diffIDs: layers.map(\.diffID)),
            history: layers.map { HistoryEntry(created: created, createdBy: $0.kind.createdBy, comment: historyComment($0.kind, spec: spec)) }
        )
    }

    /// What a layer holds, for its `history` comment.
    static func historyComment(_ kind: ImageLayerKind, spec: ImageSpec) -> String {
        switch kind {
        case .addOns: return spec.base == nil ? "users, /tmp, working directory and add-ons (CA bundle, time-zone data)" : "working directory and add-ons (CA bundle, time-zone data)"
        case .sharedLibraries: return "shared libraries of /\(spec.name)"
        case .resources: return "resource bundles and --resource items"
        case .executable: return "/\(spec.name) on \(spec.base?.historyName ?? "scratch")"
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ImageBuildError.unreadable(path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ImageBuildError.notRegularFile(path) }
        return Int(info.st_size)
    }
}
