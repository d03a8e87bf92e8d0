import Foundation
import ImageSigning
import OCIModel
import TestSupport
import XCTest

/// The DSSE envelope and the in-toto statement of `containertool attest`, without a registry: the
/// spec's PAE vector, openssl and securesystemslib (DSSE's reference implementation) checking our
/// bytes, and the verdicts on hostile envelopes.
final class DSSEEnvelopeTests: XCTestCase {
    var work: URL!
    let digest = "sha256:" + String(repeating: "ab", count: 32)

    override func setUpWithError() throws {
        work = try temporaryDirectory(self, "dsse")
    }

    /// A fresh P-256 key: the private PEM's path (the public half beside it, `.pub`).
    func makeKey(_ name: String) throws -> (signer: ECDSASigner, verifier: ECDSAVerifier, publicKey: String) {
        let path = work.appendingPathComponent(name).path
        try runChecked("bash", ["-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out '\(path)' && openssl pkey -in '\(path)' -pubout -out '\(path).pub'"])
        return (try ECDSASigner(pemFile: path), try ECDSAVerifier(publicKeyFile: path + ".pub"), path + ".pub")
    }

    func statement(about digest: String, predicate: String = #"{"spdxVersion":"SPDX-2.3"}"#) throws -> [UInt8] {
        try InTotoStatement.statement(for: Array(predicate.utf8), predicateType: "https://spdx.dev/Document", typeName: "spdxjson",
                                      repository: "registry.example/team/app", digest: digest).bytes
    }

    // MARK: PAE and the envelope's bytes

