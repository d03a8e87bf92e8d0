import OCIModel
import Foundation

/// What a registry holds about one image for a verifier: its cosign signatures and its OCI 1.1 referrers.
public struct ImageAttestations: Sendable {
    /// `HOST/REPO@sha256:…` of the image (a tag resolved once, at the start).
    public var pinnedReference: String
    public var digest: String
    /// `HOST/REPO:sha256-<hex>.sig`, whether it exists or not.
    public var signatureTag: String
    /// Each payload layer of the signature image: its bytes and its signature annotation (base64), if any.
    public var signatures: [(payload: [UInt8], signature: String?)]
    /// The referrers (artifact manifests whose subject is the image), from the referrers API or the fallback tag.
    public var referrers: [Descriptor]
}

extension RegistryPuller {
    /// Payloads larger than this are not fetched (cosign's are a few hundred bytes).
    static let maxPayloadBytes: Int64 = 64 << 10
    /// More signature layers than this are not read (each is one request).
    static let maxSignatures = 64

    /// The signatures and referrers of the image `text` names (a tag is resolved to its digest first).
    public func attestations(of text: String) async throws -> ImageAttestations {
        let reference = try RegistryReference(parsing: text)
        let client = try RegistryClient(reference: reference, connection: connection, credential: try credentials.credential(for: reference.registry),
                                        retryPolicy: retryPolicy, pullOnly: true, log: log)
        try await client.ping()
        // The digest of the bytes the registry serves (a digest reference must match them: fetchManifest checks).
        let digest = try await client.fetchManifest(reference: reference.manifestReference).digest
        let tag = CosignSignature.tag(of: digest)
        var signatures: [(payload: [UInt8], signature: String?)] = []
        if try await client.manifestDigest(reference: tag) != nil {
            let fetched = try await client.fetchManifest(reference: tag)
            guard ImageManifest.isManifest(fetched.mediaType), let manifest = try? CanonicalJSON.decode(ImageManifest.self, from: [UInt8](fetched.data)) else {
                throw RegistryError.unusableImage(reference: "\(reference.registry)/\(reference.repository):\(tag)", reason: "the signature tag holds a \(fetched.mediaType.prefix(100)), not a signature image")
            }
            let directory = try RegistryPusher.makeScratchFolder("containertool-verify")
            defer { PendingOutputs.shared.remove(directory.path) }
            for layer in manifest.layers.prefix(Self.maxSignatures) where layer.mediaType == CosignSignature.payloadMediaType {
                guard layer.size <= Self.maxPayloadBytes, ImageReference.isValidDigest(layer.digest) else { continue }
                let file = directory.appendingPathComponent(layer.digest.replacingOccurrences(of: ":", with: "-")).path
                guard FileManager.default.createFile(atPath: file, contents: nil) else { continue }  // the download fills an existing file
                try await client.downloadBlob(layer, to: file)
                signatures.append(([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))), layer.annotations?[CosignSignature.signatureAnnotation]))
            }
        }
        return ImageAttestations(pinnedReference: reference.pinned(to: digest), digest: digest,
                                 signatureTag: "\(reference.registry)/\(reference.repository):\(tag)", signatures: signatures,
                                 referrers: try await referrers(of: digest, client: client))
    }

    /// `GET /v2/<repo>/referrers/<digest>` where the registry has the API (an index answers), else the
    /// fallback tag's index; entries whose subject is another image cannot be told apart here and are kept.
    private func referrers(of digest: String, client: RegistryClient) async throws -> [Descriptor] {
        let response = try await client.send(HTTPRequest("GET", client.url("referrers/\(digest)"), headers: [("Accept", MediaType.imageIndex)]))
        if response.status == 200, let index = try? CanonicalJSON.decode(ImageIndex.self, from: [UInt8](response.body)) {
            return index.manifests
        }
        let tag = Referrers.fallbackTag(of: digest)
        guard try await client.manifestDigest(reference: tag) != nil else { return [] }
        let fetched = try await client.fetchManifest(reference: tag)
        guard ImageIndex.isIndex(fetched.mediaType), let index = try? CanonicalJSON.decode(ImageIndex.self, from: [UInt8](fetched.data)) else { return [] }
        return index.manifests
    }
}
