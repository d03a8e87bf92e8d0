import Foundation
import ImageSigning
import OCIModel
import TestSupport
import XCTest

/// Issue 23 item 4, attestations: `containertool attest` stores DSSE envelopes under cosign's
/// `sha256-<hex>.att` tag of a real registry, and `containertool verify` says which verify.
final class AttestationTests: XCTestCase {
    var work: URL!
    var registry: LocalRegistry!
    var pinned = ""
    var digest: String { String(pinned[pinned.range(of: "@")!.upperBound...]) }

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        work = try temporaryDirectory(self, "attestations")
        registry = try LocalRegistry(testCase: self)
        pinned = try pushImage(tag: "1")
    }

    /// Builds and pushes a small image under `team/hello:TAG`; returns its pinned reference.
    func pushImage(tag: String, label: String = "tag=1") throws -> String {
        let layout = work.appendingPathComponent("layout-\(tag)").path
        let built = try runContainertool(["build", "--executable", try staticHelloBinary(self), "--label", label, "--output", "oci-layout:" + layout])
        XCTAssertEqual(built.status, 0, built.stderr)
        let pushed = try runContainertool(["push", "oci-layout:" + layout, "\(registry.host)/team/hello:\(tag)"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        return pushed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func makeKey(_ name: String) throws -> String {
        let path = work.appendingPathComponent(name).path
        try runChecked("bash", ["-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out '\(path)' && openssl pkey -in '\(path)' -pubout -out '\(path).pub'"])
        return path
    }

    func writeFile(_ name: String, _ text: String) throws -> String {
        let url = work.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    var sbom: String { get throws { try writeFile("app.spdx.json", #"{"spdxVersion":"SPDX-2.3","name":"app","packages":[]}"#) } }

    /// A SLSA provenance statement about `digest`, as `containertool provenance` writes one.
    func provenance(about digest: String) throws -> String {
        let hex = digest.dropFirst("sha256:".count)
        return try writeFile("app-\(hex.prefix(8)).provenance.json",
                             #"{"_type":"https://in-toto.io/Statement/v1","predicate":{"buildDefinition":{"buildType":"urn:x"},"runDetails":{"builder":{"id":"urn:b"}}},"predicateType":"https://slsa.dev/provenance/v1","subject":[{"digest":{"sha256":"\#(hex)"},"name":"hello:1"}]}"#)
    }

    func attest(_ reference: String? = nil, key: String, predicate: String, type: String?) throws -> ToolResult {
        try runContainertool(["attest", reference ?? pinned, "--key", key, "--predicate", predicate, "--plain-http", "--json"] + (type.map { ["--type", $0] } ?? []))
    }

    func attestationManifest(of digest: String) throws -> [String: Any] {
        let url = "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: digest))"
        let fetched = try runTool("curl", ["-sf", "-H", "Accept: \(MediaType.imageManifest)", url])
        XCTAssertEqual(fetched.status, 0, "GET \(url)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fetched.stdout.utf8)) as? [String: Any])
    }

    func blob(_ digest: String) throws -> [UInt8] {
        let file = work.appendingPathComponent("blob-\(digest.suffix(12))").path
        try runChecked("curl", ["-sf", "-o", file, "http://\(registry.host)/v2/team/hello/blobs/\(digest)"])
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    func verify(_ reference: String, key: String, json: Bool = true) throws -> ToolResult {
        try runContainertool(["verify", reference, "--key", key, "--plain-http"] + (json ? ["--json"] : []))
    }

    func attestationVerdicts(_ result: ToolResult) throws -> [[String: Any]] {
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout + result.stderr)
        return try XCTUnwrap(report["attestations"] as? [[String: Any]])
    }

    // MARK: attest

    func testAnAttestationIsCosignsLayoutAndOpenSSLVerifiesItsPAE() throws {
        let key = try makeKey("release.key")
        let started = Date()
        let result = try attest(key: key, predicate: try sbom, type: "spdxjson")
        let seconds = Date().timeIntervalSince(started)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["attestationTag"] as? String, "\(registry.host)/team/hello:\(CosignAttestation.tag(of: digest))")
        XCTAssertEqual(report["predicateType"] as? String, "https://spdx.dev/Document")

        let manifest = try attestationManifest(of: digest)
        XCTAssertEqual(manifest["mediaType"] as? String, MediaType.imageManifest)
        XCTAssertEqual(report["attestationManifest"] as? String, "sha256:" + SHA256.hash(Array(try runChecked("curl", ["-sf", "-H", "Accept: \(MediaType.imageManifest)",
            "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: digest))"]).utf8)).hexString)
        XCTAssertEqual((manifest["config"] as? [String: Any])?["mediaType"] as? String, MediaType.imageConfig)
        let layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 1)
        XCTAssertEqual(layers[0]["mediaType"] as? String, "application/vnd.dsse.envelope.v1+json")
        XCTAssertEqual(layers[0]["annotations"] as? [String: String], ["predicateType": "https://spdx.dev/Document", "dev.cosignproject.cosign/signature": ""])
        XCTAssertEqual(layers[0]["digest"] as? String, report["envelopeDigest"] as? String)
        let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try blob((manifest["config"] as! [String: Any])["digest"] as! String))) as? [String: Any])
        XCTAssertEqual((config["rootfs"] as? [String: Any])?["diff_ids"] as? [String], [layers[0]["digest"] as! String], "cosign's config: the layers as diff_ids")

        // The envelope: openssl verifies the DER signature over the PAE; the statement names this image.
        let envelope = try DSSEEnvelope(parsing: try blob(layers[0]["digest"] as! String))
        XCTAssertEqual(envelope.payloadType, "application/vnd.in-toto+json")
        let statement = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(envelope.payload)) as? [String: Any])
        XCTAssertEqual(statement["_type"] as? String, "https://in-toto.io/Statement/v1")
        XCTAssertEqual((statement["subject"] as? [[String: Any]])?.first?["name"] as? String, "\(registry.host)/team/hello")
        XCTAssertEqual(((statement["subject"] as? [[String: Any]])?.first?["digest"] as? [String: String])?["sha256"], String(digest.dropFirst(7)))
        XCTAssertEqual((statement["predicate"] as? [String: Any])?["spdxVersion"] as? String, "SPDX-2.3")
        let pae = work.appendingPathComponent("pae.bin"), signature = work.appendingPathComponent("sig.der")
        try Data(DSSEEnvelope.preAuthenticationEncoding(payloadType: envelope.payloadType, payload: envelope.payload)).write(to: pae)
        try Data(envelope.signatures[0].signature).write(to: signature)
        let verified = try runTool("openssl", ["dgst", "-sha256", "-verify", key + ".pub", "-signature", signature.path, pae.path])
        XCTAssertTrue(verified.stdout.contains("Verified OK"), verified.stdout + verified.stderr)

        let head = try runTool("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://\(registry.host)/team/hello:1"])
        XCTAssertEqual(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines), digest, "attesting does not touch the image")
        print("attest: \(String(format: "%.2f", seconds)) s, envelope \(report["envelopeBytes"] ?? "?") bytes")
    }

    func testAttestingTwiceIsANoOpAndOtherKeysAndPredicatesAreKept() throws {
        let first = try makeKey("a.key"), second = try makeKey("b.key")
        XCTAssertEqual(try attest(key: first, predicate: try sbom, type: "spdxjson").status, 0)
        let again = try attest(key: first, predicate: try sbom, type: "spdxjson")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("already has this attestation"), again.stderr)
        XCTAssertEqual((try attestationManifest(of: digest)["layers"] as? [Any])?.count, 1)
        // The provenance is a statement already: signed as it is, its own type used.
        let provenance = try attest(key: first, predicate: try provenance(about: digest), type: nil)
        XCTAssertEqual(provenance.status, 0, provenance.stderr)
        XCTAssertTrue(provenance.stdout.contains(#""predicateType":"https://slsa.dev/provenance/v1""#), provenance.stdout)
        XCTAssertEqual(try attest(key: second, predicate: try sbom, type: "spdxjson").status, 0)
        let layers = try XCTUnwrap(try attestationManifest(of: digest)["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.compactMap { ($0["annotations"] as? [String: String])?["predicateType"] },
                       ["https://spdx.dev/Document", "https://slsa.dev/provenance/v1", "https://spdx.dev/Document"], "earlier envelopes are kept in order")

        for (key, expected) in [(first, ["verified", "verified", "notThisKey"]), (second, ["notThisKey", "notThisKey", "verified"])] {
            XCTAssertEqual(try sign(key: key).status, 0)
            let result = try verify(pinned, key: key + ".pub")
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(try attestationVerdicts(result).compactMap { $0["verdict"] as? String }, expected)
        }
        let text = try verify(pinned, key: first + ".pub", json: false)
        XCTAssertTrue(text.stdout.contains("attestation https://slsa.dev/provenance/v1 sha256:"), text.stdout)
        XCTAssertTrue(text.stdout.contains(": verified\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains(": not verified (not signed by this key)"), text.stdout)
        XCTAssertEqual(text.stdout.split(separator: "\n").last.map(String.init), pinned, "the last stdout line is still the verified image")
    }

    func sign(key: String) throws -> ToolResult {
        try runContainertool(["sign", pinned, "--key", key, "--plain-http"])
    }

    func testVerifySaysAReplayedAttestationIsNotAboutThisImageAndKeepsTheSignaturesExitStatus() throws {
        let key = try makeKey("release.key")
        let second = try pushImage(tag: "2", label: "tag=2")
        let secondDigest = String(second[second.range(of: "@")!.upperBound...])
        XCTAssertEqual(try attest(second, key: key, predicate: try sbom, type: "spdxjson").status, 0)
        // The second image's .att manifest, copied under the first image's .att tag.
        let copied = work.appendingPathComponent("replayed.json").path
        try runChecked("curl", ["-sf", "-o", copied, "-H", "Accept: \(MediaType.imageManifest)",
                                "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: secondDigest))"])
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)", "--data-binary", "@" + copied,
                                "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: digest))"])
        let unsigned = try verify(pinned, key: key + ".pub")
        XCTAssertEqual(unsigned.status, 1, "no signature: exit 1 whatever the attestations say: \(unsigned.stderr)")
        XCTAssertEqual(try sign(key: key).status, 0)
        let replayed = try verify(pinned, key: key + ".pub")
        XCTAssertEqual(replayed.status, 0, replayed.stderr)
        let verdicts = try attestationVerdicts(replayed)
        XCTAssertEqual(verdicts.compactMap { $0["verdict"] as? String }, ["otherImage"])
        XCTAssertTrue((verdicts[0]["detail"] as? String)?.contains("not about this image (its subjects: \(secondDigest))") == true, "\(verdicts)")
        let text = try verify(pinned, key: key + ".pub", json: false)
        XCTAssertTrue(text.stdout.contains("not verified (not about this image"), text.stdout)
        XCTAssertEqual(try attestationVerdicts(try verify(second, key: key + ".pub")).compactMap { $0["verdict"] as? String }, ["verified"],
                       "the second image's own attestation still verifies there")
    }

    func testAttestErrorsAreOneLineAndSayWhatToDo() throws {
        let key = try makeKey("release.key")
        let rsa = work.appendingPathComponent("rsa.key").path
        try runChecked("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa])
        let otherDigest = "sha256:" + String(repeating: "e", count: 64)
        let notJSON = try writeFile("notes.txt", "hello")
        let cases: [([String], Int32, String)] = [
            ([pinned, "--key", key, "--predicate", try provenance(about: otherDigest)], 2, "the statement is not about \(digest) (its subjects: \(otherDigest))"),
            ([pinned, "--key", rsa, "--predicate", try sbom, "--type", "spdxjson"], 2, "it is not an elliptic-curve key"),
            ([pinned, "--key", key + ".pub", "--predicate", try sbom, "--type", "spdxjson"], 2, "it is not a PEM private key"),
            ([pinned, "--key", key, "--type", "spdxjson"], 2, "give what to attest: --predicate FILE"),
            ([pinned, "--key", key, "--predicate", work.appendingPathComponent("none.json").path, "--type", "spdxjson"], 2, "no such readable file"),
            ([pinned, "--key", key, "--predicate", try sbom], 2, "say what the predicate is: --type"),
            ([pinned, "--key", key, "--predicate", try sbom, "--type", "sbom"], 2, "--type sbom is neither a predicate type URI nor one of"),
            ([pinned, "--key", key, "--predicate", notJSON, "--type", "spdxjson"], 2, "must be a JSON object"),
            ([pinned, "--key", key, "--predicate", try provenance(about: digest), "--type", "spdxjson"], 2, "--type says https://spdx.dev/Document but the statement's predicateType is https://slsa.dev/provenance/v1"),
            (["\(registry.host)/team/hello:1", "--key", key, "--predicate", try sbom, "--type", "spdxjson"], 2, "attest a digest, not a tag"),
            (["\(registry.host)/team/hello@\(otherDigest)", "--key", key, "--predicate", try sbom, "--type", "spdxjson"], 1, "push the image first"),
        ]
        for (arguments, status, message) in cases {
            let result = try runContainertool(["attest", "--plain-http"] + arguments)
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("containertool attest:") }
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(lines.first?.contains(message) == true, "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("PRIVATE KEY"), "key material leaked")
        }
        // A huge predicate is refused before it is read whole.
        let huge = work.appendingPathComponent("huge.json")
        try runChecked("truncate", ["-s", "64M", huge.path])
        let tooLarge = try runContainertool(["attest", pinned, "--key", key, "--predicate", huge.path, "--type", "spdxjson", "--plain-http"])
        XCTAssertEqual(tooLarge.status, 2, tooLarge.stderr)
        XCTAssertTrue(tooLarge.stderr.contains("it is more than the 8 MiB an attestation carries; attach it instead"), tooLarge.stderr)
    }

    /// A hostile registry's .att tag: ten thousand layers that are not envelopes. verify reads a
    /// bounded number and says so in one line; attest refuses to grow it.
    func testAHostileAttestationTagIsReadBoundedAndNotGrown() throws {
        let key = try makeKey("release.key")
        XCTAssertEqual(try sign(key: key).status, 0)
        let image = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("curl", ["-sf", "-H", "Accept: \(MediaType.imageManifest)",
            "http://\(registry.host)/v2/team/hello/manifests/\(digest)"]).utf8)) as? [String: Any])
        let config = try XCTUnwrap(image["config"] as? [String: Any])
        let layer = #"{"mediaType":"application/octet-stream","digest":"\#(config["digest"] as! String)","size":\#(config["size"] as! Int)}"#
        let hostile = #"{"schemaVersion":2,"mediaType":"\#(MediaType.imageManifest)","config":\#(layer.replacingOccurrences(of: "application/octet-stream", with: MediaType.imageConfig)),"layers":[\#(Array(repeating: layer, count: 10_000).joined(separator: ","))]}"#
        let file = try writeFile("hostile.json", hostile)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)", "--data-binary", "@" + file,
                                "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: digest))"])
        let started = Date()
        let result = try verify(pinned, key: key + ".pub", json: false)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertEqual(result.status, 0, "the signature still decides: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("not verified (a application/octet-stream layer, not a DSSE envelope)") }.count, CosignAttestation.maxLayersRead)
        XCTAssertTrue(result.stdout.contains("attestations: \(10_000 - CosignAttestation.maxLayersRead) more layer(s) under"), result.stdout)
        let refused = try attest(key: key, predicate: try sbom, type: "spdxjson")
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("holds 10000 layers, more than the 1000 kept when adding one; delete that tag"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").filter { $0.hasPrefix("containertool attest:") }.count, 1, refused.stderr)
    }

    /// An index (or anything but an image manifest) under the .att tag: verify reports it as one
    /// unreadable entry and the signature still decides; attest refuses in one line.
    func testAnIndexUnderTheAttestationTagDoesNotChangeVerifysExitStatus() throws {
        let key = try makeKey("release.key")
        XCTAssertEqual(try sign(key: key).status, 0)
        let index = try writeFile("index.json", #"{"schemaVersion":2,"mediaType":"\#(MediaType.imageIndex)","manifests":[]}"#)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageIndex)", "--data-binary", "@" + index,
                                "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: digest))"])
        let result = try verify(pinned, key: key + ".pub")
        XCTAssertEqual(result.status, 0, result.stderr)
        let verdicts = try attestationVerdicts(result)
        XCTAssertEqual(verdicts.compactMap { $0["verdict"] as? String }, ["unreadable"])
        XCTAssertEqual(verdicts.first?["detail"] as? String, "the tag holds a \(MediaType.imageIndex), not an attestation image")
        let refused = try attest(key: key, predicate: try sbom, type: "spdxjson")
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("not an attestation image; delete that tag and attest again"), refused.stderr)
    }

    /// The layer's predicateType annotation is unsigned: verify reports the signed statement's. A layer
    /// that claims to be huge is not downloaded.
    func testTheSignedStatementNamesThePredicateAndAnOversizedLayerIsNotFetched() throws {
        let key = try makeKey("release.key")
        XCTAssertEqual(try sign(key: key).status, 0)
        XCTAssertEqual(try attest(key: key, predicate: try sbom, type: "spdxjson").status, 0)
        var manifest = try attestationManifest(of: digest)
        var layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
        layers[0]["annotations"] = ["predicateType": "https://slsa.dev/provenance/v1", "dev.cosignproject.cosign/signature": ""]
        var huge = layers[0]
        huge["size"] = 1 << 40
        // An annotation with a newline must not print as a line of its own (one that reads "verified").
        huge["annotations"] = ["predicateType": "x\nattestation https://evil sha256:00: verified"]
        layers.append(huge)
        manifest["layers"] = layers
        let file = work.appendingPathComponent("lying.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: file)
        let put = try runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)",
                                       "--data-binary", "@" + file.path, "http://\(registry.host)/v2/team/hello/manifests/\(CosignAttestation.tag(of: digest))"])
        XCTAssertEqual(put.stdout, "201", "docker-registry stores descriptors without checking their sizes")
        let started = Date()
        let result = try verify(pinned, key: key + ".pub")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "a terabyte layer is not downloaded")
        XCTAssertEqual(result.status, 0, result.stderr)
        let verdicts = try attestationVerdicts(result)
        XCTAssertEqual(verdicts.first?["verdict"] as? String, "verified")
        XCTAssertEqual(verdicts.first?["predicateType"] as? String, "https://spdx.dev/Document", "the signed type, not the annotation")
        XCTAssertEqual(verdicts.count, 2)
        XCTAssertEqual(verdicts.last?["verdict"] as? String, "unreadable")
        XCTAssertEqual(verdicts.last?["detail"] as? String, "\(1 << 40) bytes, more than this verifier reads")
        let text = try verify(pinned, key: key + ".pub", json: false)
        XCTAssertFalse(text.stdout.split(separator: "\n").contains { $0.hasPrefix("attestation https://evil") }, text.stdout)
        XCTAssertTrue(text.stdout.contains("attestation x?attestation https://evil sha256:00: verified sha256:"), text.stdout)
    }

    /// A registry that refuses (no credentials): one line that says what to do, and no secret shown.
    func testARegistryThatRefusesIsOneLineAndTheCredentialsStaySecret() throws {
        let password = "att-Secr3t-pw"
        let secured = try LocalRegistry(testCase: self, user: "pusher", password: password)
        let credentials = ["CONTAINERIZE_REGISTRY_USERNAME": "pusher", "CONTAINERIZE_REGISTRY_PASSWORD": password,
                           "DOCKER_CONFIG": work.appendingPathComponent("no-docker-config").path]
        let layout = work.appendingPathComponent("layout-1").path
        let pushed = try runContainertool(["push", "oci-layout:" + layout, "\(secured.host)/team/hello:1"], environment: credentials)
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let image = pushed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let key = try makeKey("release.key")
        let arguments = ["attest", image, "--key", key, "--predicate", try sbom, "--type", "spdxjson", "--plain-http"]
        let refused = try runContainertool(arguments, environment: ["DOCKER_CONFIG": credentials["DOCKER_CONFIG"]!])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").filter { $0.hasPrefix("containertool attest:") }.count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.lowercased().contains("credential"), refused.stderr)
        let accepted = try runContainertool(arguments, environment: credentials)
        XCTAssertEqual(accepted.status, 0, accepted.stderr)
        XCTAssertEqual(try runContainertool(["sign", image, "--key", key, "--plain-http"], environment: credentials).status, 0)
        let verified = try runContainertool(["verify", image, "--key", key + ".pub", "--plain-http", "--json"], environment: credentials)
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertEqual(try attestationVerdicts(verified).compactMap { $0["verdict"] as? String }, ["verified"])
        for result in [refused, accepted, verified] {
            XCTAssertFalse((result.stdout + result.stderr).contains(password), "the password leaked")
            XCTAssertFalse((result.stdout + result.stderr).contains("PRIVATE KEY"), "key material leaked")
        }
    }
}
