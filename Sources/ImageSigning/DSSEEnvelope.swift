import Foundation

/// A DSSE envelope (https://github.com/secure-systems-lab/dsse, `protocol.md` and `envelope.md`):
/// a payload, its type, and signatures over the pre-authentication encoding of both, so that a
/// signature of one kind of document can never be read as another. cosign signs in-toto statements
/// this way (`cosign attest`), with an empty `keyid` and DER ECDSA signatures.
public struct DSSEEnvelope: Sendable, Equatable {
    /// One signature: `keyid` is only a hint (cosign writes ""), never trusted.
    public struct Signature: Sendable, Equatable {
        public var keyID: String
        public var signature: [UInt8]
        public init(keyID: String = "", signature: [UInt8]) {
            self.keyID = keyID
            self.signature = signature
        }
    }

    /// The payload type of an in-toto statement.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"
    /// More signatures than this in one envelope are not tried (each is an ECDSA verification).
    public static let maxSignatures = 16

    public var payloadType: String
    public var payload: [UInt8]
    public var signatures: [Signature]

    public init(payloadType: String, payload: [UInt8], signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in bytes as
    /// ASCII decimal: the bytes a signature covers.
    public static func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    /// The envelope of `payload` with one signature made by `sign` over its PAE.
    public static func signing(_ payload: [UInt8], payloadType: String = inTotoPayloadType,
                               sign: ([UInt8]) throws -> [UInt8]) rethrows -> DSSEEnvelope {
        let signature = try sign(preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: [Signature(signature: signature)])
    }

    /// The envelope as cosign writes it: `{"payloadType", "payload", "signatures": [{"keyid", "sig"}]}`,
    /// payload and signatures standard base64.
    public func jsonBytes() -> [UInt8] {
        let signatures = self.signatures.map { #"{"keyid":\#(Self.quoted($0.keyID)),"sig":"\#(Data($0.signature).base64EncodedString())"}"# }
        let text = #"{"payloadType":\#(Self.quoted(payloadType)),"payload":"\#(Data(payload).base64EncodedString())","signatures":[\#(signatures.joined(separator: ","))]}"#
        return Array(text.utf8)
    }

    /// A JSON string literal (the encoder escapes quotes, backslashes and control characters).
    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    /// Reads an envelope; base64 may be standard or URL-safe, padded or not, as the spec allows.
    public init(parsing bytes: [UInt8]) throws(DSSEError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { throw .notAnEnvelope("not a JSON object") }
        guard let payloadType = object["payloadType"] as? String else { throw .notAnEnvelope("no payloadType") }
        guard let encoded = object["payload"] as? String, let payload = Self.base64(encoded) else { throw .notAnEnvelope("no base64 payload") }
        guard let list = object["signatures"] as? [Any] else { throw .notAnEnvelope("no signatures list") }
        var signatures: [Signature] = []
        for entry in list.prefix(Self.maxSignatures) {
            // A signature that cannot be read is skipped, not fatal: another one may verify.
            guard let entry = entry as? [String: Any], let sig = (entry["sig"] as? String).flatMap(Self.base64) else { continue }
            signatures.append(Signature(keyID: entry["keyid"] as? String ?? "", signature: sig))
        }
        self.init(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    private static func base64(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if standard.utf8.count % 4 != 0 { standard += String(repeating: "=", count: 4 - standard.utf8.count % 4) }
        return Data(base64Encoded: standard).map { [UInt8]($0) }
    }

    /// Whether the envelope is of `expectedType` and at least one of its signatures is `verify`'s over
    /// the PAE (the spec's rule: the type is checked before the payload is trusted).
    public func verifies(expectedType: String = inTotoPayloadType, with verify: ([UInt8], [UInt8]) -> Bool) -> Bool {
        guard payloadType == expectedType else { return false }
        let message = Self.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
        return signatures.prefix(Self.maxSignatures).contains { verify($0.signature, message) }
    }
}

/// Why bytes are not a DSSE envelope.
public enum DSSEError: Error, Sendable, Equatable, CustomStringConvertible {
    case notAnEnvelope(String)

    public var description: String {
        switch self {
        case let .notAnEnvelope(reason): return "not a DSSE envelope (\(reason))"
        }
    }
}