    func testPreAuthenticationEncodingMatchesTheSpecsVector() {
        // DSSE protocol.md, "Test vectors".
        XCTAssertEqual(String(decoding: DSSEEnvelope.preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8)), as: UTF8.self),
                       "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        // Lengths count bytes, not characters, and an empty body is still framed.
        XCTAssertEqual(DSSEEnvelope.preAuthenticationEncoding(payloadType: "t", payload: Array("é".utf8)), Array("DSSEv1 1 t 2 é".utf8))
        XCTAssertEqual(DSSEEnvelope.preAuthenticationEncoding(payloadType: "", payload: []), Array("DSSEv1 0  0 ".utf8))
    }

    func testTheEnvelopeIsCosignsShapeAndOpenSSLVerifiesThePAE() throws {
        let key = try makeKey("a.key")
        let payload = try statement(about: digest)
        let envelope = try DSSEEnvelope.signing(payload, sign: key.signer.sign)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(envelope.jsonBytes())) as? [String: Any])
        XCTAssertEqual(json["payloadType"] as? String, "application/vnd.in-toto+json")
        XCTAssertEqual(Data(base64Encoded: try XCTUnwrap(json["payload"] as? String)).map([UInt8].init), payload)
        let signatures = try XCTUnwrap(json["signatures"] as? [[String: String]])
        XCTAssertEqual(signatures.count, 1)
        XCTAssertEqual(signatures[0]["keyid"], "", "cosign writes an empty keyid")
        XCTAssertTrue(String(decoding: envelope.jsonBytes(), as: UTF8.self).hasPrefix(#"{"payloadType":"application/vnd.in-toto+json","payload":""#))

        // openssl over the PAE bytes, with the DER signature from the envelope.
        let pae = work.appendingPathComponent("pae.bin")
        try Data(DSSEEnvelope.preAuthenticationEncoding(payloadType: DSSEEnvelope.inTotoPayloadType, payload: payload)).write(to: pae)
        let signature = work.appendingPathComponent("sig.der")
        try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(signatures[0]["sig"]))).write(to: signature)
        let verified = try runTool("openssl", ["dgst", "-sha256", "-verify", key.publicKey, "-signature", signature.path, pae.path])
        XCTAssertEqual(verified.status, 0, verified.stdout + verified.stderr)
        XCTAssertTrue(verified.stdout.contains("Verified OK"), verified.stdout)
        // The statement inside names the image and its predicate type.
        let parsed = try XCTUnwrap(InTotoStatement.parse(payload))
        XCTAssertEqual(parsed, InTotoStatement.Parsed(type: InTotoStatement.typeV1, predicateType: "https://spdx.dev/Document", subjectDigests: [digest]))
        XCTAssertTrue(String(decoding: payload, as: UTF8.self).hasSuffix(#""predicate":{"spdxVersion":"SPDX-2.3"}}"#), "the predicate's bytes are kept")
    }

    /// securesystemslib, the DSSE reference implementation's Python library, verifies our envelope, and
    /// the in-toto attestation bindings validate the statement inside.
    func testSecureSystemsLibVerifiesOurEnvelope() throws {
        let probe = try runTool("python3", ["-c", "import securesystemslib.dsse, cryptography, in_toto_attestation"])
        try Prerequisite.require(probe.status == 0, "python3 cannot import securesystemslib and in_toto_attestation (python3 -m pip install securesystemslib in-toto-attestation; .ci/run installs them)")
        let key = try makeKey("a.key")
        let other = try makeKey("b.key")
        let envelopeFile = work.appendingPathComponent("envelope.json")
        try Data(try DSSEEnvelope.signing(try statement(about: digest), sign: key.signer.sign).jsonBytes()).write(to: envelopeFile)
        let script = """
            import json, sys
            from cryptography.hazmat.primitives.serialization import load_pem_public_key
            from securesystemslib import dsse
            from securesystemslib.signer import SSlibKey
            # cosign's keyid is "", and securesystemslib pairs signatures with keys by keyid.
            found = SSlibKey.from_crypto(load_pem_public_key(open(sys.argv[2], "rb").read()), scheme="ecdsa-sha2-nistp256")
            key = SSlibKey("", found.keytype, found.scheme, found.keyval)
            envelope = dsse.Envelope.from_dict(json.load(open(sys.argv[1])))
            assert envelope.payload_type == "application/vnd.in-toto+json", envelope.payload_type
            envelope.verify([key], 1)
            from google.protobuf import json_format
            from in_toto_attestation.v1 import statement_pb2
            from in_toto_attestation.v1.statement import Statement
            Statement.copy_from_pb(json_format.ParseDict(json.loads(envelope.payload), statement_pb2.Statement())).validate()
            print("verified", json.loads(envelope.payload)["subject"][0]["digest"]["sha256"])
            """
        let good = try runTool("python3", ["-c", script, envelopeFile.path, key.publicKey])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertEqual(good.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "verified " + String(repeating: "ab", count: 32))
        let bad = try runTool("python3", ["-c", script, envelopeFile.path, other.publicKey])
        XCTAssertNotEqual(bad.status, 0, "another key verifies nothing: \(bad.stdout)")
    }

    // MARK: What verifies

    func testVerdictsOnTamperedReplayedAndForeignEnvelopes() throws {
        let key = try makeKey("a.key")
        let other = try makeKey("b.key")
        let verdict = { (bytes: [UInt8]) in CosignAttestation.verdict(envelope: bytes, digest: self.digest, verify: key.verifier.verifies) }
        let envelope = try DSSEEnvelope.signing(try statement(about: digest), sign: key.signer.sign)
        XCTAssertEqual(verdict(envelope.jsonBytes()), .verified(predicateType: "https://spdx.dev/Document"))

        // Another key's envelope.
        XCTAssertEqual(verdict(try DSSEEnvelope.signing(try statement(about: digest), sign: other.signer.sign).jsonBytes()), .notThisKey)
        // A tampered payload (the signature no longer covers it).
        var tampered = envelope
        tampered.payload = try statement(about: digest, predicate: #"{"spdxVersion":"SPDX-2.3","evil":true}"#)
        XCTAssertEqual(verdict(tampered.jsonBytes()), .notThisKey)
        // The same payload under another payloadType: PAE differs, and the type is refused first.
        var retyped = envelope
        retyped.payloadType = "application/json"
        XCTAssertEqual(verdict(retyped.jsonBytes()), .unreadable("payloadType application/json, not application/vnd.in-toto+json"))
        XCTAssertFalse(retyped.verifies(expectedType: "application/json", with: key.verifier.verifies), "the signature covers the type")
        // A valid envelope about another image (a replay).
        let otherDigest = "sha256:" + String(repeating: "cd", count: 32)
        let replay = try DSSEEnvelope.signing(try statement(about: otherDigest), sign: key.signer.sign)
        XCTAssertEqual(verdict(replay.jsonBytes()), .otherImage([otherDigest]))
        // A signed payload that is not a statement.
        XCTAssertEqual(verdict(try DSSEEnvelope.signing(Array(#"{"hello":1}"#.utf8), sign: key.signer.sign).jsonBytes()),
                       .unreadable("the signed payload is not an in-toto statement"))
        // Not an envelope at all.
        XCTAssertEqual(verdict(Array("null".utf8)), .unreadable("not a DSSE envelope (not a JSON object)"))
        XCTAssertEqual(verdict(Array(#"{"payloadType":"application/vnd.in-toto+json","payload":"%%%","signatures":[]}"#.utf8)),
                       .unreadable("not a DSSE envelope (no base64 payload)"))
    }

    func testTwoSignaturesOneValidVerifiesAndGarbageSignaturesAreSkipped() throws {
        let key = try makeKey("a.key")
        let other = try makeKey("b.key")
        let payload = try statement(about: digest)
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: DSSEEnvelope.inTotoPayloadType, payload: payload)
        let mine = DSSEEnvelope.Signature(keyID: "mine", signature: try key.signer.sign(pae))
        let theirs = DSSEEnvelope.Signature(keyID: "theirs", signature: try other.signer.sign(pae))
        let both = DSSEEnvelope(payloadType: DSSEEnvelope.inTotoPayloadType, payload: payload, signatures: [theirs, mine])
        XCTAssertEqual(CosignAttestation.verdict(envelope: both.jsonBytes(), digest: digest, verify: key.verifier.verifies), .verified(predicateType: "https://spdx.dev/Document"))
        XCTAssertEqual(CosignAttestation.verdict(envelope: both.jsonBytes(), digest: digest, verify: other.verifier.verifies), .verified(predicateType: "https://spdx.dev/Document"))
        // A signature that is not base64, or not an object, is skipped; the valid one still counts.
        let text = #"{"payloadType":"application/vnd.in-toto+json","payload":"\#(Data(payload).base64EncodedString())","signatures":[7,{"sig":"!!"},{"keyid":"","sig":"\#(Data(mine.signature).base64EncodedString())"}]}"#
        XCTAssertEqual(CosignAttestation.verdict(envelope: Array(text.utf8), digest: digest, verify: key.verifier.verifies), .verified(predicateType: "https://spdx.dev/Document"))
        // URL-safe unpadded base64 is read too (the spec allows it).
        let urlSafe = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        XCTAssertEqual(try DSSEEnvelope(parsing: Array(urlSafe.utf8)).payload, payload)
        // Only the first maxSignatures are tried: a valid one hidden behind many junk ones does not cost unbounded work.
        let junk = Array(repeating: theirs, count: DSSEEnvelope.maxSignatures)
        let buried = DSSEEnvelope(payloadType: DSSEEnvelope.inTotoPayloadType, payload: payload, signatures: junk + [mine])
        XCTAssertEqual(CosignAttestation.verdict(envelope: buried.jsonBytes(), digest: digest, verify: key.verifier.verifies), .notThisKey)
    }

    // MARK: The statement

    func testStatementsAreWrappedOrCheckedAsCosignAttestDoes() throws {
        let repository = "registry.example/team/app"
        let wrapped = try InTotoStatement.statement(for: Array("  {\"a\":1}\n".utf8), predicateType: "https://slsa.dev/provenance/v1", typeName: "slsaprovenance1",
                                                    repository: repository, digest: digest)
        XCTAssertEqual(String(decoding: wrapped.bytes, as: UTF8.self),
                       #"{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"registry.example/team/app","digest":{"sha256":"\#(String(repeating: "ab", count: 32))"}}],"predicate":{"a":1}}"#)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(wrapped.bytes)))
        // A byte order mark (editors on some systems write one) is not embedded in the statement.
        let marked = try InTotoStatement.statement(for: [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}".utf8), predicateType: "https://slsa.dev/provenance/v1",
                                                   typeName: "slsaprovenance1", repository: repository, digest: digest)
        XCTAssertEqual(marked.bytes, wrapped.bytes)
        // A statement about this digest is signed as it is; its own type is used.
        XCTAssertEqual(try InTotoStatement.statement(for: wrapped.bytes, predicateType: nil, typeName: nil, repository: repository, digest: digest).bytes, wrapped.bytes)
        // A statement about another image, or of another type than --type says, is refused.
        let otherDigest = "sha256:" + String(repeating: "cd", count: 32)
        XCTAssertThrowsError(try InTotoStatement.statement(for: wrapped.bytes, predicateType: nil, typeName: nil, repository: repository, digest: otherDigest)) {
            XCTAssertEqual($0 as? StatementError, .subjectMismatch(digest: otherDigest, subjects: [digest]))
            XCTAssertTrue("\($0)".contains("attest the image it names"), "\($0)")
        }
        XCTAssertThrowsError(try InTotoStatement.statement(for: wrapped.bytes, predicateType: "https://spdx.dev/Document", typeName: "spdxjson", repository: repository, digest: digest)) {
            XCTAssertEqual($0 as? StatementError, .typeMismatch(given: "https://spdx.dev/Document", statement: "https://slsa.dev/provenance/v1"))
        }
        // Not JSON, a JSON array, no type, an unknown type name, a huge predicate.
        for (bytes, type) in [(Array("hello".utf8), "spdxjson"), (Array("[1]".utf8), "spdxjson")] {
            XCTAssertThrowsError(try InTotoStatement.statement(for: bytes, predicateType: "https://spdx.dev/Document", typeName: type, repository: repository, digest: digest)) {
                XCTAssertTrue("\($0)".contains("must be a JSON object"), "\($0)")
            }
        }
        XCTAssertThrowsError(try InTotoStatement.statement(for: Array("{}".utf8), predicateType: nil, typeName: nil, repository: repository, digest: digest)) {
            XCTAssertEqual($0 as? StatementError, .typeNeeded)
        }
        XCTAssertThrowsError(try InTotoStatement.predicateType(named: "provenance")) { XCTAssertTrue("\($0)".contains("slsaprovenance1"), "\($0)") }
        XCTAssertEqual(try InTotoStatement.predicateType(named: "spdxjson"), "https://spdx.dev/Document")
        XCTAssertEqual(try InTotoStatement.predicateType(named: "https://example.com/p/v1"), "https://example.com/p/v1")
        let huge = [UInt8](repeating: 0x20, count: InTotoStatement.maxPredicateBytes + 1)
        XCTAssertThrowsError(try InTotoStatement.statement(for: huge, predicateType: "https://spdx.dev/Document", typeName: "spdxjson", repository: repository, digest: digest)) {
            XCTAssertEqual($0 as? StatementError, .tooLarge(huge.count))
        }
        // spdx (tag-value) text becomes a JSON string, as cosign does; quotes in names are escaped.
        let text = try InTotoStatement.statement(for: Array("SPDXVersion: SPDX-2.3\n\"x\"".utf8), predicateType: "https://spdx.dev/Document", typeName: "spdx",
                                                 repository: "r\"/x", digest: digest)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.bytes)) as? [String: Any])
        XCTAssertEqual(object["predicate"] as? String, "SPDXVersion: SPDX-2.3\n\"x\"")
        XCTAssertEqual(((object["subject"] as? [[String: Any]])?.first?["name"]) as? String, "r\"/x")
    }

    func testTheLayerAndTheMergeAreCosigns() {
        let layer = CosignAttestation.layer(envelope: Array("{}".utf8), predicateType: "https://spdx.dev/Document")
        XCTAssertEqual(layer.mediaType, "application/vnd.dsse.envelope.v1+json")
        XCTAssertEqual(layer.annotations, ["predicateType": "https://spdx.dev/Document", "dev.cosignproject.cosign/signature": ""])
        XCTAssertEqual(CosignAttestation.tag(of: digest), "sha256-" + String(repeating: "ab", count: 32) + ".att")
        let foreign = Descriptor(mediaType: CosignAttestation.envelopeMediaType, digest: "sha256:" + String(repeating: "1", count: 64), size: 3)
        let junk = Descriptor(mediaType: "application/octet-stream", digest: "sha256:" + String(repeating: "2", count: 64), size: 3)
        XCTAssertEqual(CosignAttestation.layers(adding: layer, to: [foreign, junk, layer]).map(\.digest), [foreign.digest, layer.digest],
                       "other envelopes stay in order, non-envelopes go, the same layer is not doubled")
    }
}
