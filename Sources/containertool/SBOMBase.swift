import OCIModel
import ContainerImage
import Foundation
import SBOM

/// `containertool sbom --base REF`: the base resolved exactly as `build --from REF` resolves it (the
/// same registry client, cache and tag resolution, so the same digest), and the packages its merged
/// tree's dpkg database lists.
enum SBOMBase {
    /// Link targets outside the first read are fetched in at most this many further reads.
    static let maximumExtraReads = 2

    static func component(_ source: BaseOption.Source, platform: Platform, registry: RegistryOptions, environment: [String: String]) async throws -> BaseImageComponent {
        let base = try await BaseOption.resolve(source, platform: platform, registry: registry, environment: environment)
        // A base of one image is not chosen by platform: as build does, refuse one of another platform.
        guard base.platform.matches(platform) else { throw OtherPlatform(base: base.reference, has: base.platform.name, wanted: platform.name) }
        let contents = try packageDatabase(of: base)
        let digest = base.resolvedDigest ?? base.manifestDigest ?? base.configDigest
        var component = BaseImageComponent(name: name(of: source, base: base), digest: digest,
                                           platformManifestDigest: base.manifestDigest.flatMap { $0 == digest ? nil : $0 },
                                           platform: base.platform.name, osRelease: contents.osRelease, packages: contents.packages,
                                           packageDatabase: contents.database)
        if let host = base.registry, let repository = base.repository { component.repositoryURL = "\(host)/\(repository)" }
        if case let .local(_, path, _) = source { component.purlName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
        let labels = base.config.config?.labels ?? [:]
        component.supplier = [labels["org.opencontainers.image.vendor"], labels["org.opencontainers.image.authors"]].compactMap { $0 }.first { !$0.isEmpty }
        return component
    }

    /// Thrown when a single-image base is of another platform than `--platform`.
    struct OtherPlatform: Error, CustomStringConvertible {
        var base: String
        var has: String
        var wanted: String
        var description: String {
            "the base image \(base) is \(has), not \(wanted); give --platform the platform the image was built for"
        }
    }

    /// The name the SBOM gives the base: a registry base as named (`host/repo:tag`, or pinned when
    /// named by digest); a local one by its kind and file name, never the builder's folders.
    static func name(of source: BaseOption.Source, base: BaseImage) -> String {
        switch source {
        case .registry: return base.resolvedName ?? base.reference
        case let .local(kind, path, tag): return "\(kind.rawValue):\(URL(fileURLWithPath: path).lastPathComponent)" + (tag.map { ":" + $0 } ?? "")
        }
    }

    /// The dpkg database and os-release of the merged tree: one read of the layers for the usual
    /// paths and every link, and one more only when a link leads somewhere else.
    static func packageDatabase(of base: BaseImage) throws -> BasePackageDatabase.Contents {
        var files = try base.contents(ofFilesWhere: BasePackageDatabase.isWanted, keepingSymlinks: true).mapValues(file)
        for _ in 0..<maximumExtraReads {
            let targets = BasePackageDatabase.unreadTargets(in: files)
            guard !targets.isEmpty else { break }
            let more = try base.contents(ofFilesWhere: { BasePackageDatabase.isTarget($0, of: targets) }).mapValues(file)
            // A target that is not there stays unread; asking again would not find it.
            guard !more.isEmpty else { break }
            files.merge(more) { _, new in new }
        }
        return try BasePackageDatabase.read(files)
    }

    private static func file(_ content: BaseImage.FileContent) -> BasePackageDatabase.File {
        switch content {
        case .file(let bytes): return .file(bytes)
        case .tooLarge(let size): return .tooLarge(size: size)
        case .symlink(let target): return .symlink(target: target)
        case .hardLink(let target): return .hardLink(target: target)
        case .other: return .other
        }
    }
}
