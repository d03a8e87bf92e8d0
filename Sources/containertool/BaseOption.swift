import OCIModel
import ContainerImage
import Foundation
import OCIRegistry

/// `--from REF`: the base image to build on, and how it is fetched (see docs/base-images.md).
enum BaseOption {
    static let usage = """
          --from REF                 build on a base image instead of scratch: HOST[:PORT]/REPO[:TAG|@sha256:…]
                                       (pulled through the registry options below, blobs cached by
                                       digest in $CONTAINERIZE_CACHE_DIR, $XDG_CACHE_HOME/containerize or
                                       ~/.cache/containerize), oci-layout:DIR[:TAG], oci-archive:FILE[:TAG]
                                       or docker-archive:FILE[:NAME:TAG] (the image to use when it holds
                                       several), or scratch; its config is inherited, ours overrides it
        """

    enum Source: Equatable {
        case registry(String)
        case local(LocalBase.Kind, path: String, tag: String?)
    }

    /// `--from scratch` is no base at all, as Docker's `FROM scratch` (not `docker.io/library/scratch`).
    static let scratch = "scratch"

    /// Parses `--from`'s value (nothing is read yet); nil for `scratch`.
    static func parse(_ text: String) throws -> Source? {
        if text == scratch { return nil }
        for kind in [LocalBase.Kind.ociLayout, .ociArchive, .dockerArchive] where text.hasPrefix(kind.rawValue + ":") {
            var path = String(text.dropFirst(kind.rawValue.count + 1))
            var tag: String?
            // KIND:PATH:TAG (a docker archive's tag is NAME:TAG), unless PATH itself (with its colons) exists:
            // the path is the shortest prefix before a colon that exists (else, for a layout, all before the last colon).
            if path.contains(":"), !FileManager.default.fileExists(atPath: BuildCommand.absolutePath(path)) {
                let colons = path.indices.filter { path[$0] == ":" }
                let colon = colons.first { FileManager.default.fileExists(atPath: BuildCommand.absolutePath(String(path[..<$0]))) }
                    ?? (kind == .dockerArchive ? colons.first! : colons.last!)
                tag = String(path[path.index(after: colon)...])
                path = String(path[..<colon])
            }
            guard !path.isEmpty else { throw UsageError("--from \(text): the \(kind.rawValue) path is empty, e.g. --from \(kind.rawValue):base.tar") }
            if let tag, kind == .dockerArchive ? (try? ImageReference(parsing: tag, allowDigest: false)) == nil : !ImageReference.isValidTag(tag) {
                throw UsageError("--from \(text): '\(tag)' is not a valid \(kind == .dockerArchive ? "NAME:TAG" : "tag")")
            }
            return .local(kind, path: BuildCommand.absolutePath(path), tag: tag)
        }
        do { _ = try RegistryReference(parsing: text) } catch {
            throw UsageError("--from: \(error) Or give oci-layout:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG] or scratch.")
        }
        return .registry(text)
    }

    /// The base for `platform`: pulled (manifest always, blobs only when not cached) or read locally.
    static func resolve(_ source: Source, platform: Platform, registry: RegistryOptions, environment: [String: String]) async throws -> BaseImage {
        try await resolve(source, platforms: [platform], registry: registry, environment: environment)[0]
    }

    /// The base for each of `platforms`, in that order. A registry tag is resolved once for all of them,
    /// and each base records the name and the digest it resolved to (see `BaseImage.manifestAnnotations`).
    static func resolve(_ source: Source, platforms: [Platform], registry: RegistryOptions, environment: [String: String]) async throws -> [BaseImage] {
        let cache = BlobCache(root: BlobCache.defaultRoot(environment: environment))
        switch source {
        case let .local(kind, path, tag):
            return try platforms.map { try LocalBase.load(kind, path: path, tag: tag, platform: $0, cache: cache) }
        case let .registry(reference):
            let puller = RegistryPuller(connection: registry.connection, credentials: CredentialStore(environment: environment),
                                        log: { printError("containertool: \($0)") })
            var bases: [BaseImage] = []
            for pulled in try await puller.pull(reference, platforms: platforms, cache: cache) {
                var base = try BaseImage(reference: pulled.pinnedReference, configBytes: [UInt8](pulled.configData), layers: pulled.manifest.layers,
                                         layerFiles: pulled.layerFiles, registry: pulled.reference.registry, repository: pulled.reference.repository)
                base.resolvedName = pulled.resolvedName
                base.resolvedDigest = pulled.resolvedDigest
                // A push to the same registry mounts these blobs from the base's repository instead of uploading them.
                for layer in pulled.manifest.layers {
                    await registry.ledger.recordKnown(layer.digest, on: pulled.reference.registry, in: pulled.reference.repository)
                }
                bases.append(base)
            }
            return bases
        }
    }
}
