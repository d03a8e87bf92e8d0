import Foundation
import OCIModel
import TestSupport
import XCTest

/// Issue 23 item 3: the SBOM and the provenance attached to a pushed image as OCI 1.1 referrers —
/// through the referrers API where the registry has it, else the fallback tag's index — without
/// changing the image or losing what other tools attached.
final class ReferrersTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        work = try temporaryDirectory(self, "referrers")
        let built = try runContainertool(["build", "--executable", try staticHelloBinary(self), "--tag", "hello:1",
                                          "--output", "oci-layout:" + work.appendingPathComponent("layout").path])
        XCTAssertEqual(built.status, 0, built.stderr)
        try Data(#"{"spdxVersion":"SPDX-2.3"}"#.utf8).write(to: work.appendingPathComponent("hello.spdx.json"))
        try Data(#"{"_type":"https://in-toto.io/Statement/v1"}"#.utf8).write(to: work.appendingPathComponent("hello.provenance.json"))
    }

    func push(to host: String) throws -> String {
        let pushed = try runContainertool(["push", "oci-layout:" + work.appendingPathComponent("layout").path, "\(host)/team/hello:1"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        return pushed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func attach(_ pinned: String, _ extra: [String] = []) throws -> [[String: Any]] {
        let attached = try runContainertool(["attach", pinned, "--json",
                                             "--file", work.appendingPathComponent("hello.spdx.json").path,
                                             "--file", work.appendingPathComponent("hello.provenance.json").path] + extra)
        XCTAssertEqual(attached.status, 0, attached.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(attached.stdout.utf8)) as? [[String: Any]], attached.stdout)
    }

    func fetch(_ url: String) throws -> [String: Any] {
        let result = try runTool("curl", ["-sf", "-H", "Accept: \(MediaType.imageIndex), \(MediaType.imageManifest)", url])
        XCTAssertEqual(result.status, 0, "GET \(url)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
    }

    /// Debian's docker-registry has no referrers API: the fallback tag `sha256-<hex>` lists both
    /// artifacts, each a manifest whose subject is the image; an entry another tool put there stays.
    func testARegistryWithoutTheAPIGetsTheFallbackTagAndKeepsOtherEntries() throws {
        let registry = try LocalRegistry(testCase: self)
        let pinned = try push(to: registry.host)
        let digest = String(pinned[pinned.range(of: "@")!.upperBound...])
        let fallback = "http://\(registry.host)/v2/team/hello/manifests/\(Referrers.fallbackTag(of: digest))"
        // Another tool's referrer already listed there (the registry checks that an index's entries
        // exist, so it names a manifest the registry has: the image's own).
        let size = try runTool("curl", ["-sf", "-H", "Accept: \(MediaType.imageManifest)", "http://\(registry.host)/v2/team/hello/manifests/\(digest)"]).stdout.utf8.count
        let foreign = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(digest)","size":\#(size),"artifactType":"application/vnd.example.other-tool"}]}"#
        let put = try runTool("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageIndex)", "--data-binary", foreign, fallback])
        XCTAssertEqual(put.status, 0, put.stderr)

        let attached = try attach(pinned)
        XCTAssertEqual(attached.map { $0["artifactType"] as? String }, ["application/spdx+json", "application/vnd.in-toto+json"])
        XCTAssertEqual(attached.map { $0["viaReferrersAPI"] as? Bool }, [false, false])
        let index = try fetch(fallback)
        let entries = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        XCTAssertEqual(Set(entries.compactMap { $0["artifactType"] as? String }),
                       ["application/spdx+json", "application/vnd.in-toto+json", "application/vnd.example.other-tool"])
        for entry in attached {
            let manifest = try fetch("http://\(registry.host)/v2/team/hello/manifests/\(entry["digest"] as! String)")
            XCTAssertEqual((manifest["subject"] as? [String: Any])?["digest"] as? String, digest)
            XCTAssertEqual((manifest["config"] as? [String: Any])?["mediaType"] as? String, MediaType.emptyJSON)
            let layer = try XCTUnwrap((manifest["layers"] as? [[String: Any]])?.first)
            let blob = try runTool("curl", ["-sf", "http://\(registry.host)/v2/team/hello/blobs/\(layer["digest"] as! String)"])
            XCTAssertTrue(blob.stdout.contains("SPDX-2.3") || blob.stdout.contains("in-toto"), blob.stdout)
        }
        // The image is untouched, and attaching again converges on the same index.
        XCTAssertEqual(try push(to: registry.host), pinned)
        _ = try attach(pinned)
        XCTAssertEqual((try fetch(fallback)["manifests"] as? [[String: Any]])?.count, 3, "no duplicates")
    }

    /// A registry that answers `OCI-Subject` has the API: no fallback tag is written.
    func testARegistryWithTheAPIGetsNoFallbackTag() throws {
        let registry = try MockRegistry(testCase: self, faults: ["referrers-api"])
        let pinned = try push(to: registry.host)
        let attached = try attach(pinned, ["--plain-http"])
        XCTAssertEqual(attached.map { $0["viaReferrersAPI"] as? Bool }, [true, true])
        XCTAssertFalse(registry.requests.contains { $0.method == "PUT" && $0.path.contains("/manifests/sha256-") }, "\(registry.requests.map(\.path))")
    }

    func testAnImageTheRegistryDoesNotHaveSaysPushItFirst() throws {
        let registry = try LocalRegistry(testCase: self)
        let result = try runContainertool(["attach", "\(registry.host)/team/hello@sha256:\(String(repeating: "c", count: 64))",
                                           "--file", work.appendingPathComponent("hello.spdx.json").path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("the registry does not have it; push the image first"), result.stderr)
    }

    /// Issue 21's misleading messages: a blob stored under another digest was reported as "the manifest".
    func testABlobStoredUnderAnotherDigestIsNamedABlob() throws {
        let registry = try MockRegistry(testCase: self, faults: ["lying-blob-digest"])
        let pushed = try runContainertool(["push", "oci-layout:" + work.appendingPathComponent("layout").path, "\(registry.host)/team/hello:1", "--plain-http"])
        XCTAssertEqual(pushed.status, 1)
        XCTAssertTrue(pushed.stderr.contains("the registry stored the blob (application/vnd.oci.image."), pushed.stderr)
        XCTAssertFalse(pushed.stderr.contains("stored the manifest"), pushed.stderr)
    }

    func testBadAttachRequestsSayWhatToDo() throws {
        let spdx = work.appendingPathComponent("hello.spdx.json").path
        let cases: [([String], String)] = [
            (["127.0.0.1:1/a:1", "--file", spdx], "attach to a digest, not a tag"),
            (["127.0.0.1:1/a@sha256:\(String(repeating: "a", count: 64))"], "nothing to attach"),
            (["127.0.0.1:1/a@sha256:\(String(repeating: "a", count: 64))", "--file", work.appendingPathComponent("none.json").path], "no such readable file"),
            (["127.0.0.1:1/a@sha256:\(String(repeating: "a", count: 64))", "--file", work.appendingPathComponent("layout/index.json").path], "say what it is"),
        ]
        for (arguments, message) in cases {
            let result = try runContainertool(["attach"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.split(separator: "\n").first?.contains(message) == true, "the first line says it: \(result.stderr)")
        }
    }

    func testTheFallbackIndexKeepsOthersReplacesTheSameDigestAndIsOrdered() {
        let a = Descriptor(mediaType: MediaType.imageManifest, digest: "sha256:" + String(repeating: "a", count: 64), size: 1, artifactType: "x/a")
        let b = Descriptor(mediaType: MediaType.imageManifest, digest: "sha256:" + String(repeating: "b", count: 64), size: 2, artifactType: "x/b")
        var bigger = a
        bigger.size = 9
        let index = Referrers.index(adding: a, to: Referrers.index(adding: b, to: nil))
        XCTAssertEqual(index.manifests.map(\.digest), [a.digest, b.digest])
        XCTAssertEqual(Referrers.index(adding: bigger, to: index).manifests.map(\.size), [9, 2])
        let manifest = Referrers.artifactManifest(artifactType: "application/spdx+json", blob: b,
                                                  subject: Descriptor(mediaType: MediaType.imageManifest, digest: a.digest, size: 5,
                                                                      annotations: ["k": "v"], platform: nil))
        XCTAssertNil(manifest.subject?.annotations, "the subject is a bare descriptor")
        XCTAssertEqual(manifest.config.digest, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "the spec's empty descriptor")
    }
}
