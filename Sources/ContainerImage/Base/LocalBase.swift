import OCIModel
import Foundation

/// A base image stored locally (`oci-layout:DIR[:TAG]`, `oci-archive:FILE`, `docker-archive:FILE`),
/// read through `ImageFileSource` like `inspect` reads images. Every blob is copied into the blob
/// cache, hashed while copied and checked against its digest, so the build reads only verified bytes
/// that cannot change under it.
public enum LocalBase {
    public enum Kind: String, Sendable {
        case ociLayout = "oci-layout", ociArchive = "oci-archive", dockerArchive = "docker-archive"
    }

    public static func load(_ kind: Kind, path: String, tag: String?, platform: Platform, cache: BlobCache) throws -> BaseImage {
        let reference = "\(kind.rawValue):\(path)\(tag.map { ":" + $0 } ?? "")"
        /// The history's name for it: its kind and config digest (what it is), never its path or tag (where it lies).
        func historyName(_ configBytes: [UInt8]) -> String { "\(kind.rawValue) base (config \(sha256Digest(configBytes)))" }
        func fail(_ reason: String) -> BaseImageError { .unusable(reference, reason) }
        let source: any ImageFileSource
        switch kind {
        case .ociLayout:
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { throw fail("no such directory") }
            source = DirectoryImageSource(root: path)
        case .ociArchive, .dockerArchive:
            guard FileManager.default.fileExists(atPath: path) else { throw fail("no such file") }
            // A compressed archive is read by offset only once unpacked: say so, not "bad tar header checksum".
            if (try? Gzip.isGzipFile(path)) == true {
                throw fail("it is gzip-compressed; gunzip it first (a plain tar, as docker save and skopeo write, is needed)")
            }
            source = try TarFileImageSource(path: path)
        }

        if kind == .dockerArchive {
            guard let manifestJSON = try source.small("manifest.json"),
                  let entries = try? CanonicalJSON.decode([DockerArchiveManifestEntry].self, from: manifestJSON), !entries.isEmpty else {
                throw fail("it has no readable manifest.json (a plain, uncompressed docker save archive is needed)")
            }
            let entry = try tag.map { wanted in
                guard let match = entries.first(where: { ($0.repoTags ?? []).contains { $0 == wanted || $0.hasSuffix("/" + wanted) } }) else {
                    throw fail("it holds no image tagged \(wanted) (tags: \(entries.flatMap { $0.repoTags ?? [] }.joined(separator: ", ")))")
                }
                return match
            } ?? entries[0]
            // Several images and none named: which one is meant cannot be guessed.
            guard tag != nil || entries.count == 1 else {
                throw fail("it holds \(entries.count) images (tags: \(entries.flatMap { $0.repoTags ?? [] }.joined(separator: ", "))); name one, e.g. docker-archive:\(path):\(entries.first?.repoTags?.first ?? "NAME:TAG")")
            }
            let configFile = try copy(entry.config, from: source, expected: nil, cache: cache, reference: reference)
            var layers: [Descriptor] = []
            var files: [String] = []
            for name in entry.layers {
                let file = try copy(name, from: source, expected: nil, cache: cache, reference: reference)
                let isGzip = (try? Gzip.isGzipFile(file.path)) == true
                layers.append(Descriptor(mediaType: isGzip ? MediaType.layerTarGzip : MediaType.layerTar, digest: file.digest, size: Int64(file.size)))
                files.append(file.path)
            }
            let configBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: configFile.path)))
            return try BaseImage(reference: reference, configBytes: configBytes, layers: layers, layerFiles: files, historyName: historyName(configBytes))
        }

        do {
            let layout = try OCILayoutReader(source)
            // Referrers (an SBOM, a provenance) listed beside the images are never a base.
            var candidates = layout.images
            // Several tags and none named: which image is meant cannot be guessed (entries of one tag are platforms).
            let tags = Set(layout.tags).sorted()
            if tag == nil, tags.count > 1 {
                throw fail("it holds several images (tags: \(tags.joined(separator: ", "))); name one, e.g. \(kind.rawValue):\(path):\(tags[0])")
            }
            if let tag {
                candidates = candidates.filter { $0.annotations?[AnnotationKey.refName] == tag }
                guard !candidates.isEmpty else {
                    throw fail("it holds no image tagged \(tag) (tags: \(layout.tags.joined(separator: ", ")))")
                }
            }
            guard !candidates.isEmpty else { throw fail("its index.json lists no image") }
            let descriptor = try select(platform, from: candidates, in: layout, fail: fail)
            let manifest = try layout.manifest(descriptor).manifest
            if let layer = manifest.unsupportedLayer {
                throw fail("its layer \(layer.digest.prefix(19)) has the media type '\(layer.mediaType.prefix(100))'; only tar and tar+gzip layers are supported")
            }
            let configBytes = try layout.config(manifest.config)
            let files = try manifest.layers.map { try copy(OCILayoutReader.blobName($0.digest), from: source, expected: $0, cache: cache, reference: reference).path }
            var base = try BaseImage(reference: reference, configBytes: configBytes, layers: manifest.layers, layerFiles: files, historyName: historyName(configBytes))
            base.manifestDigest = descriptor.digest
            return base
        } catch let error as OCILayoutError { throw fail("\(error)") }
    }

    /// The image of `platform` among `candidates`, looking into nested indexes as containerd does
    /// (Docker's containerd store writes index.json → index → manifests).
    private static func select(_ platform: Platform, from candidates: [Descriptor], in layout: OCILayoutReader,
                               fail: (String) -> BaseImageError) throws -> Descriptor {
        // The platforms found on the way, for the error.
        var seen: [String] = []
        func select(from entries: [Descriptor], depth: Int) throws -> Descriptor? {
            let level = ImageIndex(manifests: entries)
            seen += level.images.compactMap(\.platform).filter { $0.os != "unknown" }.map(\.name)
            if let match = level.image(for: platform) { return match }
            if entries.count == 1, level.images.count == 1, level.images[0].platform == nil { return level.images[0] }
            // An index entry that names another platform is not looked into (containerd skips it too).
            seen += entries.filter { ImageIndex.isIndex($0.mediaType) && $0.platform.map { !$0.matches(platform) } == true }.compactMap { $0.platform.map { "\($0.name) (an index)" } }
            for nested in entries where ImageIndex.isIndex(nested.mediaType) && (nested.platform.map { $0.matches(platform) } ?? true) {
                guard depth < 4 else { throw fail("its indexes nest more than 4 deep; build on a layout that lists the \(platform.name) image directly") }
                if let found = try select(from: layout.nestedIndex(nested).index.manifests, depth: depth + 1) { return found }
            }
            return nil
        }
        if let descriptor = try select(from: candidates, depth: 0) { return descriptor }
        if seen.isEmpty, candidates.count > 1, candidates.allSatisfy({ ImageManifest.isManifest($0.mediaType) && $0.platform == nil }) {
            throw fail("it lists \(candidates.count) images with neither a tag nor a platform; which one is the base cannot be told")
        }
        if seen.isEmpty, let other = candidates.first(where: { !ImageManifest.isManifest($0.mediaType) && !ImageIndex.isIndex($0.mediaType) }) {
            throw fail("its manifest has the media type '\(other.mediaType.prefix(100))'")
        }
        throw fail("it has no image for \(platform.name) (available: \(seen.isEmpty ? "none" : seen.joined(separator: ", ")))")
    }

    /// Copies `name` into the cache (unless it is there already), hashing it on the way; with
    /// `expected`, a mismatch in digest or size is an error and nothing is cached.
    private static func copy(_ name: String, from source: some ImageFileSource, expected: Descriptor?, cache: BlobCache,
                             reference: String) throws -> (path: String, digest: String, size: Int) {
        if let expected, let cached = try cache.verifiedFile(for: expected) { return (cached, expected.digest, Int(expected.size)) }
        guard try source.size(of: name) != nil else { throw BaseImageError.unusable(reference, "\(name) is missing") }
        let (temporary, descriptor) = try cache.createTemporaryFile(for: expected?.digest ?? "sha256:" + String(repeating: "0", count: 64))
        var hasher = SHA256()
        var size = 0
        do {
            defer { close(descriptor) }
            let output = BufferedFileWriter(descriptor: descriptor, path: temporary)
            try source.stream(name) { chunk in
                hasher.update(chunk)
                size += chunk.count
                try output.write(chunk)
            }
            try output.flush()
        } catch {
            cache.discard(temporary: temporary)
            throw error
        }
        let digest = "sha256:" + hasher.finalize().hexString
        if let expected, expected.digest != digest || Int(expected.size) != size {
            cache.discard(temporary: temporary)
            throw BaseImageError.unusable(reference, "blob \(expected.digest) does not match its digest or size (it hashes to \(digest), \(size) bytes)")
        }
        return (try cache.commit(temporary: temporary, digest: digest), digest, size)
    }
}
