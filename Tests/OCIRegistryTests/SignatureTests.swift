import Foundation
import OCIModel
import TestSupport
import XCTest

/// Issue 23 item 4: cosign-format signatures of a pushed image, checked the way the issue asks
/// (Debian's cosign-less tools): the payload and signature read back from a real registry and
/// verified with `openssl dgst -sha256 -verify` against the public key.
final class SignatureTests: XCTestCase {
    var work: URL!
    var registry: LocalRegistry!
    var pinned = ""
    var digest: String { String(pinned[pinned.range(of: "@")!.upperBound...]) }

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        work = try temporaryDirectory(self, "signatures")
        registry = try LocalRegistry(testCase: self)
        pinned = try pushHelloImage(self, to: "\(registry.host)/team/hello:1", work: work, options: ["--tag", "hello:1"])
    }

    /// A fresh P-256 key (PKCS#8 PEM), optionally encrypted with `password`.
    func makeKey(_ name: String, password: String? = nil) throws -> String {
        let path = work.appendingPathComponent(name).path
        let encrypt = password.map { "-passout pass:\($0) -v2 aes-256-cbc" } ?? "-nocrypt"
        try runChecked("bash", ["-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 \(encrypt) -out '\(path)'"])
        return path
    }

    func sign(key: String, environment: [String: String] = [:]) throws -> ToolResult {
        try runContainertool(["sign", pinned, "--key", key, "--public-key-out", key + ".pub", "--json"], environment: environment)
    }

    func signatureLayers() throws -> [[String: Any]] {
        let url = "http://\(registry.host)/v2/team/hello/manifests/\(CosignSignature.tag(of: digest))"
        let fetched = try runTool("curl", ["-sf", "-H", "Accept: \(MediaType.imageManifest)", url])
        XCTAssertEqual(fetched.status, 0, "GET \(url)")
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fetched.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(manifest["layers"] as? [[String: Any]])
    }

    /// Whether some signature layer verifies with `publicKey` under openssl, over a payload that names this image.
    func opensslVerifies(publicKey: String) throws -> Bool {
        for (index, layer) in try signatureLayers().enumerated() {
            let payloadFile = work.appendingPathComponent("payload-\(index).json").path
            let signatureFile = work.appendingPathComponent("signature-\(index).bin")
            try runChecked("curl", ["-sf", "-o", payloadFile, "http://\(registry.host)/v2/team/hello/blobs/\(layer["digest"] as! String)"])
            let annotation = try XCTUnwrap((layer["annotations"] as? [String: String])?[CosignSignature.signatureAnnotation])
            try XCTUnwrap(Data(base64Encoded: annotation)).write(to: signatureFile)
            let payload = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: payloadFile))) as? [String: Any]
            let critical = payload?["critical"] as? [String: Any]
            XCTAssertEqual((critical?["image"] as? [String: String])?["docker-manifest-digest"], digest)
            XCTAssertEqual((critical?["identity"] as? [String: String])?["docker-reference"], "\(registry.host)/team/hello")
            XCTAssertEqual(critical?["type"] as? String, "cosign container image signature")
            let verified = try runTool("openssl", ["dgst", "-sha256", "-verify", publicKey, "-signature", signatureFile.path, payloadFile])
            if verified.status == 0 && verified.stdout.contains("Verified OK") { return true }
        }
        return false
    }

    func testASignatureVerifiesWithOpenSSLAndTheImageIsUnchanged() throws {
        let key = try makeKey("release.key")
        let signed = try sign(key: key)
        XCTAssertEqual(signed.status, 0, signed.stderr)
        XCTAssertTrue(signed.stdout.contains(CosignSignature.tag(of: digest)), signed.stdout)
        XCTAssertTrue(try opensslVerifies(publicKey: key + ".pub"))
        let other = try makeKey("other.key")
        try runChecked("bash", ["-c", "openssl pkey -in '\(other)' -pubout -out '\(other).pub'"])
        XCTAssertFalse(try opensslVerifies(publicKey: other + ".pub"), "another key's public half verifies nothing")
        let head = try runTool("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(registry.host)/team/hello:1"])
        XCTAssertEqual(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines), digest, "signing does not touch the image")
    }

    func testSigningTwiceIsANoOpAndAnotherKeyAddsItsSignature() throws {
        let first = try makeKey("a.key")
        XCTAssertEqual(try sign(key: first).status, 0)
        let again = try sign(key: first)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("already signed with this key"), again.stderr)
        XCTAssertEqual(try signatureLayers().count, 1)
        let second = try makeKey("b.key")
        XCTAssertEqual(try sign(key: second).status, 0)
        XCTAssertEqual(try signatureLayers().count, 2, "the first key's signature is kept")
        XCTAssertTrue(try opensslVerifies(publicKey: first + ".pub"))
        XCTAssertTrue(try opensslVerifies(publicKey: second + ".pub"))
    }

    func testEncryptedKeysTakeThePasswordFromTheEnvironmentAndNeverShowIt() throws {
        let password = "s3cret-Pa55word"
        let key = try makeKey("encrypted.key", password: password)
        let without = try sign(key: key)
        XCTAssertEqual(without.status, 2)
        XCTAssertTrue(without.stderr.contains("it is encrypted and no password was given"), without.stderr)
        let wrong = try sign(key: key, environment: ["CONTAINERIZE_SIGNING_KEY_PASSWORD": "nope"])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("or the password is wrong"), wrong.stderr)
        let right = try sign(key: key, environment: ["CONTAINERIZE_SIGNING_KEY_PASSWORD": password])
        XCTAssertEqual(right.status, 0, right.stderr)
        XCTAssertTrue(try opensslVerifies(publicKey: key + ".pub"))
        for result in [without, wrong, right] {
            XCTAssertFalse((result.stdout + result.stderr).contains(password), "the password leaked")
            XCTAssertFalse((result.stdout + result.stderr).contains("PRIVATE KEY"), "key material leaked")
        }
    }

    func testBadKeysAndReferencesSayWhatToDo() throws {
        let rsa = work.appendingPathComponent("rsa.key").path
        try runChecked("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa])
        let notAKey = work.appendingPathComponent("garbage.pem").path
        try Data("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".utf8).write(to: URL(fileURLWithPath: notAKey))
        let cases: [([String], String)] = [
            ([pinned, "--key", rsa], "it is not an elliptic-curve key"),
            ([pinned, "--key", notAKey], "it is not a PEM private key OpenSSL can read"),
            ([pinned, "--key", work.appendingPathComponent("none.key").path], "no such readable file"),
            ([pinned], "give the signing key"),
            (["\(registry.host)/team/hello:1", "--key", rsa], "sign a digest, not a tag"),
        ]
        for (arguments, message) in cases {
            let result = try runContainertool(["sign"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.split(separator: "\n").first?.contains(message) == true, "\(arguments): \(result.stderr)")
        }
        let missing = try runContainertool(["sign", "\(registry.host)/team/hello@sha256:\(String(repeating: "e", count: 64))", "--key", try makeKey("k.key")])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("push the image first"), missing.stderr)
    }

    // MARK: containertool verify

    func verify(_ reference: String, key: String, json: Bool = true) throws -> ToolResult {
        try runContainertool(["verify", reference, "--key", key, "--plain-http"] + (json ? ["--json"] : []))
    }

    func testVerifyAcceptsTheSignersKeyByTagOrDigestAndListsTheReferrers() throws {
        let key = try makeKey("release.key")
        XCTAssertEqual(try sign(key: key).status, 0)
        let sbom = work.appendingPathComponent("app.spdx.json")
        try Data(#"{"spdxVersion":"SPDX-2.3"}"#.utf8).write(to: sbom)
        let attached = try runContainertool(["attach", pinned, "--file", sbom.path + ":application/spdx+json", "--plain-http"])
        XCTAssertEqual(attached.status, 0, attached.stderr)

        for reference in [pinned, "\(registry.host)/team/hello:1"] {
            let result = try verify(reference, key: key + ".pub")
            XCTAssertEqual(result.status, 0, "\(reference): \(result.stderr)")
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
            XCTAssertEqual(report["image"] as? String, pinned, "a tag is resolved to the digest it names")
            XCTAssertEqual(report["verified"] as? Int, 1)
            XCTAssertEqual(report["signatures"] as? Int, 1)
            XCTAssertEqual((report["referrers"] as? [[String: Any]])?.compactMap { $0["artifactType"] as? String }, ["application/spdx+json"])
        }
        let text = try verify("\(registry.host)/team/hello:1", key: key + ".pub", json: false)
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout.split(separator: "\n").last.map(String.init), pinned, "the last stdout line is the verified image, pinned")
        XCTAssertTrue(text.stdout.contains("referrer application/spdx+json sha256:"), text.stdout)
        // A key from a pipe, as pipelines pass one from a secret store.
        let piped = try runTool("bash", ["-c", "'\(try XCTUnwrap(containertoolPath))' verify '\(pinned)' --plain-http --key <(cat '\(key).pub')"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
    }

    func testVerifyRefusesAnotherKeyAnUnsignedImageAndASignatureOfAnotherImage() throws {
        let key = try makeKey("release.key")
        let missingKey = try verify(pinned, key: key + ".pub", json: false)
        XCTAssertEqual(missingKey.status, 2, "no public key written yet: \(missingKey.stderr)")
        XCTAssertTrue(missingKey.stderr.contains("no such readable file"), missingKey.stderr)
        try runChecked("bash", ["-c", "openssl pkey -in '\(key)' -pubout -out '\(key).pub'"])
        let none = try verify(pinned, key: key + ".pub")
        XCTAssertEqual(none.status, 1, none.stderr)
        XCTAssertTrue(none.stderr.contains("it has no signature"), none.stderr)

        XCTAssertEqual(try sign(key: key).status, 0)
        let other = try makeKey("other.key")
        try runChecked("bash", ["-c", "openssl pkey -in '\(other)' -pubout -out '\(other).pub'"])
        let wrongKey = try verify(pinned, key: other + ".pub")
        XCTAssertEqual(wrongKey.status, 1, wrongKey.stderr)
        XCTAssertTrue(wrongKey.stderr.contains("none of its 1 signature(s) under \(registry.host)/team/hello:\(CosignSignature.tag(of: digest)) was made with this key"), wrongKey.stderr)
        XCTAssertEqual(wrongKey.stderr.split(separator: "\n").filter { $0.hasPrefix("containertool verify:") }.count, 1, wrongKey.stderr)

        // A valid signature of another image, copied under this image's signature tag (a replay), is refused.
        let layout = work.appendingPathComponent("second").path
        let built = try runContainertool(["build", "--executable", try staticHelloBinary(self), "--label", "second=yes", "--output", "oci-layout:" + layout])
        XCTAssertEqual(built.status, 0, built.stderr)
        let second = try runContainertool(["push", "oci-layout:" + layout, "\(registry.host)/team/hello:2"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let secondDigest = String(second[second.range(of: "@")!.upperBound...])
        XCTAssertEqual(try runContainertool(["sign", second, "--key", key]).status, 0)
        let manifest = work.appendingPathComponent("replayed.json").path
        try runChecked("curl", ["-sf", "-o", manifest, "-H", "Accept: \(MediaType.imageManifest)",
                                "http://\(registry.host)/v2/team/hello/manifests/\(CosignSignature.tag(of: secondDigest))"])
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)", "--data-binary", "@" + manifest,
                                "http://\(registry.host)/v2/team/hello/manifests/\(CosignSignature.tag(of: digest))"])
        let replayed = try verify(pinned, key: key + ".pub")
        XCTAssertEqual(replayed.status, 1, replayed.stderr)
        XCTAssertTrue(replayed.stderr.contains("sign something else (\(secondDigest))"), replayed.stderr)
        XCTAssertEqual(try verify(second, key: key + ".pub").status, 0, "the second image's own signature still verifies")

        let empty = try verify(pinned, key: "/dev/null")
        XCTAssertEqual(empty.status, 2, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("it is not a PEM public key"), empty.stderr)
        let privateAsPublic = try verify(pinned, key: key)
        XCTAssertEqual(privateAsPublic.status, 2, privateAsPublic.stderr)
        XCTAssertTrue(privateAsPublic.stderr.contains("it is not a PEM public key"), privateAsPublic.stderr)
        XCTAssertFalse(privateAsPublic.stderr.contains("PRIVATE KEY"), "key material leaked")
    }
}
