import Foundation
import TestSupport
import XCTest

/// The adversarial pass over local bases (`adv-base`): an archive or layout holding several images.
extension BaseImageBuildTests {
    /// A layout or docker archive with several images: without a tag the build is refused naming the
    /// tags (never the first one silently); with `KIND:PATH:TAG` that image is the base.
    func testALocalBaseWithSeveralImagesMustBeNamed() throws {
        var archives: [String] = []
        for (name, tag) in [("basea", "base:7"), ("baseb", "other:8")] {
            let built = try containertool(["build", "--executable", try program(name), "--env", "FROM=\(name)", "--tag", tag,
                                           "--output", "oci-layout:\(work.path)/\(name)-layout", "--output", "docker-archive:\(work.path)/\(name).tar"])
            XCTAssertEqual(built.status, 0, built.stderr)
            try runChecked("skopeo", ["copy", "-q", "oci:\(work.path)/\(name)-layout:\(tag.split(separator: ":")[1])", "oci:\(work.path)/several:\(name)"])
            archives.append("\(work.path)/\(name).tar")
        }
        // One docker archive holding both (as `docker save A B` writes).
        let merged = work.appendingPathComponent("merged")
        try FileManager.default.createDirectory(at: merged, withIntermediateDirectories: true)
        var entries: [Any] = []
        for archive in archives {
            try runChecked("tar", ["-xf", archive, "-C", merged.path])
            entries += try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: merged.appendingPathComponent("manifest.json"))) as? [Any])
        }
        try JSONSerialization.data(withJSONObject: entries).write(to: merged.appendingPathComponent("manifest.json"))
        try FileManager.default.removeItem(at: merged.appendingPathComponent("repositories"))
        try runChecked("tar", ["-cf", "\(work.path)/several.tar", "-C", merged.path] + (try FileManager.default.contentsOfDirectory(atPath: merged.path)))

        let hello = try program("hello")
        for (from, expected) in [("oci-layout:\(work.path)/several", "holds several images (tags: basea, baseb)"),
                                 ("docker-archive:\(work.path)/several.tar", "holds 2 images (tags: base:7, other:8)")] {
            let result = try containertool(["build", "--executable", hello, "--from", from, "--output", "oci-layout:\(work.path)/refused"])
            XCTAssertEqual(result.status, 1, from)
            XCTAssertTrue(result.stderr.contains(expected), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work.path)/refused"))
        }
        for (index, from) in ["oci-layout:\(work.path)/several:baseb", "docker-archive:\(work.path)/several.tar:other:8"].enumerated() {
            let result = try containertool(["build", "--executable", hello, "--from", from, "--output", "oci-layout:\(work.path)/app\(index)"])
            XCTAssertEqual(result.status, 0, "\(from): \(result.stderr)")
            XCTAssertEqual((try config("oci:\(work.path)/app\(index):latest")["config"] as? [String: Any])?["Env"] as? [String], ["FROM=baseb"], from)
        }
    }

    /// The same local base in two directories gives the same image (byte-for-byte), and the image's
    /// history tells nothing of the builder's directories.
    func testALocalBaseGivesTheSameImageWhereverItLies() throws {
        for folder in ["one", "two"] { try FileManager.default.createDirectory(atPath: "\(work.path)/\(folder)", withIntermediateDirectories: true) }
        let built = try containertool(["build", "--executable", try program("basetool"), "--tag", "base:7", "--output", "oci-layout:\(work.path)/one/base"])
        XCTAssertEqual(built.status, 0, built.stderr)
        try FileManager.default.copyItem(atPath: "\(work.path)/one/base", toPath: "\(work.path)/two/other-name")
        let hello = try program("hello")
        var digests: [String] = []
        for (index, from) in ["oci-layout:\(work.path)/one/base", "oci-layout:\(work.path)/two/other-name:7"].enumerated() {
            let result = try containertool(["build", "--executable", hello, "--from", from, "--output", "oci-layout:\(work.path)/app\(index)"])
            XCTAssertEqual(result.status, 0, "\(from): \(result.stderr)")
            digests.append(try runChecked("skopeo", ["inspect", "--format", "{{.Digest}}", "oci:\(work.path)/app\(index):latest"]))
            let history = try XCTUnwrap(try config("oci:\(work.path)/app\(index):latest")["history"] as? [[String: Any]])
            XCTAssertFalse("\(history)".contains(work.path), "\(history)")
        }
        XCTAssertEqual(digests[0], digests[1])
    }

    /// `--from scratch` is Docker's `FROM scratch`: the same image and Dockerfile as no `--from` (not a pull of
    /// docker.io/library/scratch, nor a rootful image without users or /tmp from the Dockerfile).
    func testFromScratchIsNoBase() throws {
        let hello = try program("hello")
        var digests: [String] = []
        for (index, extra) in [[], ["--from", "scratch"]].enumerated() {
            let result = try containertool(["build", "--executable", hello, "--output", "oci-layout:\(work.path)/scratch\(index)"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            digests.append(try runChecked("skopeo", ["inspect", "--format", "{{.Digest}}", "oci:\(work.path)/scratch\(index):latest"]))
        }
        XCTAssertEqual(digests[0], digests[1])
        let plain = try containertool(["dockerfile", "--product", "App", "--stdout"])
        let scratch = try containertool(["dockerfile", "--product", "App", "--stdout", "--from", "scratch"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(scratch.stdout, plain.stdout)
        XCTAssertTrue(scratch.stdout.contains("\nUSER 65532:65532"), scratch.stdout)
    }

    /// A push to another registry than the base's uploads the base's blobs from the cache: no blob GET
    /// on the base's registry, no mount attempt across registries, and the target holds the whole image.
    func testAPushToAnotherRegistryUploadsTheBaseFromTheCache() throws {
        let source = try MockRegistry(testCase: self)
        let target = try MockRegistry(testCase: self)
        try pushBase(to: "\(source.host)/base:1")
        let hello = try program("hello")
        let warm = try containertool(["build", "--executable", hello, "--from", "\(source.host)/base:1", "--plain-http", "--output", "oci-layout:\(work.path)/warm"])
        XCTAssertEqual(warm.status, 0, warm.stderr)
        let sourceBlobGETs = source.requests.filter { $0.method == "GET" && $0.path.contains("/blobs/") }.count
        let result = try containertool(["build", "--executable", hello, "--from", "\(source.host)/base:1", "--plain-http", "--output", "registry:\(target.host)/app:1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(source.requests.filter { $0.method == "GET" && $0.path.contains("/blobs/") }.count, sourceBlobGETs, "the base's blobs come from the cache")
        XCTAssertFalse(target.requests.contains { $0.path.contains("mount=") }, "no mount from another registry")
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("curl", ["-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json", "http://\(target.host)/v2/app/manifests/1"]).utf8)) as? [String: Any])
        let digests = try XCTUnwrap(manifest["layers"] as? [[String: Any]]).compactMap { $0["digest"] as? String } + [try XCTUnwrap((manifest["config"] as? [String: Any])?["digest"] as? String)]
        for digest in digests {
            XCTAssertEqual(try runChecked("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-I", "http://\(target.host)/v2/app/blobs/\(digest)"]), "200", digest)
        }
    }

    /// A gzip-compressed archive as a base: one line that says to gunzip it, not "bad tar header checksum at offset 0".
    func testACompressedArchiveBaseSaysToGunzipIt() throws {
        let built = try containertool(["build", "--executable", try program("basetool"), "--output", "docker-archive:\(work.path)/base.tar",
                                       "--output", "oci-archive:\(work.path)/base-oci.tar"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let hello = try program("hello")
        for (kind, file) in [("docker-archive", "base.tar"), ("oci-archive", "base-oci.tar")] {
            try runChecked("gzip", ["-k", "\(work.path)/\(file)"])
            let result = try containertool(["build", "--executable", hello, "--from", "\(kind):\(work.path)/\(file).gz", "--output", "oci-layout:\(work.path)/app"])
            XCTAssertEqual(result.status, 1, kind)
            XCTAssertTrue(result.stderr.contains("gzip-compressed; gunzip it first"), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.hasPrefix("containertool build:") }.count, 1, result.stderr)
        }
    }
}
