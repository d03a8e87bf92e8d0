import OCIModel
import Foundation

/// Attaches files to an image in an OCI layout as OCI 1.1 referrers, as oras-go's OCI store keeps
/// them: each file's artifact manifest (the empty config, the file as its one layer, `subject` the
/// image, no timestamps) and its blobs go into `blobs/sha256/`, and the manifest's descriptor (with
/// its `artifactType`, without a tag) into `index.json`, where a reader finds the referrers of an
/// image by the manifests whose `subject` is it. The image's own entry, tag and digest do not change.
public enum OCILayoutReferrers {
    /// Which image of the layout the files are about.
    public enum Subject: Sendable, Equatable {
        /// The only image the layout holds.
        case only
        /// The image tagged so (`org.opencontainers.image.ref.name`).
        case tag(String)
        /// The image listed in `index.json` with this manifest (or index) digest.
        case digest(String)
    }

    /// One file attached: what it is and its artifact manifest's digest.
    public struct Attached: Sendable, Equatable {
        public var artifactType: String
        public var digest: String
    }

    /// The largest file attached: referrers are documents (SBOMs, provenance), read whole.
    public static let maximumFileSize = 64 << 20

    /// Attaches `files` to the `subject` image of the layout at `path`, all or nothing: the blobs
    /// and the new `index.json` are staged under the layout's lock and renamed into place together,
    /// so a failure or an interrupt leaves the layout as it was. Attaching the same file again
    /// changes nothing (its manifest has the same digest, and is listed once).
    public static func attach(_ files: [ReferrerFile], to subject: Subject, inLayout path: String) throws -> [Attached] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path + "/oci-layout"), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              isDirectory.boolValue else { throw LayoutAttachError.notALayout(path) }
        let contents = try files.map { file -> [UInt8] in
            do { return try FileIO.readForeign(file.path.path, maximumSize: maximumFileSize, followingSymlinks: true) } catch let problem as ForeignFileProblem {
                if case .tooLarge(let size, _) = problem { throw LayoutAttachError.fileTooLarge(file.path.path, size: size) }
                throw LayoutAttachError.unreadableFile(file.path.path)
            }
        }
        var attached: [Attached] = []
        let staged = try OCILayoutIndex.stageEdit(of: path) { entries in
            let image = try find(subject, in: entries)
            let emptyConfig = Blob(mediaType: MediaType.emptyJSON, bytes: Referrers.emptyConfig)
            var blobs = [emptyConfig]
            for (file, bytes) in zip(files, contents) {
                let blob = Blob(mediaType: file.artifactType, bytes: bytes)
                let layer = Descriptor(mediaType: file.artifactType, digest: blob.digest, size: Int64(blob.size),
                                       annotations: [AnnotationKey.title: file.path.lastPathComponent])
                let manifest = Blob(mediaType: MediaType.imageManifest,
                                    bytes: try CanonicalJSON.encode(Referrers.artifactManifest(artifactType: file.artifactType, blob: layer, subject: image)))
                entries.removeDigest(manifest.digest)
                try entries.append(Descriptor(mediaType: MediaType.imageManifest, digest: manifest.digest, size: Int64(manifest.size),
                                              artifactType: file.artifactType))
                blobs += [blob, manifest]
                attached.append(Attached(artifactType: file.artifactType, digest: manifest.digest))
            }
            var seen: Set<String> = []
            return blobs.filter { seen.insert($0.digest).inserted }
        }
        try staged.commit()
        return attached
    }

    /// The subject's descriptor, as `index.json` lists it (media type, digest, size); its blob must be there.
    static func find(_ subject: Subject, in entries: OCILayoutIndex.Entries) throws -> Descriptor {
        let images = entries.descriptors.map(\.descriptor).filter { !Referrers.isLayoutReferrer($0) }
        let tags = images.compactMap { $0.annotations?[AnnotationKey.refName] }
        let matches: [Descriptor]
        switch subject {
        case .only:
            matches = images
            guard Set(images.map(\.digest)).count <= 1 else { throw LayoutAttachError.severalImages(entries.path, tags: tags) }
        case .tag(let tag): matches = images.filter { $0.annotations?[AnnotationKey.refName] == tag }
        case .digest(let digest): matches = images.filter { $0.digest == digest }
        }
        guard let image = matches.first else { throw LayoutAttachError.noSuchImage(entries.path, subject: subject, tags: tags) }
        guard ImageReference.isValidDigest(image.digest) else { throw entries.hostile("its image is named by '\(image.digest.prefix(80))', not a sha256 digest") }
        let size = try? DirectoryImageSource(root: entries.path).size(of: OCILayoutReader.blobName(image.digest))
        guard let size, Int64(size) == image.size else {
            throw entries.hostile("the manifest \(image.digest) that index.json lists is missing or has another size")
        }
        return Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size)
    }
}

/// Why files cannot be attached to an image in an OCI layout.
public enum LayoutAttachError: Error, CustomStringConvertible, Equatable {
    case notALayout(String)
    case noSuchImage(String, subject: OCILayoutReferrers.Subject, tags: [String])
    case severalImages(String, tags: [String])
    case unreadableFile(String)
    case fileTooLarge(String, size: Int)

    public var description: String {
        func list(_ tags: [String]) -> String { tags.isEmpty ? "none" : tags.prefix(10).joined(separator: ", ") + (tags.count > 10 ? ", …" : "") }
        switch self {
        case .notALayout(let path):
            return "\(path) is not an OCI layout (no oci-layout file); build one with --output oci-layout:\(path)"
        case .noSuchImage(let path, .tag(let tag), let tags):
            return "the OCI layout \(path) holds no image tagged \(tag) (tags: \(list(tags))); name one of those"
        case .noSuchImage(let path, .digest(let digest), let tags):
            return "the OCI layout \(path) lists no image \(digest) in its index.json (tags: \(list(tags))); attach to an image it holds"
        case .noSuchImage(let path, _, _):
            return "the OCI layout \(path) holds no image; build one into it first"
        case .severalImages(let path, let tags):
            return "the OCI layout \(path) holds several images (tags: \(list(tags))); name one, e.g. oci-layout:\(path):\(tags.first ?? "TAG")"
        case .unreadableFile(let path):
            return "\(path) is not a readable regular file; give the path of the file to attach"
        case .fileTooLarge(let path, let size):
            return "\(path) has \(size) bytes, more than the \(OCILayoutReferrers.maximumFileSize >> 20) MiB a referrer may have; attach a document such as an SBOM"
        }
    }
}
