import Foundation

/// What a push did: the pushed reference with its digest, and how many blobs were sent, mounted or already there.
public struct PushReport: Sendable, Equatable {
    /// `HOST[:PORT]/REPO@sha256:…`
    public var pinnedReference: String
    /// The manifest digest, `sha256:…`, as the registry confirmed it.
    public var digest: String
    public var uploadedBlobs: Int
    public var skippedBlobs: Int
    /// Blobs linked from another repository of the same registry instead of uploaded.
    public var mountedBlobs: Int
    /// The layout's referrers of the image, pushed after it.
    public var referrers: [AttachedReferrer]
    public init(pinnedReference: String, digest: String, uploadedBlobs: Int, skippedBlobs: Int, mountedBlobs: Int = 0, referrers: [AttachedReferrer] = []) {
        self.pinnedReference = pinnedReference
        self.digest = digest
        self.uploadedBlobs = uploadedBlobs
        self.skippedBlobs = skippedBlobs
        self.mountedBlobs = mountedBlobs
        self.referrers = referrers
    }
}

/// Which blobs are known to be in which repository of which registry, across the pushes of one run:
/// a later push to another repository of the same registry mounts them instead of uploading.
public actor BlobLedger {
    private var repositories: [String: [String: [String]]] = [:]

    public init() {}

    /// Repositories of `registry` known to hold `digest`, other than `repository`.
    func sources(of digest: String, on registry: String, except repository: String) -> [String] {
        (repositories[registry]?[digest] ?? []).filter { $0 != repository }
    }

    /// Every repository of `registry` that holds a blob we pushed or saw.
    func repositories(on registry: String) -> [String] {
        Array(Set((repositories[registry] ?? [:]).values.joined())).sorted()
    }

    /// Notes that `repository` of `registry` holds `digest` (e.g. a base image's layer), so a push to
    /// another repository there mounts it instead of uploading it.
    public func recordKnown(_ digest: String, on registry: String, in repository: String) {
        record(digest, on: registry, in: repository)
    }

    func record(_ digest: String, on registry: String, in repository: String) {
        if !(repositories[registry]?[digest] ?? []).contains(repository) {
            repositories[registry, default: [:]][digest, default: []].append(repository)
        }
    }
}

/// Pushes an image that is stored as an OCI image layout directory to a registry, per the OCI
/// distribution spec: `HEAD` each blob; a missing one is mounted from another repository of the
/// same registry when `ledger` knows one (falling back to upload when the registry declines), else
/// uploaded (one `PUT` up to `chunkSize` bytes, `PATCH` chunks above); then `PUT` the manifest and
/// check that the registry's `Docker-Content-Digest` is our digest.
///
/// TLS, trust and timeouts come from `connection` (see `ConnectionOptions`). Credentials come from
/// `CredentialStore` and go only to the registry's origin and its token realm; they are never logged.
/// Refused or broken connections, 429 and 5xx are retried per `retryPolicy` with jittered backoff;
/// timeouts, TLS problems and 401/403/404/413 fail at once with a `RegistryError` that says what to check.
public struct RegistryPusher: Sendable {
    public var connection: ConnectionOptions
    public var log: @Sendable (String) -> Void
    /// Blobs larger than this go up in `PATCH` chunks of this size (default 8 MiB).
    public var chunkSize: Int
    public var retryPolicy: RetryPolicy
    public var credentials: CredentialStore
    /// Shared by the pushes of one run so blobs are uploaded once per registry.
    public var ledger: BlobLedger

    public init(chunkSize: Int = 8 << 20, retryPolicy: RetryPolicy = .standard, credentials: CredentialStore = CredentialStore(),
                connection: ConnectionOptions = ConnectionOptions(), ledger: BlobLedger = BlobLedger(),
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.connection = connection
        self.log = log
        self.chunkSize = max(1, chunkSize)
        self.retryPolicy = retryPolicy
        self.credentials = credentials
        self.ledger = ledger
    }

