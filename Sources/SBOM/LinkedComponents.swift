/// The Debian package that owns a linked file, as the builder's package database says.
public struct DebianOwner: Sendable, Equatable {
    public var package: String
    public var version: String
    public var architecture: String

    public init(package: String, version: String, architecture: String) {
        self.package = package
        self.version = version
        self.architecture = architecture
    }
}

/// Turns a link trace into SBOM components: one per toolchain library, per Debian package, per
/// SwiftPM package of the graph, and per file nobody owns. Pure: the package database's answers
/// (`debianOwners`) come in from outside.
public struct LinkedComponents: Sendable, Equatable {
    public var components: [LinkedComponent]
    /// The `Package.resolved` identities whose modules were linked.
    public var linkedPackages: Set<String>

    /// - Parameters:
    ///   - moduleOwners: module name → the identity of the package that declares it; a module
    ///     of `rootPackage` (or not listed) is the product's own code, not a component.
    ///   - debianOwners: linked system path → its Debian package (paths not there are `unowned`).
    ///   - bundledLibraries: shared libraries the image carries (`build --bundle-shared-libraries`):
    ///     each is a `DYNAMIC_LINK` component like a shared library the link named.
    public init(trace: LinkTrace, classifier: LinkInputClassifier, moduleOwners: [String: String], rootPackage: String,
                toolchainVersion: String, debianOwners: [String: DebianOwner], distro: String?, bundledLibraries: [String] = []) {
        struct Key: Hashable { var name: String; var origin: LinkedComponent.Origin; var version: String?; var isDynamic: Bool }
        var files: [Key: [String]] = [:]
        var linkedPackages: Set<String> = []
        for path in trace.contributingPaths + bundledLibraries.filter({ !trace.contributingPaths.contains($0) }) {
            let isDynamic = path.contains(".so") || bundledLibraries.contains(path)
            switch classifier.place(of: path) {
            case let .toolchain(library):
                files[Key(name: library, origin: .swiftToolchain, version: toolchainVersion, isDynamic: isDynamic), default: []].append(path)
            case let .module(module):
                if let owner = moduleOwners[module], owner != rootPackage {
                    linkedPackages.insert(owner)
                }
            case .system:
                if let owner = debianOwners[path] {
                    let origin = LinkedComponent.Origin.debian(architecture: owner.architecture, distro: distro ?? "debian")
                    files[Key(name: owner.package, origin: origin, version: owner.version, isDynamic: isDynamic), default: []].append(path)
                } else {
                    files[Key(name: path, origin: .unowned, version: nil, isDynamic: isDynamic), default: []].append(path)
                }
            }
        }
        // A package linked both ways (a static archive and a shared library) is one static component.
        var merged: [Key: [String]] = [:]
        for (key, paths) in files {
            var staticKey = key
            staticKey.isDynamic = false
            if key.isDynamic, files[staticKey] != nil { merged[staticKey, default: []] += paths } else { merged[key, default: []] += paths }
        }
        components = merged.map { key, paths in
            LinkedComponent(name: key.name, version: key.version, origin: key.origin, files: paths.sorted(), isDynamic: key.isDynamic)
        }.sorted { ($0.name, $0.files.first ?? "") < ($1.name, $1.files.first ?? "") }
        self.linkedPackages = linkedPackages
    }
}
