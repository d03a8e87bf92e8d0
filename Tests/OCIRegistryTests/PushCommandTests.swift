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

    /// `push` reads a layout as every reader does (`OCILayoutReader`): an `index.json` over 64 MiB, a
    /// symlink or a FIFO in place of `index.json` or a blob, and a manifest that does not hash to its
    /// digest are each refused in one line before any registry is asked, and the layout is untouched.
    func testAHostileLayoutIsRefusedBeforeTheRegistryIsAsked() throws {
        let original = work.appendingPathComponent("layout").path
        let index = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: original + "/index.json"))) as? [String: Any])
        let manifestHex = try XCTUnwrap(((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String)?.dropFirst("sha256:".count))
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: original + "/blobs/sha256/" + manifestHex))) as? [String: Any])
        let layerHex = try XCTUnwrap(((manifest["layers"] as? [[String: Any]])?.last?["digest"] as? String)?.dropFirst("sha256:".count))
        let outside = work.appendingPathComponent("outside").path
        let cases: [(String, String, (String) throws -> Void)] = [
            ("index.json over the cap", "index.json has 68157440 bytes, more than the 64 MiB it may have", { XCTAssertEqual(truncate($0 + "/index.json", 65 << 20), 0) }),
            ("index.json a symlink", "index.json cannot be read (not a regular file)", { layout in
                try FileManager.default.moveItem(atPath: layout + "/index.json", toPath: outside)
                try FileManager.default.createSymbolicLink(atPath: layout + "/index.json", withDestinationPath: outside)
            }),
            ("index.json a FIFO", "index.json cannot be read (not a regular file)", { layout in
                try FileManager.default.removeItem(atPath: layout + "/index.json")
                XCTAssertEqual(mkfifo(layout + "/index.json", 0o644), 0)
            }),
            ("a layer a symlink", "blobs/sha256/\(layerHex) cannot be read (not a regular file)", { layout in
                try FileManager.default.moveItem(atPath: layout + "/blobs/sha256/" + layerHex, toPath: outside)
                try FileManager.default.createSymbolicLink(atPath: layout + "/blobs/sha256/" + layerHex, withDestinationPath: outside)
            }),
            ("a manifest that does not hash to its digest", "the blob sha256:\(manifestHex) does not match its digest or size", { layout in
                let path = layout + "/blobs/sha256/" + manifestHex
                let bytes = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: #""schemaVersion":2"#, with: #""schemaVersion":3"#)
                try FileManager.default.removeItem(atPath: path)
                try Data(bytes.utf8).write(to: URL(fileURLWithPath: path))
            }),
        ]
        for (name, message, plant) in cases {
            let layout = work.appendingPathComponent("hostile").path
            try? FileManager.default.removeItem(atPath: layout)
            try? FileManager.default.removeItem(atPath: outside)
            try runChecked("cp", ["-a", original, layout])
            try plant(layout)
            let before = try runChecked("bash", ["-c", "cd '\(layout)' && find . -printf '%P %y %s %T@\\n' | sort"])
            // Port 1 answers nothing: a refusal that names the layout came before any request.
            let result = try runProcess(try BuiltProducts.requireContainertool(), ["push", "oci-layout:" + layout, "127.0.0.1:1/team/hostile:1"], timeout: 60)
            XCTAssertEqual(result.status, 1, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("is not a usable OCI image layout: \(message)"), "\(name): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", name)
            XCTAssertEqual(try runChecked("bash", ["-c", "cd '\(layout)' && find . -printf '%P %y %s %T@\\n' | sort"]), before, "\(name): the layout is untouched")
        }
    }
}
