import OCIModel
import Foundation

/// What `attach` did for one file.
public struct AttachedReferrer: Sendable, Equatable {
    public var artifactType: String
    /// The artifact manifest's digest.
    public var digest: String
    /// `true` when the registry has the referrers API (it answered with `OCI-Subject`); `false` when
    /// the fallback tag's index was updated instead.
    public var viaReferrersAPI: Bool
}

extension RegistryPusher {
    /// Attaches each file to the manifest `reference` names (`HOST/REPO@sha256:…`) as an OCI 1.1
    /// artifact: the blob and the empty config go up, then the artifact manifest (its `subject` the
    /// image) by digest. A registry without the referrers API (no `OCI-Subject` header) gets the
    /// distribution spec's fallback: the index under `sha256-<hex>`, read, extended and written back,
    /// keeping what other tools listed there.
    public func attach(_ files: [ReferrerFile], to reference: String) async throws -> [AttachedReferrer] {
        let target = try RegistryReference(parsing: reference)
        guard let subjectDigest = target.digest else {
            throw RegistryError.invalidReference(reference, reason: "attach to a digest (HOST/REPO@sha256:…), so the artifacts are about one image")
        }
        let client = try RegistryClient(reference: target, connection: connection, credential: try credentials.credential(for: target.registry),
                                        retryPolicy: retryPolicy, mountSources: [], log: log)
        try await client.ping()
        let image: FetchedManifest
        do {
            image = try await client.fetchManifest(reference: subjectDigest)
        } catch RegistryError.notFound {
            throw RegistryError.unusableImage(reference: reference, reason: "the registry does not have it; push the image first, then attach to the pinned reference the push printed")
        }
        let subject = Descriptor(mediaType: image.mediaType, digest: image.digest, size: Int64(image.data.count))

        let directory = try Self.makeScratchFolder("containertool-attach")
        defer { PendingOutputs.shared.remove(directory.path) }
        let emptyConfig = directory.appendingPathComponent("empty.json")
        try Data(Referrers.emptyConfig).write(to: emptyConfig)
        try await ensureBlob(Referrers.emptyConfigDescriptor, from: emptyConfig, client: client)

        var attached: [AttachedReferrer] = []
        for file in files {
            let bytes = try Data(contentsOf: file.path)
            let blob = Descriptor(mediaType: file.artifactType, digest: "sha256:" + SHA256.hash(bytes).hexString, size: Int64(bytes.count),
                                  annotations: [AnnotationKey.title: file.path.lastPathComponent])
            // A copy: the blob must not change between hashing and uploading.
            let copy = directory.appendingPathComponent(blob.digest.replacingOccurrences(of: ":", with: "-"))
            try bytes.write(to: copy)
            try await ensureBlob(blob, from: copy, client: client)
            let manifest = Referrers.artifactManifest(artifactType: file.artifactType, blob: blob, subject: subject)
            attached.append(try await putReferrer(Data(try CanonicalJSON.encode(manifest)), artifactType: file.artifactType, subject: subject.digest, client: client))
        }
        return attached
    }

    /// Puts an artifact manifest (its blobs already in the registry) by digest; a registry without the
    /// referrers API (no `OCI-Subject`) gets it listed in the fallback tag's index of `subject`.
    func putReferrer(_ data: Data, artifactType: String, subject: String, client: RegistryClient) async throws -> AttachedReferrer {
        let digest = "sha256:" + SHA256.hash(data).hexString
        let stored = try await client.putManifestReportingSubject(data, mediaType: MediaType.imageManifest, reference: digest)
        if let stored = stored.digest, stored != digest { throw RegistryError.digestMismatch(what: "artifact manifest", expected: digest, received: stored) }
        let viaAPI = stored.subject == subject
        if !viaAPI {
            try await addToFallbackIndex(Descriptor(mediaType: MediaType.imageManifest, digest: digest, size: Int64(data.count),
                                                    annotations: nil, artifactType: artifactType),
                                         subject: subject, client: client)
        }
        log("attached \(artifactType) \(digest.shortDigest) to \(subject.shortDigest)\(viaAPI ? "" : " (fallback tag \(Referrers.fallbackTag(of: subject)))")")
        return AttachedReferrer(artifactType: artifactType, digest: digest, viaReferrersAPI: viaAPI)
    }

    /// A fresh folder in `$TMPDIR` for the small blobs an artifact or signature uploads, registered
    /// so that an interrupt removes it; the caller removes it with `PendingOutputs.shared.remove`.
    static func makeScratchFolder(_ label: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try PendingOutputs.shared.whileOpen { registry in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
            registry.register(directory.path)
        }
        return directory
    }

    func ensureBlob(_ blob: Descriptor, from file: URL, client: RegistryClient) async throws {
        if try await client.blobExists(blob) { return }
        try await client.uploadBlob(blob, from: file, chunkSize: chunkSize)
    }

    /// Reads the fallback tag's index (absent: a new one), adds `entry`, writes it back.
    private func addToFallbackIndex(_ entry: Descriptor, subject: String, client: RegistryClient) async throws {
        let tag = Referrers.fallbackTag(of: subject)
        var existing: ImageIndex?
        if try await client.manifestDigest(reference: tag) != nil {
            let fetched = try await client.fetchManifest(reference: tag)
            guard ImageIndex.isIndex(fetched.mediaType) || fetched.mediaType.isEmpty else {
                throw RegistryError.unusableImage(reference: "\(client.reference.registry)/\(client.reference.repository):\(tag)",
                                                  reason: "the referrers fallback tag holds a \(fetched.mediaType), not an index; delete that tag and attach again")
            }
            existing = try CanonicalJSON.decode(ImageIndex.self, from: [UInt8](fetched.data))
        }
        let index = Referrers.index(adding: entry, to: existing)
        _ = try await client.putManifest(Data(try CanonicalJSON.encode(index)), mediaType: MediaType.imageIndex, reference: tag)
    }
}
