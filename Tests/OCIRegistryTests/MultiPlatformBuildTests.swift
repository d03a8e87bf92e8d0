import Foundation
import TestSupport
import XCTest

/// `containertool build --executable linux/amd64=PATH --executable linux/arm64=PATH`: an OCI image index
/// over one image per platform, checked with the real tools (docker-registry, skopeo, docker).
final class MultiPlatformBuildTests: XCTestCase {
    var amd64: String!
    var arm64: String!
    var work: URL!

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        try Prerequisite.requireTool("aarch64-linux-gnu-gcc", install: "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
        work = try temporaryDirectory(self, "multi-platform")
        let source = work.appendingPathComponent("hello.c")
        try Data("#include <unistd.h>\nint main(void) { write(1, \"Hello world!\\n\", 13); return 0; }\n".utf8).write(to: source)
        amd64 = work.appendingPathComponent("hello-amd64").path
        arm64 = work.appendingPathComponent("hello-arm64").path
        try runChecked("gcc", ["-static", "-Os", "-s", "-o", amd64, source.path])
        try runChecked("aarch64-linux-gnu-gcc", ["-static", "-Os", "-s", "-o", arm64, source.path])
    }

    func build(_ arguments: [String]) throws -> ToolResult {
        try runContainertool(["build", "--name", "hello", "--tag", "multi/hello:1"] + arguments,
                             environment: ["SOURCE_DATE_EPOCH": "0", "HOME": work.path, "DOCKER_CONFIG": work.path + "/no-docker-config"])
    }

    var bothPlatforms: [String] { ["--executable", "linux/amd64=" + amd64, "--executable", "linux/arm64=" + arm64] }

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    func platforms(ofIndex data: Data) throws -> [String] {
        let index = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(index["mediaType"] as? String, "application/vnd.oci.image.index.v1+json")
        return ((index["manifests"] as? [[String: Any]]) ?? []).compactMap { entry in
            (entry["platform"] as? [String: Any]).map { "\($0["os"] ?? "")/\($0["architecture"] ?? "")" }
        }
    }

