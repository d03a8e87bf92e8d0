import Foundation

/// What a push did: the pushed reference with its digest, and how many blobs were sent or already there.
public struct PushReport: Sendable, Equatable {
    /// `HOST[:PORT]/REPO@sha256:…`
    public var pinnedReference: String
    /// The manifest digest, `sha256:…`, as the registry confirmed it.
    public var digest: String
    public var uploadedBlobs: Int
    public var skippedBlobs: Int
    public init(pinnedReference: String, digest: String, uploadedBlobs: Int, skippedBlobs: Int) {
        self.pinnedReference = pinnedReference
        self.digest = digest
        self.uploadedBlobs = uploadedBlobs
        self.skippedBlobs = skippedBlobs
    }
}

/// Pushes an image that is stored as an OCI image layout directory to a registry, per the OCI
/// distribution spec: `HEAD` each blob and upload only the missing ones (one `PUT` up to
/// `chunkSize` bytes, `PATCH` chunks above), then `PUT` the manifest and check that the registry's
/// `Docker-Content-Digest` is our digest.
///
/// Plain HTTP is used for `localhost`, `127.0.0.1` and `[::1]`, or everywhere when `insecure`;
/// otherwise HTTPS. Credentials come from `CredentialStore` (Docker config, then `~/.netrc`, then
/// `CONTAINERIZE_REGISTRY_USERNAME`/`CONTAINERIZE_REGISTRY_PASSWORD`) and are never logged.
/// Connection errors and 5xx answers are retried per `retryPolicy` (default: 4 attempts, waits of
/// 0.5, 1 and 2 s); 401/403/404/413 fail at once with a `RegistryError` that says what to check.
public struct RegistryPusher: Sendable {
    public var insecure: Bool
    public var log: @Sendable (String) -> Void
    /// Blobs larger than this go up in `PATCH` chunks of this size (default 8 MiB).
    public var chunkSize: Int
    public var retryPolicy: RetryPolicy
    public var credentials: CredentialStore
    /// Seconds one request may stay silent before it counts as a connection error.
    public var requestTimeout: Double

    public init(insecure: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.init(insecure: insecure, chunkSize: 8 << 20, retryPolicy: .standard, credentials: CredentialStore(), log: log)
    }

    public init(insecure: Bool = false, chunkSize: Int, retryPolicy: RetryPolicy, credentials: CredentialStore,
                requestTimeout: Double = 120, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.insecure = insecure
        self.log = log
        self.chunkSize = max(1, chunkSize)
        self.retryPolicy = retryPolicy
        self.credentials = credentials
        self.requestTimeout = requestTimeout
    }

    /// Pushes the single image of the OCI layout at `layout` to `reference` (`HOST[:PORT]/REPO[:TAG]`
    /// or `HOST[:PORT]/REPO@sha256:…`; the tag defaults to `latest`).
    public func push(layout: URL, to reference: String) async throws -> PushReport {
        let target = try RegistryReference(parsing: reference)
        let image = try OCILayout(at: layout)
        let digest = image.manifestDescriptor.digest
        if let pinned = target.digest, pinned != digest {
            throw RegistryError.invalidReference(reference, reason: "it pins \(pinned) but the image's digest is \(digest)")
        }
        let client = try RegistryClient(reference: target, insecure: insecure, credential: credentials.credential(for: target.registry),
                                        retryPolicy: retryPolicy, requestTimeout: requestTimeout, log: log)
        log("pushing \(digest) to \(target)")
        try await client.ping()

        var uploaded = 0
        var skipped = 0
        var seen: Set<String> = []
        for blob in image.blobs where seen.insert(blob.digest).inserted {
            if try await client.blobExists(blob) {
                skipped += 1
                log("blob \(blob.digest.shortDigest) (\(blob.size) bytes) already present, skipped")
            } else {
                log("uploading blob \(blob.digest.shortDigest) (\(blob.size) bytes)\(blob.size > Int64(chunkSize) ? " in chunks" : "")")
                try await client.uploadBlob(blob, from: image.url(of: blob), chunkSize: chunkSize)
                uploaded += 1
            }
        }

        var stored = try await client.putManifest(image.manifestData, mediaType: image.manifestDescriptor.mediaType,
                                                  reference: target.manifestReference)
        if stored == nil { stored = try await client.manifestDigest(reference: target.manifestReference) }
        guard let stored else {
            throw RegistryError.unexpectedResponse(operation: "confirming the manifest", status: 201, detail: "the registry sent no Docker-Content-Digest")
        }
        guard stored == digest else { throw RegistryError.digestMismatch(expected: digest, received: stored) }

        let report = PushReport(pinnedReference: target.pinned(to: digest), digest: digest, uploadedBlobs: uploaded, skippedBlobs: skipped)
        log("pushed \(report.pinnedReference): uploaded \(uploaded) blob\(uploaded == 1 ? "" : "s"), skipped \(skipped) already present")
        return report
    }
}
