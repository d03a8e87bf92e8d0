import Foundation

/// The in-toto Statement (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) an
/// attestation signs: which image (`subject`, by digest), what kind of claim (`predicateType`) and the
/// claim. Built as `cosign attest --predicate FILE --type T` builds it, or taken as given when the file
/// already is a statement about the image (the release's SLSA provenance is one).
public enum InTotoStatement {
    public static let typeV1 = "https://in-toto.io/Statement/v1"
    /// What verifiers accept: v1, and v0.1 which cosign itself still writes.
    public static let acceptedTypes: Set<String> = [typeV1, "https://in-toto.io/Statement/v0.1"]
    /// Larger predicates are refused (the envelope carries them base64, a third larger).
    public static let maxPredicateBytes = 8 << 20

    /// cosign's `--type` names and the predicate types they stand for.
    public static let predicateTypes: [(name: String, uri: String)] = [
        ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
        ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
        ("slsaprovenance02", "https://slsa.dev/provenance/v0.2"),
        ("spdxjson", "https://spdx.dev/Document"),
        ("spdx", "https://spdx.dev/Document"),
        ("cyclonedx", "https://cyclonedx.org/bom"),
        ("link", "https://in-toto.io/Link/v1"),
        ("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
        ("openvex", "https://openvex.dev/ns"),
    ]

    /// The predicate type `--type` names: one of cosign's names, or a URI (`scheme://…`).
    public static func predicateType(named name: String) throws(StatementError) -> String {
        if let known = predicateTypes.first(where: { $0.name == name }) { return known.uri }
        guard let colon = name.firstIndex(of: ":"), name[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
              !name[name.index(after: colon)...].isEmpty, !name.contains(where: \.isWhitespace) else {
            throw .unknownType(name)
        }
        return name
    }

    /// What a statement says, as far as a verifier cares.
    public struct Parsed: Sendable, Equatable {
        public var type: String
        public var predicateType: String
        /// The subjects' SHA-256 digests, `sha256:<hex>`.
        public var subjectDigests: [String]
        public init(type: String, predicateType: String, subjectDigests: [String]) {
            self.type = type
            self.predicateType = predicateType
            self.subjectDigests = subjectDigests
        }
    }

    /// The statement in `bytes`, or nil when they are not one (no `_type` of in-toto's, no subject list).
    public static func parse(_ bytes: [UInt8]) -> Parsed? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let type = object["_type"] as? String, type.hasPrefix("https://in-toto.io/Statement/"),
              let subjects = object["subject"] as? [Any] else { return nil }
        let digests = subjects.compactMap { (($0 as? [String: Any])?["digest"] as? [String: Any])?["sha256"] as? String }.map { "sha256:" + $0 }
        return Parsed(type: type, predicateType: object["predicateType"] as? String ?? "", subjectDigests: digests)
    }

    /// The statement to sign for `predicate` about `repository@digest`.
    ///
    /// A predicate that already is an in-toto statement is signed as it is, after checking that one
    /// of its subjects is `digest` and, when `predicateType` is given, that it is the statement's.
    /// Otherwise the predicate (a JSON object; for `spdx`, any text, as a JSON string) is wrapped in a
    /// v1 statement whose only subject is the image; the predicate's bytes are kept as they are.
    public static func statement(for predicate: [UInt8], predicateType: String?, typeName: String?,
                                 repository: String, digest: String) throws(StatementError) -> (bytes: [UInt8], predicateType: String) {
        guard predicate.count <= maxPredicateBytes else { throw .tooLarge(predicate.count) }
        if let given = parse(predicate) {
            guard acceptedTypes.contains(given.type) else { throw .unsupportedStatement(given.type) }
            guard given.subjectDigests.contains(digest) else { throw .subjectMismatch(digest: digest, subjects: given.subjectDigests) }
            if let predicateType, predicateType != given.predicateType { throw .typeMismatch(given: predicateType, statement: given.predicateType) }
            guard !given.predicateType.isEmpty else { throw .notJSON("the statement has no predicateType") }
            return (predicate, given.predicateType)
        }
        guard let predicateType else { throw .typeNeeded }
        let body: [UInt8]
        if typeName == "spdx", (try? JSONSerialization.jsonObject(with: Data(predicate))) == nil {
            body = Array(quoted(String(decoding: predicate, as: UTF8.self)).utf8)
        } else {
            guard (try? JSONSerialization.jsonObject(with: Data(predicate))) is [String: Any] else {
                throw .notJSON("the predicate for \(predicateType) must be a JSON object")
            }
            body = Array(trimmed(predicate))
        }
        let hex = digest.split(separator: ":", maxSplits: 1).last.map(String.init) ?? digest
        let header = #"{"_type":"\#(typeV1)","predicateType":\#(quoted(predicateType)),"subject":[{"name":\#(quoted(repository)),"digest":{"sha256":"\#(hex)"}}],"predicate":"#
        return (Array(header.utf8) + body + Array("}".utf8), predicateType)
    }

    /// The JSON text without surrounding white space or a UTF-8 byte order mark (which JSON parsers
    /// accept at the start of a file, but not in the middle of the statement it is embedded in).
    private static func trimmed(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        let space: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
        let first = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let start = bytes[first...].firstIndex { !space.contains($0) } ?? bytes.endIndex
        let end = bytes.lastIndex { !space.contains($0) }.map { $0 + 1 } ?? start
        return bytes[start..<max(start, end)]
    }

    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}

/// Why a predicate cannot be attested; each says what to do.
public enum StatementError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownType(String)
    case typeNeeded
    case tooLarge(Int)
    case notJSON(String)
    case unsupportedStatement(String)
    case subjectMismatch(digest: String, subjects: [String])
    case typeMismatch(given: String, statement: String)

    public var description: String {
        switch self {
        case let .unknownType(name):
            return "--type \(name) is neither a predicate type URI nor one of \(InTotoStatement.predicateTypes.map(\.name).joined(separator: ", "))"
        case .typeNeeded:
            return "say what the predicate is: --type slsaprovenance1|spdxjson|…|URI (only an in-toto statement file carries its own type)"
        case let .tooLarge(count):
            return "the predicate is \(count) bytes, more than the \(InTotoStatement.maxPredicateBytes >> 20) MiB an attestation carries; attach it instead (containertool attach) and attest a smaller summary"
        case let .notJSON(reason):
            return "\(reason); give the JSON document (an SPDX JSON SBOM, a SLSA predicate) or an in-toto statement"
        case let .unsupportedStatement(type):
            return "the statement's _type is \(type); give an in-toto Statement v1 (\(InTotoStatement.typeV1)) or v0.1"
        case let .subjectMismatch(digest, subjects):
            return "the statement is not about \(digest) (its subjects: \(subjects.isEmpty ? "none with a sha256 digest" : subjects.prefix(3).joined(separator: ", ")))); attest the image it names, or make the statement for this image"
        case let .typeMismatch(given, statement):
            return "--type says \(given) but the statement's predicateType is \(statement); drop --type or give the statement's"
        }
    }
}