    /// Pushes the image of the OCI layout at `layout` to `reference` (`HOST[:PORT]/REPO[:TAG]`
    /// or `HOST[:PORT]/REPO@sha256:…`; the tag defaults to `latest`). When the layout's one entry is
    /// an image index, every blob goes up first, then each platform's manifest by digest, then the
    /// index under the tag; the reported digest is the index's.
    public func push(layout: URL, to reference: String) async throws -> PushReport {
        let target = try RegistryReference(parsing: reference)
        let image = try OCILayout(at: layout)
        let digest = image.manifestDescriptor.digest
        if let pinned = target.digest, pinned != digest {
            throw RegistryError.invalidReference(reference, reason: "it pins \(pinned) but the image's digest is \(digest)")
        }
        let registry = target.registry
        let client = try RegistryClient(reference: target, connection: connection, credential: try credentials.credential(for: registry),
                                        retryPolicy: retryPolicy, mountSources: await ledger.repositories(on: registry), log: log)
        log("pushing \(digest) to \(target)")
        try await client.ping()

        var uploaded = 0
        var skipped = 0
        var mounted = 0
        var seen: Set<String> = []
        for blob in image.blobs where seen.insert(blob.digest).inserted {
            if try await client.blobExists(blob) {
                skipped += 1
                log("blob \(blob.digest.shortDigest) (\(blob.size) bytes) already present, skipped")
            } else {
                var session: String?
                var done = false
                for source in await ledger.sources(of: blob.digest, on: registry, except: target.repository) where !done {
                    switch try await client.mountBlob(blob, from: source) {
                    case .mounted:
                        mounted += 1
                        done = true
                        log("mounted blob \(blob.digest.shortDigest) from \(source)")
                    case let .declined(location):
                        session = location ?? session
                        log("the registry declined to mount blob \(blob.digest.shortDigest) from \(source); uploading it")
                    }
                }
                if !done {
                    log("uploading blob \(blob.digest.shortDigest) (\(blob.size) bytes)\(blob.size > Int64(chunkSize) ? " in chunks" : "")")
                    try await client.uploadBlob(blob, from: image.url(of: blob), chunkSize: chunkSize, session: session)
                    uploaded += 1
                }
            }
            await ledger.record(blob.digest, on: registry, in: target.repository)
        }

        // An index's manifests go up first (by digest), so the index never names a missing manifest.
        if image.isIndex {
            for entry in image.manifests {
                var stored = try await client.putManifest(entry.data, mediaType: entry.descriptor.mediaType, reference: entry.descriptor.digest)
                if stored == nil { stored = try await client.manifestDigest(reference: entry.descriptor.digest) }
                guard stored == entry.descriptor.digest else { throw RegistryError.digestMismatch(what: "manifest", expected: entry.descriptor.digest, received: stored ?? "none") }
                log("pushed manifest \(entry.descriptor.digest.shortDigest)\(entry.descriptor.platform.map { " (\($0.os)/\($0.architecture))" } ?? "")")
            }
        }
        var stored = try await client.putManifest(image.manifestData, mediaType: image.manifestDescriptor.mediaType,
                                                  reference: target.manifestReference)
        if stored == nil { stored = try await client.manifestDigest(reference: target.manifestReference) }
        guard let stored else {
            throw RegistryError.unexpectedResponse(operation: "confirming the manifest", status: 201, detail: "the registry sent no Docker-Content-Digest")
        }
        guard stored == digest else { throw RegistryError.digestMismatch(what: "manifest", expected: digest, received: stored) }

        // The layout's referrers of the image (its SBOM, its provenance) follow it, as `attach` would put them.
        var referrers: [AttachedReferrer] = []
        for referrer in image.referrers {
            for blob in [referrer.manifest.config] + referrer.manifest.layers {
                try await ensureBlob(blob, from: image.url(of: blob), client: client)
            }
            referrers.append(try await putReferrer(referrer.data, artifactType: referrer.manifest.artifactType ?? referrer.descriptor.artifactType ?? "",
                                                   subject: digest, client: client))
        }
        let report = PushReport(pinnedReference: target.pinned(to: digest), digest: digest, uploadedBlobs: uploaded, skippedBlobs: skipped, mountedBlobs: mounted,
                                referrers: referrers)
        log("pushed \(report.pinnedReference): uploaded \(uploaded) blob\(uploaded == 1 ? "" : "s"), skipped \(skipped) already present"
            + (mounted > 0 ? ", mounted \(mounted) from another repository" : ""))
        return report
    }
}