    func testIndexInLayoutAndArchiveIsReproducibleAndSharesTheBaseLayer() throws {
        let first = try build(bothPlatforms + ["--json", "--output", "oci-layout:\(work.path)/one", "--output", "oci-archive:\(work.path)/one.tar"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try build(bothPlatforms + ["--json", "--output", "oci-layout:\(work.path)/two"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let report = try json(first.stdout)
        let indexDigest = try XCTUnwrap(report["indexDigest"] as? String, first.stdout)
        XCTAssertEqual(report["digest"] as? String, indexDigest, "the digest users pull by is the index's")
        XCTAssertEqual(try json(second.stdout)["indexDigest"] as? String, indexDigest, "two runs, one index digest")
        let entries = try XCTUnwrap(report["platforms"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["platform"] as? String }, ["linux/amd64", "linux/arm64/v8"])
        XCTAssertTrue(entries.allSatisfy { ($0["digest"] as? String)?.hasPrefix("sha256:") == true }, first.stdout)
        XCTAssertEqual((report["outputs"] as? [[String: Any]])?.map { $0["digest"] as? String }, [indexDigest, indexDigest])

        // index.json → the index under the tag → two platform manifests; skopeo reads both outputs.
        let layoutIndex = try json(String(decoding: try Data(contentsOf: work.appendingPathComponent("one/index.json")), as: UTF8.self))
        let top = try XCTUnwrap((layoutIndex["manifests"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["digest"] as? String, indexDigest)
        XCTAssertEqual(top["mediaType"] as? String, "application/vnd.oci.image.index.v1+json")
        XCTAssertEqual((top["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"], "1")
        for source in ["oci:\(work.path)/one:1", "oci-archive:\(work.path)/one.tar:1"] {
            let raw = try runChecked("skopeo", ["inspect", "--raw", source])
            XCTAssertEqual(try platforms(ofIndex: Data(raw.utf8)), ["linux/amd64", "linux/arm64"], source)
            XCTAssertEqual("sha256:" + (try runChecked("bash", ["-c", "skopeo inspect --raw '\(source)' | sha256sum | cut -d' ' -f1"])).trimmingCharacters(in: .whitespacesAndNewlines), indexDigest)
        }
        // index, 2 manifests, 2 configs, the shared base layer, 2 executable layers.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("one/blobs/sha256").path)
        XCTAssertEqual(blobs.count, 8, "the add-ons layer (users, /tmp) is stored once: \(blobs)")
        let arm64Config = try runChecked("skopeo", ["inspect", "--config", "--override-arch", "arm64", "oci:\(work.path)/one:1"])
        XCTAssertEqual(try json(arm64Config)["architecture"] as? String, "arm64")
        XCTAssertEqual(((try json(arm64Config)["rootfs"] as? [String: Any])?["diff_ids"] as? [Any])?.count, 2)
    }

    /// With a resource, the add-ons and resources layers are the same blobs on both platforms
    /// (stored once); each platform has its own executable layer on top.
    func testLowerLayersAreSharedAcrossPlatforms() throws {
        let resource = work.appendingPathComponent("data.txt")
        try Data("shared".utf8).write(to: resource)
        let result = try build(bothPlatforms + ["--resource", resource.path + ":/data.txt", "--output", "oci-layout:\(work.path)/shared"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let blobs = work.appendingPathComponent("shared/blobs/sha256")
        func object(_ digest: String) throws -> [String: Any] {
            try json(String(decoding: try Data(contentsOf: blobs.appendingPathComponent(String(digest.dropFirst("sha256:".count)))), as: UTF8.self))
        }
        let top = try json(String(decoding: try Data(contentsOf: work.appendingPathComponent("shared/index.json")), as: UTF8.self))
        let indexDigest = try XCTUnwrap(((top["manifests"] as? [[String: Any]])?.first?["digest"]) as? String)
        let manifests = try XCTUnwrap(try object(indexDigest)["manifests"] as? [[String: Any]])
        let layers = try manifests.map { entry in
            try XCTUnwrap(try object(try XCTUnwrap(entry["digest"] as? String))["layers"] as? [[String: Any]]).compactMap { $0["digest"] as? String }
        }
        XCTAssertEqual(layers.map(\.count), [3, 3], "add-ons, resources, executable: \(layers)")
        XCTAssertEqual(layers[0].prefix(2), layers[1].prefix(2), "add-ons and resources shared")
        XCTAssertNotEqual(layers[0][2], layers[1][2])
        // index, 2 manifests, 2 configs, 2 shared layers, 2 executable layers.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: blobs.path).count, 9)
    }

    /// Issue 21 row 12: the index lists platforms sorted, so flag order does not change the digest.
    func testExecutableFlagOrderDoesNotChangeTheIndexDigest() throws {
        let forward = try build(bothPlatforms + ["--json", "--output", "oci-layout:\(work.path)/forward"])
        XCTAssertEqual(forward.status, 0, forward.stderr)
        let reversed = try build(["--executable", "linux/arm64=" + arm64, "--executable", "linux/amd64=" + amd64,
                                  "--json", "--output", "oci-layout:\(work.path)/reversed"])
        XCTAssertEqual(reversed.status, 0, reversed.stderr)
        let digest = try XCTUnwrap(try json(forward.stdout)["indexDigest"] as? String, forward.stdout)
        XCTAssertEqual(try json(reversed.stdout)["indexDigest"] as? String, digest, "same inputs, another order, same index")
        let entries = try XCTUnwrap(try json(reversed.stdout)["platforms"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["platform"] as? String }, ["linux/amd64", "linux/arm64/v8"])
    }

    func testMismatchedAndAmbiguousInputsAreRefusedWithOneLineAndNothingWritten() throws {
        let swapped = try build(["--executable", "linux/amd64=" + arm64, "--executable", "linux/arm64=" + amd64,
                                 "--output", "oci-layout:\(work.path)/out"])
        XCTAssertEqual(swapped.status, 1)
        XCTAssertEqual(swapped.stderr.split(separator: "\n").count, 1, swapped.stderr)
        XCTAssertTrue(swapped.stderr.contains("is a linux/arm64 executable but is declared as linux/amd64"), swapped.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("out").path))

        let plainChecked = try build(["--executable", arm64, "--platform", "linux/amd64", "--output", "oci-layout:\(work.path)/out"])
        XCTAssertEqual(plainChecked.status, 1)
        XCTAssertTrue(plainChecked.stderr.contains("declared as linux/amd64"), plainChecked.stderr)

        let cases: [([String], String)] = [
            (bothPlatforms + ["--output", "docker-archive:\(work.path)/d.tar"], "choose it with --platform"),
            (bothPlatforms + ["--platform", "linux/s390x", "--output", "docker-archive:\(work.path)/d.tar"], "not one of the --executable platforms"),
            (["--executable", "linux/amd64=" + amd64, "--executable", arm64, "--output", "oci-layout:\(work.path)/out"], "either give every --executable a platform"),
            (["--executable", "linux/amd64=" + amd64, "--executable", "linux/amd64=" + amd64, "--output", "oci-layout:\(work.path)/out"], "given twice"),
            (["--executable", "windows/amd64=" + amd64, "--output", "oci-layout:\(work.path)/out"], "not a Linux platform"),
            (["--executable", "linux/arm64=", "--output", "oci-layout:\(work.path)/out"], "names no file"),
        ]
        for (arguments, message) in cases {
            let result = try build(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("containertool build: ") && result.stderr.split(separator: "\n").first?.contains(message) == true,
                          "one line says it: \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("out").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("d.tar").path))
    }

    func testDockerArchiveHoldsTheChosenPlatform() throws {
        let result = try build(bothPlatforms + ["--platform", "linux/arm64", "--json", "--output", "docker-archive:\(work.path)/d.tar",
                                                "--output", "oci-layout:\(work.path)/l"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try json(result.stdout)
        let outputs = try XCTUnwrap(report["outputs"] as? [[String: Any]])
        let arm64Entry = try XCTUnwrap((report["platforms"] as? [[String: Any]])?.last)
        XCTAssertNotEqual(outputs[0]["digest"] as? String, report["indexDigest"] as? String)
        let config = try runChecked("skopeo", ["inspect", "--config", "--raw", "docker-archive:\(work.path)/d.tar"])
        XCTAssertEqual(try json(config)["architecture"] as? String, "arm64")
        XCTAssertEqual(sha256Hex(Data(config.utf8)), (arm64Entry["configDigest"] as? String)?.dropFirst(7).description, "the archive holds the arm64 image of the index")
    }

    /// The index on a real registry: manifests first, then the index under the tag; skopeo and docker read it.
    func testIndexPushedToARealRegistryRunsOnBothPlatforms() throws {
        let registry = try LocalRegistry(testCase: self)
        let reference = "\(registry.host)/arch2-multi/hello:1"
        let result = try build(bothPlatforms + ["--json", "--output", "registry:" + reference])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try json(result.stdout)
        let indexDigest = try XCTUnwrap(report["indexDigest"] as? String)
        XCTAssertEqual(report["pushed"] as? [String], ["\(registry.host)/arch2-multi/hello@\(indexDigest)"])

        let raw = try runChecked("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://" + reference])
        XCTAssertEqual(try platforms(ofIndex: Data(raw.utf8)), ["linux/amd64", "linux/arm64"])
        XCTAssertEqual("sha256:" + sha256Hex(Data(raw.utf8)), indexDigest)
        let copied = work.appendingPathComponent("copied").path
        try runChecked("skopeo", ["copy", "--all", "--src-tls-verify=false", "docker://" + reference, "oci:\(copied):1"])
        XCTAssertEqual(try platforms(ofIndex: Data(try runChecked("skopeo", ["inspect", "--raw", "oci:\(copied):1"]).utf8)),
                       ["linux/amd64", "linux/arm64"])
        for arch in ["amd64", "arm64"] {
            let config = try runChecked("skopeo", ["inspect", "--config", "--override-arch", arch, "oci:\(copied):1"])
            XCTAssertEqual(try json(config)["architecture"] as? String, arch, "skopeo copy --all kept \(arch)")
        }

        // A second push of the same build: the same index digest, every blob already there.
        let again = try build(bothPlatforms + ["--json", "--output", "registry:" + reference])
        XCTAssertEqual(try json(again.stdout)["indexDigest"] as? String, indexDigest, again.stderr)

        try Prerequisite.require((try? runTool("docker", ["info"]))?.status == 0, "no Docker engine answers; docker run --platform not checked")
        // Each pull re-tags the reference, leaving the other platform's image untagged: remove both by ID.
        var pulled: [String] = []
        defer { for image in pulled + [reference] { _ = try? runTool("docker", ["rmi", "-f", image]) } }
        for platform in ["linux/amd64", "linux/arm64"] {
            if platform == "linux/arm64", let problem = arm64EmulationProblem() {
                print("SKIPPED: docker run --platform linux/arm64: \(problem)")
                continue
            }
            let run = try runTool("docker", ["run", "--rm", "--network", "host", "--pull", "always", "--platform", platform, reference])
            XCTAssertEqual(run.status, 0, "\(platform): \(run.stderr)")
            XCTAssertEqual(run.stdout, "Hello world!\n", platform)
            if let id = try? runChecked("docker", ["image", "inspect", "-f", "{{.Id}}", reference]) { pulled.append(id.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// Why the kernel cannot run arm64 binaries in containers (binfmt_misc with qemu's F flag), or nil.
    func arm64EmulationProblem() -> String? {
        #if arch(arm64)
        return nil
        #else
        guard let entry = try? String(contentsOfFile: "/proc/sys/fs/binfmt_misc/qemu-aarch64", encoding: .utf8) else {
            return "no qemu-aarch64 entry in binfmt_misc (apt-get install qemu-user-static binfmt-support)"
        }
        guard entry.hasPrefix("enabled"), entry.contains("flags: F") || entry.range(of: #"flags: [A-Z]*F"#, options: .regularExpression) != nil else {
            return "the qemu-aarch64 binfmt_misc entry is disabled or lacks the F flag"
        }
        return nil
        #endif
    }

    func sha256Hex(_ data: Data) -> String {
        let input = work.appendingPathComponent("digest-input")
        try? data.write(to: input)
        return ((try? runChecked("sha256sum", [input.path])) ?? "").split(separator: " ").first.map(String.init) ?? ""
    }
}
