import Foundation

/// cosign's signature format (sigstore/cosign `specs/SIGNATURE_SPEC.md`): a "simple signing" payload
/// naming the image's repository and manifest digest, signed (ECDSA P-256, SHA-256), stored as an
/// image under the tag `sha256-<hex>.sig` whose layers are the payloads, each with its signature in
/// the `dev.cosignproject.cosign/signature` annotation (base64). `cosign verify --key` checks it.
public enum CosignSignature {
    public static let payloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
    public static let signatureAnnotation = "dev.cosignproject.cosign/signature"

    /// The tag the signatures of `digest` live under: `sha256:abc…` → `sha256-abc….sig`.
    public static func tag(of digest: String) -> String { digest.replacingOccurrences(of: ":", with: "-") + ".sig" }

    /// The payload: canonical JSON (sorted keys), so the same image always gives the same bytes.
    public static func payload(repository: String, digest: String) -> [UInt8] {
        let text = #"{"critical":{"identity":{"docker-reference":"\#(repository)"},"image":{"docker-manifest-digest":"\#(digest)"},"type":"cosign container image signature"},"optional":null}"#
        return Array(text.utf8)
    }

    /// The payload's layer descriptor with its signature.
    public static func layer(payload: [UInt8], signature: [UInt8]) -> Descriptor {
        Descriptor(mediaType: payloadMediaType, digest: "sha256:" + SHA256.hash(payload).hexString, size: Int64(payload.count),
                   annotations: [signatureAnnotation: Data(signature).base64EncodedString()])
    }

    /// The config of a signature image with these layers (cosign writes the same shape).
    public static func config(layers: [Descriptor]) -> [UInt8] {
        let diffIDs = layers.map { "\"\($0.digest)\"" }.joined(separator: ",")
        return Array(#"{"architecture":"","config":{},"created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":[\#(diffIDs)]}}"#.utf8)
    }

    /// The layers of the signature image after adding `layer` to `existing` (other signatures,
    /// from other keys or tools, stay; the same payload signed again replaces its entry).
    public static func layers(adding layer: Descriptor, to existing: [Descriptor]) -> [Descriptor] {
        existing.filter { !($0.digest == layer.digest && $0.annotations?[signatureAnnotation] == layer.annotations?[signatureAnnotation]) } + [layer]
    }
}

extension CosignSignature {
    /// What a payload claims: the image it signs and the repository it names.
    public struct Claims: Sendable, Equatable {
        public var repository: String
        public var digest: String
        public var type: String
    }

    /// The claims of a simple-signing payload, or nil when it is not one.
    public static func claims(in payload: [UInt8]) -> Claims? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
              let critical = object["critical"] as? [String: Any],
              let repository = (critical["identity"] as? [String: Any])?["docker-reference"] as? String,
              let digest = (critical["image"] as? [String: Any])?["docker-manifest-digest"] as? String,
              let type = critical["type"] as? String else { return nil }
        return Claims(repository: repository, digest: digest, type: type)
    }

    /// The verdict on one signature layer, as `cosign verify --key` decides it: the signature must be the
    /// key's over the payload's exact bytes, and the payload must be a cosign signature of `digest`.
    public enum Verdict: Sendable, Equatable {
        case verified(Claims)
        /// No signature annotation, not base64, or not this key's signature of these bytes.
        case notThisKey
        /// Signed by the key, but not a signature of this image (another digest, or not a cosign payload).
        case otherImage(String)
    }

    public static func verdict(payload: [UInt8], signatureAnnotation encoded: String?, digest: String,
                               verify: ([UInt8], [UInt8]) -> Bool) -> Verdict {
        guard let encoded, let signature = Data(base64Encoded: encoded), verify([UInt8](signature), payload) else { return .notThisKey }
        guard let claims = claims(in: payload), claims.type == "cosign container image signature" else {
            return .otherImage("a payload that is not a cosign image signature")
        }
        guard claims.digest == digest else { return .otherImage(claims.digest) }
        return .verified(claims)
    }
}
