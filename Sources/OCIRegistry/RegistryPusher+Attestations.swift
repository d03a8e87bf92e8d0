import OCIModel
import Foundation

extension RegistryPusher {
    /// What `pushAttestation` did.
    public struct AttestationPush: Sendable, Equatable {
        /// The attestation image's manifest digest after the push.
        public var manifestDigest: String
        /// The number of envelopes under the tag now.
        public var envelopes: Int
        /// Nothing was written: the same statement signed by the same key was already there.
        public var alreadyThere: Bool
    }

    /// Stores a DSSE envelope about the manifest `reference` names (`HOST/REPO@sha256:…`) as a layer
    /// of the image under cosign's tag `sha256-<hex>.att`, keeping the envelopes already there (other
    /// keys, other predicates). When one of those with the same predicate type `isOurs` (its bytes are
    /// the same statement, verified with the same key) nothing is written: attesting twice is a no-op,
    /// although ECDSA signatures differ each time.
    public func pushAttestation(envelope: [UInt8], layer: Descriptor, to reference: String,
                                isOurs: @Sendable ([UInt8]) -> Bool = { _ in false }) async throws -> AttestationPush {
        let target = try RegistryReference(parsing: reference)
        guard let subject = target.digest else {
            throw RegistryError.invalidReference(reference, reason: "attest a digest (HOST/REPO@sha256:…): a tag can move after it is attested")
        }
        let client = try RegistryClient(reference: target, connection: connection, credential: try credentials.credential(for: target.registry),
                                        retryPolicy: retryPolicy, mountSources: [], log: log)
        try await client.ping()
        guard try await client.manifestDigest(reference: subject) != nil else {
            throw RegistryError.unusableImage(reference: reference, reason: "the registry does not have it; push the image first, then attest the pinned reference the push printed")
        }
        let tag = CosignAttestation.tag(of: subject)
        let tagReference = "\(target.registry)/\(target.repository):\(tag)"
        var existing: [Descriptor] = []
        if try await client.manifestDigest(reference: tag) != nil {
            let fetched = try await client.fetchManifest(reference: tag)
            guard ImageManifest.isManifest(fetched.mediaType), let manifest = try? CanonicalJSON.decode(ImageManifest.self, from: [UInt8](fetched.data)) else {
                throw RegistryError.unusableImage(reference: tagReference, reason: "the attestation tag holds a \(fetched.mediaType.prefix(100)), not an attestation image; delete that tag and attest again")
            }
            guard manifest.layers.count <= CosignAttestation.maxLayersKept else {
                throw RegistryError.unusableImage(reference: tagReference, reason: "it holds \(manifest.layers.count) layers, more than the \(CosignAttestation.maxLayersKept) kept when adding one; delete that tag and attest again")
            }
            existing = manifest.layers.filter { $0.mediaType == CosignAttestation.envelopeMediaType }
            let predicateType = layer.annotations?[CosignAttestation.predicateTypeAnnotation]
            let candidates = existing.filter {
                $0.annotations?[CosignAttestation.predicateTypeAnnotation] == predicateType && $0.size <= CosignAttestation.maxEnvelopeBytes
                    && ImageReference.isValidDigest($0.digest)
            }
            if !candidates.isEmpty {
                let directory = try Self.makeScratchFolder("containertool-attest-read")
                defer { PendingOutputs.shared.remove(directory.path) }
                var budget: Int64 = 64 << 20  // what a hostile tag can make us download, as verify reads
                for candidate in candidates.suffix(CosignAttestation.maxLayersRead) {
                    guard candidate.size <= budget else { break }
                    budget -= candidate.size
                    let file = directory.appendingPathComponent(candidate.digest.replacingOccurrences(of: ":", with: "-")).path
                    guard FileManager.default.createFile(atPath: file, contents: nil) else { continue }
                    try await client.downloadBlob(candidate, to: file)
                    if isOurs([UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))) {
                        log("\(subject.shortDigest) already has this attestation (\(predicateType ?? "?")) by this key: \(tagReference)")
                        return AttestationPush(manifestDigest: fetched.digest, envelopes: existing.count, alreadyThere: true)
                    }
                }
            }
        }
        let layers = CosignAttestation.layers(adding: layer, to: existing)
        let digest = try await writeCosignImage(layers: layers, adding: (layer, envelope), tag: tag, client: client, label: "containertool-attest")
        log("attested \(subject.shortDigest): \(tagReference) (\(layers.count) attestation\(layers.count == 1 ? "" : "s"))")
        return AttestationPush(manifestDigest: digest, envelopes: layers.count, alreadyThere: false)
    }
}
