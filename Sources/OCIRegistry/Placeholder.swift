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

/// Pushes an image that is stored as an OCI image layout directory to a registry.
/// (API contract for containertool; the implementation lands with the registry work.)
public struct RegistryPusher: Sendable {
    public var insecure: Bool
    public var log: @Sendable (String) -> Void
    public init(insecure: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.insecure = insecure
        self.log = log
    }
    /// Pushes the single image of the OCI layout at `layout` to `reference` (`HOST[:PORT]/REPO:TAG`).
    public func push(layout: URL, to reference: String) async throws -> PushReport {
        struct NotYet: Error, CustomStringConvertible { var description: String { "registry push is not implemented yet" } }
        throw NotYet()
    }
}
