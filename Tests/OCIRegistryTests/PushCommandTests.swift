import Foundation
import TestSupport
import XCTest

/// `containertool push SRC REF`: an image built once, pushed from its layout or either archive to a
/// real docker-registry, without building again.
final class PushCommandTests: XCTestCase {
    var work: URL!
    var report: [String: Any] = [:]

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        work = try temporaryDirectory(self, "push")
        let built = try runContainertool(["build", "--executable", try staticHelloBinary(self), "--tag", "hello:1", "--json",
                                          "--output", "oci-layout:" + work.appendingPathComponent("layout").path,
                                          "--output", "oci-archive:" + work.appendingPathComponent("image-oci.tar").path,
                                          "--output", "docker-archive:" + work.appendingPathComponent("image.tar").path])
        XCTAssertEqual(built.status, 0, built.stderr)
        report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(built.stdout.utf8)) as? [String: Any])
    }

    func digest(ofOutput kind: String) throws -> String {
        let outputs = try XCTUnwrap(report["outputs"] as? [[String: Any]])
        return try XCTUnwrap(outputs.first { $0["kind"] as? String == kind }?["digest"] as? String)
    }

    func testEachOutputPushesAsBuiltAndASecondPushUploadsNothing() throws {
        let registry = try LocalRegistry(testCase: self)
        let sources = [("oci-layout:" + work.appendingPathComponent("layout").path, "oci-layout"),
                       ("oci-archive:" + work.appendingPathComponent("image-oci.tar").path, "oci-archive"),
                       (work.appendingPathComponent("image.tar").path, "docker-archive")]  // a bare path: found by its contents
        for (index, (source, kind)) in sources.enumerated() {
            let reference = "\(registry.host)/team/hello-\(index):1"
            let pushed = try runContainertool(["push", source, reference, "--json"])
            XCTAssertEqual(pushed.status, 0, pushed.stderr)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(json["digest"] as? String, try digest(ofOutput: kind), "\(kind): the registry holds the very image that was built")
            XCTAssertEqual(json["pinnedReference"] as? String, "\(registry.host)/team/hello-\(index)@\(try digest(ofOutput: kind))")
            let inspected = try runTool("skopeo", ["inspect", "--tls-verify=false", "--raw", "docker://" + reference])
            XCTAssertEqual(inspected.status, 0, inspected.stderr)

            let again = try runContainertool(["push", source, reference])
            XCTAssertEqual(again.status, 0, again.stderr)
            XCTAssertEqual(again.stdout, "\(registry.host)/team/hello-\(index)@\(try digest(ofOutput: kind))\n")
            XCTAssertTrue(again.stderr.contains("uploaded 0 blobs"), again.stderr)
        }
    }

    /// A layout with referrers attached (`containertool attach oci-layout:…`) pushes its image (the
    /// referrers' untagged entries are not taken for a second image), then its referrers.
    func testALayoutWithReferrersPushesItsImage() throws {
        let registry = try LocalRegistry(testCase: self)
        let layout = work.appendingPathComponent("layout").path
        let sbom = work.appendingPathComponent("hello.spdx.json")
        try Data(#"{"spdxVersion":"SPDX-2.3"}"#.utf8).write(to: sbom)
        let attached = try runContainertool(["attach", "oci-layout:" + layout, "--file", sbom.path])
        XCTAssertEqual(attached.status, 0, attached.stderr)
        let pushed = try runContainertool(["push", "oci-layout:" + layout, "\(registry.host)/team/with-referrers:1", "--json"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any])
        let digest = try digest(ofOutput: "oci-layout")
        XCTAssertEqual(json["digest"] as? String, digest)
        // Its referrer went up after it: under the fallback tag (docker-registry has no referrers API).
        let referrers = try XCTUnwrap(json["referrers"] as? [[String: Any]])
        XCTAssertEqual(referrers.map { $0["artifactType"] as? String }, ["application/spdx+json"])
        let fallback = try runTool("skopeo", ["inspect", "--tls-verify=false", "--raw",
                                              "docker://\(registry.host)/team/with-referrers:" + digest.replacingOccurrences(of: ":", with: "-")])
        XCTAssertEqual(fallback.status, 0, fallback.stderr)
        XCTAssertTrue(fallback.stdout.contains(referrers[0]["digest"] as? String ?? "none"), fallback.stdout)
        let again = try runContainertool(["push", "oci-layout:" + layout, "\(registry.host)/team/with-referrers:1", "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let listed = try runTool("skopeo", ["inspect", "--tls-verify=false", "--raw",
                                            "docker://\(registry.host)/team/with-referrers:" + digest.replacingOccurrences(of: ":", with: "-")])
        XCTAssertEqual(listed.stdout, fallback.stdout, "pushing again lists the referrer once")

        // The tag rebuilt as another image: the old image's referrer stays in the layout, and is not pushed with the new one.
        let rebuilt = try runContainertool(["build", "--executable", try staticHelloBinary(self), "--tag", "hello:1", "--label", "rebuilt=yes",
                                            "--output", "oci-layout:" + layout])
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        let other = try runContainertool(["push", "oci-layout:" + layout, "\(registry.host)/team/with-referrers:2", "--json"])
        XCTAssertEqual(other.status, 0, other.stderr)
        let otherJSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(other.stdout.utf8)) as? [String: Any])
        XCTAssertNotEqual(otherJSON["digest"] as? String, digest)
        XCTAssertEqual((otherJSON["referrers"] as? [Any])?.count, 0, "another image's referrer is not this one's")
    }

    func testBadSourcesAndReferencesSayWhatToDo() throws {
        let gzipped = work.appendingPathComponent("image.tar.gz").path
        try runChecked("bash", ["-c", "gzip -c '\(work.appendingPathComponent("image.tar").path)' > '\(gzipped)'"])
        let notAnImage = work.appendingPathComponent("plain.tar").path
        try runChecked("tar", ["-cf", notAnImage, "-C", work.path, "layout/oci-layout"])
        let layout = work.appendingPathComponent("layout").path
        let cases: [([String], Int32, String)] = [
            ([gzipped, "127.0.0.1:1/a:1"], 1, "it is gzip-compressed; gunzip it first"),
            ([notAnImage, "127.0.0.1:1/a:1"], 1, "it has no index.json"),
            (["oci-layout:" + work.appendingPathComponent("image.tar").path, "127.0.0.1:1/a:1"], 2, "is a file; an OCI layout is a directory"),
            (["oci-archive:" + layout, "127.0.0.1:1/a:1"], 2, "is a directory; for an OCI layout write oci-layout:"),
            ([layout, "127.0.0.1:1/UPPER:1"], 2, "invalid image reference"),
            ([layout], 2, "give the image and where to push it"),
            ([layout, "127.0.0.1:1/a@sha256:" + String(repeating: "0", count: 64)], 1, "but the image's digest is"),
        ]
        let temporary = try temporaryDirectory(self, "tmp")
        for (arguments, status, message) in cases {
            let result = try runContainertool(["push"] + arguments, environment: ["TMPDIR": temporary.path])
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [], "an unpacked archive is removed on every error")
    }
}
