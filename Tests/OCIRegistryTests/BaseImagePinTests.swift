import Foundation
import OCIModel
import TestSupport
import XCTest

/// A registry base is resolved once for every platform of a build (a tag that moves mid-build cannot
/// give one index two bases), the image records the base as `org.opencontainers.image.base.name` /
/// `.base.digest`, and a base index nested in another index is found as containerd finds it.
final class BaseImagePinTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        try Prerequisite.requireTool("aarch64-linux-gnu-gcc", install: "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
        work = try temporaryDirectory(self, "base-pin")
    }

    /// A static program for `compiler`'s platform that prints `name`.
    func program(_ name: String, compiler: String = "gcc") throws -> String { try staticProgram(name, compiler: compiler, in: work) }

    func containertool(_ arguments: [String]) throws -> ToolResult {
        try isolatedContainertool(arguments, work: work)
    }

    /// Pushes a two-platform base whose images say `BASE=<marker>`; returns its index digest.
    @discardableResult
    func pushTwoPlatformBase(_ reference: String, marker: String) throws -> String {
        let pushed = try containertool(["build", "--executable", "linux/amd64=" + (try program("base-amd")),
                                        "--executable", "linux/arm64=" + (try program("base-arm", compiler: "aarch64-linux-gnu-gcc")),
                                        "--name", "basetool", "--env", "BASE=\(marker)", "--plain-http", "--output", "registry:" + reference, "--json"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any], pushed.stdout)
        return try XCTUnwrap(report["indexDigest"] as? String, pushed.stdout)
    }

    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func blob(_ layout: String, _ digest: String) throws -> [String: Any] {
        try json(layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count))
    }

    /// The top descriptor of a layout's index.json, then the image index it names.
    func imageIndex(_ layout: String) throws -> [String: Any] {
        let top = try XCTUnwrap((try json(layout + "/index.json")["manifests"] as? [[String: Any]])?.first)
        return try blob(layout, try XCTUnwrap(top["digest"] as? String))
    }

    /// Each platform's `BASE=` environment value and its manifest's annotations, by architecture.
    func platforms(_ layout: String) throws -> [String: (base: String, annotations: [String: String])] {
        var result: [String: (String, [String: String])] = [:]
        for entry in try XCTUnwrap(try imageIndex(layout)["manifests"] as? [[String: Any]]) {
            let manifest = try blob(layout, try XCTUnwrap(entry["digest"] as? String))
            let config = try blob(layout, try XCTUnwrap((manifest["config"] as? [String: Any])?["digest"] as? String))
            let environment = ((config["config"] as? [String: Any])?["Env"] as? [String]) ?? []
            let architecture = try XCTUnwrap(config["architecture"] as? String)
            result[architecture] = (environment.first { $0.hasPrefix("BASE=") } ?? "none", manifest["annotations"] as? [String: String] ?? [:])
        }
        return result
    }

    func testATagMovedDuringABuildGivesEveryPlatformTheBaseItFirstNamedAndTheImageRecordsIt() throws {
        let registry = try MockRegistry(testCase: self, faults: ["moving-tag"])
        let first = try pushTwoPlatformBase("\(registry.host)/base:1", marker: "first")
        try pushTwoPlatformBase("\(registry.host)/base:1.moved", marker: "moved")
        let before = registry.requests.count

        let layout = work.path + "/app"
        let built = try containertool(["build", "--executable", "linux/amd64=" + (try program("app-amd")),
                                       "--executable", "linux/arm64=" + (try program("app-arm", compiler: "aarch64-linux-gnu-gcc")),
                                       "--from", "\(registry.host)/base:1", "--plain-http", "--output", "oci-layout:" + layout])
        XCTAssertEqual(built.status, 0, built.stderr)
        let tagFetches = registry.requests.dropFirst(before).filter { $0.method == "GET" && $0.path == "/v2/base/manifests/1" }
        XCTAssertEqual(tagFetches.count, 1, "the tag is resolved once for both platforms")

        let expected = [AnnotationKey.baseName: "\(registry.host)/base:1", AnnotationKey.baseDigest: first]
        let images = try platforms(layout)
        XCTAssertEqual(Set(images.keys), ["amd64", "arm64"])
        for (architecture, image) in images {
            XCTAssertEqual(image.base, "BASE=first", "\(architecture) is built on the base the tag first named")
            XCTAssertEqual(image.annotations, expected, architecture)
        }
        XCTAssertEqual(try imageIndex(layout)["annotations"] as? [String: String], expected, "the index records the base too")
        // The annotated index and manifests are what OCI tools read.
        for architecture in ["amd64", "arm64"] {
            let inspected = try runChecked("skopeo", ["inspect", "--override-arch", architecture, "oci:\(layout):latest"])
            XCTAssertTrue(inspected.contains("\"Architecture\": \"\(architecture)\""), inspected)
        }
    }

    func testASinglePlatformImageRecordsTheBaseAsNamedAndTheDigestTheTagHad() throws {
        let registry = try MockRegistry(testCase: self)
        let index = try pushTwoPlatformBase("\(registry.host)/base:1", marker: "one")
        let layout = work.path + "/single"
        let built = try containertool(["build", "--executable", try program("app"), "--from", "\(registry.host)/base:1", "--plain-http",
                                       "--output", "oci-layout:" + layout])
        XCTAssertEqual(built.status, 0, built.stderr)
        let top = try XCTUnwrap((try json(layout + "/index.json")["manifests"] as? [[String: Any]])?.first)
        let manifest = try blob(layout, try XCTUnwrap(top["digest"] as? String))
        XCTAssertEqual(manifest["annotations"] as? [String: String], [AnnotationKey.baseName: "\(registry.host)/base:1", AnnotationKey.baseDigest: index],
                       "base.digest is what the tag named (the base's index), so a scanner can tell when the tag has moved")

        // Scratch and local bases record nothing: there is no registry name to check against.
        let scratch = try containertool(["build", "--executable", try program("app2"), "--output", "oci-layout:" + work.path + "/scratch"])
        XCTAssertEqual(scratch.status, 0, scratch.stderr)
        let scratchTop = try XCTUnwrap((try json(work.path + "/scratch/index.json")["manifests"] as? [[String: Any]])?.first)
        XCTAssertNil(try blob(work.path + "/scratch", try XCTUnwrap(scratchTop["digest"] as? String))["annotations"])
    }

    func testABaseIndexNestedInAnotherIndexIsFollowedAsContainerdDoes() throws {
        let registry = try MockRegistry(testCase: self)
        let inner = try pushTwoPlatformBase("\(registry.host)/base:inner", marker: "nested")
        let innerBytes = try runChecked("curl", ["-sf", "-H", "Accept: application/vnd.oci.image.index.v1+json", "http://\(registry.host)/v2/base/manifests/inner"])
        let outer = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\(inner)","size":\(innerBytes.utf8.count)}]}
            """
        let file = work.appendingPathComponent("outer.json")
        try Data(outer.utf8).write(to: file)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary", "@" + file.path,
                                "http://\(registry.host)/v2/base/manifests/outer"])

        let layout = work.path + "/app"
        let built = try containertool(["build", "--executable", "linux/amd64=" + (try program("app-amd")),
                                       "--executable", "linux/arm64=" + (try program("app-arm", compiler: "aarch64-linux-gnu-gcc")),
                                       "--from", "\(registry.host)/base:outer", "--plain-http", "--output", "oci-layout:" + layout])
        XCTAssertEqual(built.status, 0, built.stderr)
        for (architecture, image) in try platforms(layout) {
            XCTAssertEqual(image.base, "BASE=nested", architecture)
            XCTAssertEqual(image.annotations[AnnotationKey.baseDigest], sha256Hex(outer), "the digest the tag named: the outer index")
        }

        // A chain of indexes deeper than the limit is refused in one line that says what to do.
        var digest = inner
        var size = innerBytes.utf8.count
        for level in 0..<6 {
            let wrapper = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\#(digest)","size":\#(size)}]}"#
            try Data(wrapper.utf8).write(to: file)
            try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary", "@" + file.path,
                                    "http://\(registry.host)/v2/base/manifests/deep\(level)"])
            digest = sha256Hex(wrapper)
            size = wrapper.utf8.count
        }
        // So is an index that would take many requests to search (20 nested indexes, none for amd64).
        var wide: [String] = []
        for number in 0..<20 {
            let child = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "e", count: 64))","size":\#(number),"platform":{"os":"linux","architecture":"s390x"}}]}"#
            try Data(child.utf8).write(to: file)
            try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary", "@" + file.path,
                                    "http://\(registry.host)/v2/base/manifests/child\(number)"])
            wide.append(#"{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"\#(sha256Hex(child))","size":\#(child.utf8.count)}"#)
        }
        try Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(wide.joined(separator: ","))]}"#.utf8).write(to: file)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary", "@" + file.path,
                                "http://\(registry.host)/v2/base/manifests/wide"])
        let before = registry.requests.count
        let searched = try containertool(["build", "--executable", try program("app-wide"), "--from", "\(registry.host)/base:wide", "--plain-http",
                                          "--output", "oci-layout:" + work.path + "/wide"])
        XCTAssertEqual(searched.status, 1, searched.stderr)
        XCTAssertTrue(searched.stderr.contains("its nested indexes need more than 16 requests to search; pin the linux/amd64 image manifest by digest instead"), searched.stderr)
        XCTAssertLessThanOrEqual(registry.requests.dropFirst(before).filter { $0.path.contains("/manifests/") }.count, 17)

        // Platforms that are only in nested indexes are named when the one asked for is missing.
        try Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\#(wide[0])]}"#.utf8).write(to: file)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.index.v1+json", "--data-binary", "@" + file.path,
                                "http://\(registry.host)/v2/base/manifests/s390x"])
        let missing = try containertool(["build", "--executable", try program("app-s390x"), "--from", "\(registry.host)/base:s390x", "--plain-http",
                                         "--output", "oci-layout:" + work.path + "/s390x"])
        XCTAssertEqual(missing.status, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("it has no image for linux/amd64 (available: linux/s390x, some in nested indexes)"), missing.stderr)

        let deep = try containertool(["build", "--executable", try program("app-deep"), "--from", "\(registry.host)/base:deep5", "--plain-http",
                                      "--output", "oci-layout:" + work.path + "/deep"])
        XCTAssertEqual(deep.status, 1, deep.stderr)
        XCTAssertTrue(deep.stderr.contains("pin the linux/amd64 image manifest by digest"), deep.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.path + "/deep"))
    }

    func testALocalLayoutWithNestedIndexesIsFollowedAndOneNestedTooDeepIsRefused() throws {
        let layout = work.path + "/nested-layout"
        let built = try containertool(["build", "--executable", try program("base"), "--env", "BASE=nested", "--output", "oci-layout:" + layout])
        XCTAssertEqual(built.status, 0, built.stderr)
        let original = try XCTUnwrap((try json(layout + "/index.json")["manifests"] as? [[String: Any]])?.first)
        var top = original
        top["annotations"] = nil
        /// Wraps `top` in one more index; index.json names the outermost.
        func nest() throws {
            let index = try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [top]],
                                                   options: .sortedKeys)
            let digest = "sha256:" + SHA256.hash(Array(index)).hexString
            try index.write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + digest.dropFirst(7)))
            top = ["mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": index.count]
            try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "manifests": [top]]).write(to: URL(fileURLWithPath: layout + "/index.json"))
        }
        try nest()
        try nest()  // index.json → index → index → manifest, as Docker's containerd store nests them and deeper
        let followed = try containertool(["build", "--executable", try program("app"), "--from", "oci-layout:" + layout, "--output", "oci-layout:" + work.path + "/app-layout"])
        XCTAssertEqual(followed.status, 0, followed.stderr)
        let config = try blob(work.path + "/app-layout", try XCTUnwrap((try blob(work.path + "/app-layout", try XCTUnwrap((try json(work.path + "/app-layout/index.json")["manifests"] as? [[String: Any]])?.first?["digest"] as? String))["config"] as? [String: Any])?["digest"] as? String))
        XCTAssertEqual((config["config"] as? [String: Any])?["Env"] as? [String], ["BASE=nested"], "the nested base is the one built on")

        for _ in 0..<4 { try nest() }
        let refused = try containertool(["build", "--executable", try program("app2"), "--from", "oci-layout:" + layout, "--output", "oci-layout:" + work.path + "/app2-layout"])
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("its indexes nest more than 4 deep; build on a layout that lists the linux/amd64 image directly"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.path + "/app2-layout"))
    }

    func testADigestPinnedBaseRecordsItsDigestAndNoNameATagAndDigestRecordsTheTag() throws {
        let registry = try MockRegistry(testCase: self)
        let index = try pushTwoPlatformBase("\(registry.host)/base:1", marker: "one")
        for (from, name) in [("\(registry.host)/base@\(index)", nil), ("\(registry.host)/base:1@\(index)", "\(registry.host)/base:1")] {
            let layout = work.path + "/pinned-\(name == nil ? "digest" : "both")"
            let built = try containertool(["build", "--executable", try program("app-\(name == nil ? "d" : "b")"), "--from", from, "--plain-http", "--output", "oci-layout:" + layout])
            XCTAssertEqual(built.status, 0, built.stderr)
            let top = try XCTUnwrap((try json(layout + "/index.json")["manifests"] as? [[String: Any]])?.first)
            let annotations = try blob(layout, try XCTUnwrap(top["digest"] as? String))["annotations"] as? [String: String]
            XCTAssertEqual(annotations?[AnnotationKey.baseDigest], index, from)
            XCTAssertEqual(annotations?[AnnotationKey.baseName], name, "\(from): a name a scanner can re-resolve, or none")
        }
    }

    func sha256Hex(_ text: String) -> String {
        "sha256:" + SHA256.hash(Array(text.utf8)).hexString
    }
}
