import Foundation

/// cosign's attestation storage (sigstore/cosign `cosign attest`, `pkg/oci/static`): each attestation
/// is a DSSE envelope (JSON) stored as a layer of an image under the tag `sha256-<hex>.att`, with the
/// layer media type `application/vnd.dsse.envelope.v1+json`, the statement's predicate type in the
/// `predicateType` annotation and an empty `dev.cosignproject.cosign/signature` annotation (the
/// signature is inside the envelope). `cosign verify-attestation --key` reads it. The envelope and
/// what verifies are in `ImageSigning`; this is the part the registry client needs.
public enum CosignAttestation {
    public static let envelopeMediaType = "application/vnd.dsse.envelope.v1+json"
    public static let predicateTypeAnnotation = "predicateType"

    /// Envelopes larger than this are neither written nor read (an SBOM of a few thousand packages is a
    /// few MiB; a registry serving a bigger one is not trusted with the verifier's memory).
    public static let maxEnvelopeBytes: Int64 = 16 << 20
    /// More attestation layers than this are not read by a verifier, nor merged into by a writer.
    public static let maxLayersRead = 64
    /// A tag holding more layers than this is refused when writing (each is kept in the new manifest).
    public static let maxLayersKept = 1000

    /// The tag the attestations of `digest` live under: `sha256:abc…` → `sha256-abc….att`.
    public static func tag(of digest: String) -> String { digest.replacingOccurrences(of: ":", with: "-") + ".att" }

    /// The envelope's layer descriptor, annotated as cosign annotates it.
    public static func layer(envelope: [UInt8], predicateType: String) -> Descriptor {
        Descriptor(mediaType: envelopeMediaType, digest: "sha256:" + SHA256.hash(envelope).hexString, size: Int64(envelope.count),
                   annotations: [CosignSignature.signatureAnnotation: "", predicateTypeAnnotation: predicateType])
    }

    /// The layers of the attestation image after adding `layer` to `existing`: other envelopes (other
    /// keys, other predicates, other tools) stay in their order; anything that is not an envelope is
    /// dropped, as cosign's own image holds only envelopes.
    public static func layers(adding layer: Descriptor, to existing: [Descriptor]) -> [Descriptor] {
        existing.filter { $0.mediaType == envelopeMediaType && $0.digest != layer.digest } + [layer]
    }
}
