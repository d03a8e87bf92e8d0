import Foundation
import OCIModel

extension CosignAttestation {
    /// The verdict on one attestation layer, as `cosign verify-attestation --key` decides it.
    public enum Verdict: Sendable, Equatable {
        /// Signed by the key, an in-toto statement whose subjects include this digest.
        case verified(predicateType: String)
        /// An envelope, but no signature in it is the key's over its PAE.
        case notThisKey
        /// Signed by the key, but about other images (a replay): their digests.
        case otherImage([String])
        /// Not something that can be checked: not an envelope, another payload type, not a statement.
        case unreadable(String)

        /// The JSON report's name for it.
        public var name: String {
            switch self {
            case .verified: return "verified"
            case .notThisKey: return "notThisKey"
            case .otherImage: return "otherImage"
            case .unreadable: return "unreadable"
            }
        }
    }

    /// Checks `envelope` (an attestation layer's bytes) against `digest` with `verify` (DER ECDSA over
    /// SHA-256). The payload type is checked before the signature, and the signature before anything
    /// the payload says is believed; the predicate type reported is the signed statement's, not the
    /// layer's annotation (which anyone who can push may change).
    public static func verdict(envelope bytes: [UInt8], digest: String, verify: ([UInt8], [UInt8]) -> Bool) -> Verdict {
        let envelope: DSSEEnvelope
        do { envelope = try DSSEEnvelope(parsing: bytes) } catch { return .unreadable(error.description) }
        guard envelope.payloadType == DSSEEnvelope.inTotoPayloadType else {
            return .unreadable("payloadType \(envelope.payloadType.prefix(100)), not \(DSSEEnvelope.inTotoPayloadType)")
        }
        guard envelope.verifies(with: verify) else { return .notThisKey }
        guard let statement = InTotoStatement.parse(envelope.payload), InTotoStatement.acceptedTypes.contains(statement.type) else {
            return .unreadable("the signed payload is not an in-toto statement")
        }
        guard statement.subjectDigests.contains(digest) else { return .otherImage(statement.subjectDigests) }
        return .verified(predicateType: statement.predicateType)
    }
}
