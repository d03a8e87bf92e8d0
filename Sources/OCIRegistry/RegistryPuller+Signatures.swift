import OCIModel
import Foundation

/// What a registry holds about one image for a verifier: its cosign signatures and attestations, and
/// its OCI 1.1 referrers.
public struct ImageAttestations: Sendable {
    /// One layer under the attestation tag: its envelope's bytes, or why they were not read.
    public struct Attestation: Sendable {
        public var digest: String
        /// The layer's `predicateType` annotation (unsigned: the verdict reads the signed statement).
        public var annotatedPredicateType: String?
        public var envelope: [UInt8]?
        public var notRead: String?
    }

    /// `HOST/REPO@sha256:…` of the image (a tag resolved once, at the start).
    public var pinnedReference: String
    public var digest: String
    /// `HOST/REPO:sha256-<hex>.sig`, whether it exists or not.
    public var signatureTag: String
    /// Each payload layer of the signature image: its bytes and its signature annotation (base64), if any.
    public var signatures: [(payload: [UInt8], signature: String?)]
    /// `HOST/REPO:sha256-<hex>.att`, whether it exists or not.
    public var attestationTag: String
    /// The first `CosignAttestation.maxLayersRead` layers under the attestation tag.
    public var attestations: [Attestation]
    /// Layers under the attestation tag beyond those.
    public var attestationsNotListed: Int
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
        let attestationTag = CosignAttestation.tag(of: digest)
        let (attestations, notListed) = try await attestations(under: attestationTag, of: reference, client: client)
        return ImageAttestations(pinnedReference: reference.pinned(to: digest), digest: digest,
                                 signatureTag: "\(reference.registry)/\(reference.repository):\(tag)", signatures: signatures,
                                 attestationTag: "\(reference.registry)/\(reference.repository):\(attestationTag)",
                                 attestations: attestations, attestationsNotListed: notListed,
                                 referrers: try await referrers(of: digest, client: client))
    }

    /// The layers under cosign's attestation tag, each envelope read when it is one and small enough;
    /// at most `CosignAttestation.maxLayersRead` layers and 64 MiB in all, so a hostile registry's
    /// tag of ten thousand layers costs a bounded number of requests.
    private func attestations(under tag: String, of reference: RegistryReference,
                              client: RegistryClient) async throws -> ([ImageAttestations.Attestation], Int) {
        guard try await client.manifestDigest(reference: tag) != nil else { return ([], 0) }
        let fetched = try await client.fetchManifest(reference: tag)
        // What is wrong under the tag is reported as an unreadable entry, never thrown: the signature's
        // verdict (the exit status) must not depend on what anyone pushed under the attestation tag.
        guard ImageManifest.isManifest(fetched.mediaType), let manifest = try? CanonicalJSON.decode(ImageManifest.self, from: [UInt8](fetched.data)) else {
            return ([ImageAttestations.Attestation(digest: fetched.digest, annotatedPredicateType: nil, envelope: nil,
                                                   notRead: "the tag holds a \(fetched.mediaType.prefix(100)), not an attestation image")], 0)
        }
        let directory = try RegistryPusher.makeScratchFolder("containertool-verify-att")
        defer { PendingOutputs.shared.remove(directory.path) }
        var budget: Int64 = 64 << 20
        var found: [ImageAttestations.Attestation] = []
        for layer in manifest.layers.prefix(CosignAttestation.maxLayersRead) {
            var entry = ImageAttestations.Attestation(digest: String(layer.digest.prefix(80)),
                                                      annotatedPredicateType: layer.annotations?[CosignAttestation.predicateTypeAnnotation].map { String($0.prefix(200)) })
            if layer.mediaType != CosignAttestation.envelopeMediaType {
                entry.notRead = "a \(layer.mediaType.prefix(100)) layer, not a DSSE envelope"
            } else if !ImageReference.isValidDigest(layer.digest) {
                entry.notRead = "not a valid digest"
            } else if layer.size > CosignAttestation.maxEnvelopeBytes || layer.size > budget {
                entry.notRead = "\(layer.size) bytes, more than this verifier reads"
            } else {
                let file = directory.appendingPathComponent(layer.digest.replacingOccurrences(of: ":", with: "-")).path
                if FileManager.default.createFile(atPath: file, contents: nil) {
                    budget -= layer.size
                    do {
                        try await client.downloadBlob(layer, to: file)
                        entry.envelope = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                    } catch {
                        entry.notRead = "\(error)".split(separator: "\n").first.map { String($0.prefix(300)) } ?? "unreadable"
                    }
                } else {
                    entry.notRead = "no room for it in the temporary folder"
                }
            }
            found.append(entry)
        }
        return (found, max(0, manifest.layers.count - CosignAttestation.maxLayersRead))
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
