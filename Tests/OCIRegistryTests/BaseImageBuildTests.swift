import Foundation
import TestSupport
import XCTest

/// `containertool build --from REF`: a base made here with containertool itself (a program, a file, Env,
/// Labels, User, WorkingDir, ports) pushed to the real docker-registry; the image built on it holds both
/// and runs under docker; the override rules; the blob cache; mounts; a corrupted blob; platforms.
final class BaseImageBuildTests: XCTestCase {
    var work: URL!
    var cache: String { work.path + "/cache" }

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        work = try temporaryDirectory(self, "base-build")
    }

    /// A static program that prints its name and the environment variables it is asked for.
    func program(_ name: String, compiler: String = "gcc") throws -> String {
        let source = work.appendingPathComponent(name + ".c")
        try Data("""
            #include <stdio.h>
            #include <stdlib.h>
            int main(int argc, char **argv) { printf("\(name)"); for (int i = 1; i < argc; i++) printf(" %s=%s", argv[i], getenv(argv[i]) ? getenv(argv[i]) : "-"); printf("\\n"); return 0; }
            """.utf8).write(to: source)
        let path = work.appendingPathComponent(name).path
        try runChecked(compiler, ["-static", "-Os", "-s", "-o", path, source.path])
        return path
    }

    func containertool(_ arguments: [String]) throws -> ToolResult { try isolatedContainertool(arguments, work: work, cache: cache) }

    /// Pushes a base: /basetool, /etc/base-marker.txt, Env BASE=1 and KEEP=base, labels, user 1000:1000, workdir /srv, port 9000.
    func pushBase(to reference: String, extra: [String] = []) throws {
        let marker = work.appendingPathComponent("base-marker.txt")
        try Data("from the base\n".utf8).write(to: marker)
        let result = try containertool(["build", "--executable", try program("basetool"), "--env", "BASE=1", "--env", "KEEP=base",
                                        "--label", "tier=base", "--label", "base.only=yes", "--user", "1000:1000", "--workdir", "/srv",
                                        "--expose", "9000", "--cmd", "base-argument", "--resource", "\(marker.path):/etc/base-marker.txt",
                                        "--output", "registry:" + reference, "--plain-http"] + extra)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func config(_ source: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("skopeo", ["inspect", "--tls-verify=false", "--config", source]).utf8)) as? [String: Any])
    }

    func testImageOnARegistryBaseInheritsOverridesRunsAndMountsTheBaseLayers() throws {
        let registry = try LocalRegistry(testCase: self)
        try pushBase(to: "\(registry.host)/base:1")
        let hello = try program("hello")
        let tag = "base-test-\(UUID().uuidString.prefix(8).lowercased()):1"
        let result = try containertool(["build", "--executable", hello, "--from", "\(registry.host)/base:1", "--plain-http", "--tag", tag,
                                        "--env", "KEEP=ours", "--label", "tier=app", "--expose", "8080",
                                        "--output", "oci-layout:\(work.path)/app", "--output", "docker-archive:\(work.path)/app.tar",
                                        "--output", "registry:\(registry.host)/app:1"])
        XCTAssertEqual(result.status, 0, result.stderr)

        let image = try config("oci:\(work.path)/app")
        let settings = try XCTUnwrap(image["config"] as? [String: Any])
        XCTAssertEqual(settings["Env"] as? [String], ["BASE=1", "KEEP=ours"], "Env merges by key, ours wins")
        let labels = try XCTUnwrap(settings["Labels"] as? [String: String])
        XCTAssertEqual(labels["tier"], "app")
        XCTAssertEqual(labels["base.only"], "yes")
        XCTAssertEqual(settings["User"] as? String, "1000:1000", "the base's user without --user")
        XCTAssertEqual(settings["WorkingDir"] as? String, "/srv")
        XCTAssertEqual(settings["Entrypoint"] as? [String], ["/hello"])
        XCTAssertNil(settings["Cmd"], "the base's Cmd was an argument to its own entrypoint")
        XCTAssertEqual(Set((settings["ExposedPorts"] as? [String: Any])?.keys.map { $0 } ?? []), ["8080/tcp", "9000/tcp"])
        let baseConfig = try config("docker://\(registry.host)/base:1")
        let baseDiffIDs = try XCTUnwrap((baseConfig["rootfs"] as? [String: Any])?["diff_ids"] as? [String])
        let diffIDs = try XCTUnwrap((image["rootfs"] as? [String: Any])?["diff_ids"] as? [String])
        XCTAssertEqual(Array(diffIDs.prefix(baseDiffIDs.count)), baseDiffIDs, "the base's layers come first")
        XCTAssertTrue(result.stderr.contains("mounted \(baseDiffIDs.count) from another repository"), result.stderr)
        XCTAssertGreaterThan(diffIDs.count, baseDiffIDs.count)
        // One layer-making history entry per layer (a base without history gets placeholders for its layers).
        let history = try XCTUnwrap(image["history"] as? [[String: Any]])
        XCTAssertEqual(history.filter { $0["empty_layer"] as? Bool != true }.count, diffIDs.count)
        XCTAssertGreaterThanOrEqual(history.count, ((baseConfig["history"] as? [Any])?.count ?? 0) + diffIDs.count - baseDiffIDs.count)

        // The file tree: the base's files and ours, the base's /etc/passwd untouched.
        try runChecked("umoci", ["raw", "unpack", "--rootless", "--image", "\(work.path)/app:1", "\(work.path)/rootfs"])
        XCTAssertEqual(try String(contentsOfFile: "\(work.path)/rootfs/etc/base-marker.txt", encoding: .utf8), "from the base\n")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "\(work.path)/rootfs/basetool"))
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "\(work.path)/rootfs/hello"))
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("skopeo", ["inspect", "--raw", "oci:\(work.path)/app"]).utf8)) as? [String: Any])
        let layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
        for layer in layers.dropFirst(baseDiffIDs.count) {
            let digest = try XCTUnwrap(layer["digest"] as? String)
            let names = try runChecked("tar", ["-tzf", "\(work.path)/app/blobs/sha256/\(digest.dropFirst(7))"])
            XCTAssertFalse(names.contains("etc/passwd") || names.contains("etc/group"), "our layers must not replace the base's users: \(names)")
        }

        // docker runs it with the base's environment.
        try Prerequisite.require((try? runTool("docker", ["info"]))?.status == 0, "no Docker engine answers (docker info)")
        try runChecked("docker", ["load", "-i", "\(work.path)/app.tar"])
        defer { _ = try? runTool("docker", ["rmi", "-f", tag]) }
        let run = try runTool("docker", ["run", "--rm", "--network", "host", tag, "BASE", "KEEP"])
        XCTAssertEqual(run.stdout, "hello BASE=1 KEEP=ours\n", run.stderr)
        let base = try runTool("docker", ["run", "--rm", "--network", "host", "--entrypoint", "/basetool", tag])
        XCTAssertEqual(base.stdout, "basetool\n", base.stderr)
    }

    func testSecondBuildDownloadsNoBlobAndAPushToTheSameRegistryMountsTheBase() throws {
        let mock = try MockRegistry(testCase: self)
        try pushBase(to: "\(mock.host)/base:1")
        let hello = try program("hello")
        let blobGETs = { mock.requests.filter { $0.method == "GET" && $0.path.contains("/blobs/sha256:") }.count }
        let first = try containertool(["build", "--executable", hello, "--from", "\(mock.host)/base:1", "--plain-http", "--output", "oci-layout:\(work.path)/one"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let afterFirst = blobGETs()
        XCTAssertGreaterThanOrEqual(afterFirst, 2, "config and layer downloaded")
        let requestsBefore = mock.requests.count
        let second = try containertool(["build", "--executable", hello, "--from", "\(mock.host)/base:1", "--plain-http", "--output", "registry:\(mock.host)/app:1"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(blobGETs(), afterFirst, "the second build downloads no blob")
        let secondRequests = mock.requests[requestsBefore...]
        let mounts = secondRequests.filter { $0.method == "POST" && $0.path.contains("mount=") }
        let baseManifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("curl", ["-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json", "http://\(mock.host)/v2/base/manifests/1"]).utf8)) as? [String: Any])
        let baseLayers = try XCTUnwrap(baseManifest["layers"] as? [[String: Any]]).count
        XCTAssertEqual(mounts.count, baseLayers, "every layer of the base is mounted: \(secondRequests.map(\.path))")
        XCTAssertTrue(mounts.allSatisfy { $0.path.contains("from=base") })
        let committed = secondRequests.filter { $0.method == "PUT" && $0.path.contains("digest=") }.count
        XCTAssertEqual(committed, 2, "only our executable layer and the config are uploaded: \(secondRequests.map(\.path))")
    }

    func testACorruptedBaseBlobIsRefusedNamingItsDigestAndNothingIsWritten() throws {
        let mock = try MockRegistry(testCase: self, faults: ["corrupt-blob-get"])
        try pushBase(to: "\(mock.host)/base:1")
        let result = try containertool(["build", "--executable", try program("hello"), "--from", "\(mock.host)/base:1", "--plain-http",
                                        "--output", "oci-layout:\(work.path)/out", "--output", "docker-archive:\(work.path)/out.tar"])
        XCTAssertEqual(result.status, 1)
        let error = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("containertool: downloading") }
        XCTAssertEqual(error.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("does not match sha256:"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work.path)/out"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work.path)/out.tar"))
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: cache + "/blobs/sha256")) ?? [], [], "nothing cached")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: cache + "/tmp")) ?? [], [], "no partial download left")
    }

    func testUserOverrideAndPlatformMismatch() throws {
        let registry = try LocalRegistry(testCase: self)
        try pushBase(to: "\(registry.host)/base:1")
        let hello = try program("hello")
        let overridden = try containertool(["build", "--executable", hello, "--from", "\(registry.host)/base:1", "--plain-http", "--user", "0:0",
                                            "--workdir", "/app", "--cmd", "x", "--output", "oci-layout:\(work.path)/user"])
        XCTAssertEqual(overridden.status, 0, overridden.stderr)
        let settings = try XCTUnwrap(try config("oci:\(work.path)/user")["config"] as? [String: Any])
        XCTAssertEqual(settings["User"] as? String, "0:0")
        XCTAssertEqual(settings["WorkingDir"] as? String, "/app")
        XCTAssertEqual(settings["Cmd"] as? [String], ["x"])

        try Prerequisite.requireTool("aarch64-linux-gnu-gcc", install: "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
        let arm = try program("hello-arm", compiler: "aarch64-linux-gnu-gcc")
        let mismatch = try containertool(["build", "--executable", arm, "--from", "\(registry.host)/base:1", "--plain-http", "--output", "oci-layout:\(work.path)/arm"])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.stderr.contains("is linux/amd64 but the executable is linux/arm64"), mismatch.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work.path)/arm"))
    }

    func testTwoPlatformBaseIndexGivesEachPlatformItsBaseAndAMissingOneIsNamed() throws {
        try Prerequisite.requireTool("aarch64-linux-gnu-gcc", install: "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
        let registry = try LocalRegistry(testCase: self)
        let baseAMD = try program("base-amd")
        let baseARM = try program("base-arm", compiler: "aarch64-linux-gnu-gcc")
        let pushed = try containertool(["build", "--executable", "linux/amd64=" + baseAMD, "--executable", "linux/arm64=" + baseARM, "--name", "basetool",
                                        "--env", "BASE=1", "--plain-http", "--output", "registry:\(registry.host)/multibase:1"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let armOnly = try containertool(["build", "--executable", "linux/arm64=" + baseARM, "--name", "basetool", "--plain-http", "--output", "registry:\(registry.host)/armbase:1"])
        XCTAssertEqual(armOnly.status, 0, armOnly.stderr)

        let hello = try program("hello")
        let helloARM = try program("hello-arm", compiler: "aarch64-linux-gnu-gcc")
        let both = try containertool(["build", "--executable", "linux/amd64=" + hello, "--executable", "linux/arm64=" + helloARM,
                                      "--from", "\(registry.host)/multibase:1", "--plain-http", "--output", "oci-layout:\(work.path)/both"])
        XCTAssertEqual(both.status, 0, both.stderr)
        for architecture in ["amd64", "arm64"] {
            func diffIDs(_ source: String) throws -> [String] {
                let text = try runChecked("skopeo", ["inspect", "--tls-verify=false", "--override-arch", architecture, "--config", source])
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                XCTAssertEqual(object["architecture"] as? String, architecture)
                return try XCTUnwrap((object["rootfs"] as? [String: Any])?["diff_ids"] as? [String])
            }
            let base = try diffIDs("docker://\(registry.host)/multibase:1")
            let ours = try diffIDs("oci:\(work.path)/both:latest")
            XCTAssertEqual(Array(ours.prefix(base.count)), base, "\(architecture) builds on the \(architecture) base")
        }
        let single = try containertool(["build", "--executable", hello, "--from", "\(registry.host)/armbase:1", "--plain-http", "--output", "oci-layout:\(work.path)/missing"])
        XCTAssertEqual(single.status, 1)
        XCTAssertTrue(single.stderr.contains("no image for linux/amd64 (available: linux/arm64/v8)"), single.stderr)
        XCTAssertEqual(single.stderr.split(separator: "\n").filter { !$0.hasPrefix("containertool: ") || $0.contains("error") }.count, 1, single.stderr)
    }

    func testLocalBasesOCILayoutAndDockerArchive() throws {
        let built = try containertool(["build", "--executable", try program("basetool"), "--env", "BASE=1", "--tag", "base:7",
                                       "--output", "oci-layout:\(work.path)/base-layout", "--output", "docker-archive:\(work.path)/base.tar"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let hello = try program("hello")
        for (index, from) in ["oci-layout:\(work.path)/base-layout", "oci-layout:\(work.path)/base-layout:7", "docker-archive:\(work.path)/base.tar"].enumerated() {
            let result = try containertool(["build", "--executable", hello, "--from", from, "--output", "oci-layout:\(work.path)/app\(index)"])
            XCTAssertEqual(result.status, 0, "\(from): \(result.stderr)")
            let image = try config("oci:\(work.path)/app\(index):latest")
            XCTAssertEqual((image["config"] as? [String: Any])?["Env"] as? [String], ["BASE=1"], from)
            let baseConfig = try config(from.hasPrefix("docker-archive") ? from : "oci:\(work.path)/base-layout:7")
            let baseDiffIDs = try XCTUnwrap((baseConfig["rootfs"] as? [String: Any])?["diff_ids"] as? [String])
            let diffIDs = try XCTUnwrap((image["rootfs"] as? [String: Any])?["diff_ids"] as? [String])
            XCTAssertEqual(Array(diffIDs.prefix(baseDiffIDs.count)), baseDiffIDs, from)
        }
        // A resource under the base's /tmp (1777 there) leaves /tmp as the base has it.
        let data = work.appendingPathComponent("data.txt")
        try Data("data\n".utf8).write(to: data)
        let underTmp = try containertool(["build", "--executable", hello, "--from", "oci-layout:\(work.path)/base-layout", "--resource", "\(data.path):/tmp/data.txt",
                                          "--output", "oci-layout:\(work.path)/tmp-app"])
        XCTAssertEqual(underTmp.status, 0, underTmp.stderr)
        try runChecked("umoci", ["raw", "unpack", "--rootless", "--image", "\(work.path)/tmp-app:latest", "\(work.path)/tmp-rootfs"])
        let tmpMode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: "\(work.path)/tmp-rootfs/tmp")[.posixPermissions] as? Int)
        XCTAssertEqual(tmpMode & 0o7777, 0o1777, "the base's /tmp keeps its mode under our resource")
        XCTAssertEqual(try String(contentsOfFile: "\(work.path)/tmp-rootfs/tmp/data.txt", encoding: .utf8), "data\n")

        let missingTag = try containertool(["build", "--executable", hello, "--from", "oci-layout:\(work.path)/base-layout:nope", "--output", "oci-layout:\(work.path)/x"])
        XCTAssertEqual(missingTag.status, 1)
        XCTAssertTrue(missingTag.stderr.contains("holds no image tagged nope (tags: 7)"), missingTag.stderr)
        // A damaged blob in the layout is refused, naming it.
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("skopeo", ["inspect", "--raw", "oci:\(work.path)/base-layout:7"]).utf8)) as? [String: Any])
        let layer = try XCTUnwrap((manifest["layers"] as? [[String: Any]])?.last?["digest"] as? String)
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: "\(work.path)/base-layout/blobs/sha256/\(layer.dropFirst(7))"))
        try? FileManager.default.removeItem(atPath: cache)
        let damaged = try containertool(["build", "--executable", hello, "--from", "oci-layout:\(work.path)/base-layout", "--output", "oci-layout:\(work.path)/y"])
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains(layer), damaged.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(work.path)/y"))
    }

    func testADockerV2Schema2BaseKeepsItsDigestsUnderOCIMediaTypes() throws {
        let registry = try LocalRegistry(testCase: self)
        let built = try containertool(["build", "--executable", try program("basetool"), "--env", "BASE=v2", "--tag", "base:1",
                                       "--output", "oci-layout:\(work.path)/base-layout"])
        XCTAssertEqual(built.status, 0, built.stderr)
        // skopeo rewrites the manifest as Docker v2 schema 2 (docker media types, the same gzip layer bytes).
        try runChecked("skopeo", ["copy", "--format", "v2s2", "--dest-tls-verify=false", "oci:\(work.path)/base-layout:1", "docker://\(registry.host)/v2base:1"])
        let baseManifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("skopeo", ["inspect", "--tls-verify=false", "--raw", "docker://\(registry.host)/v2base:1"]).utf8)) as? [String: Any])
        XCTAssertEqual(baseManifest["mediaType"] as? String, "application/vnd.docker.distribution.manifest.v2+json")
        let baseLayers = try XCTUnwrap(baseManifest["layers"] as? [[String: Any]])

        let result = try containertool(["build", "--executable", try program("hello"), "--from", "\(registry.host)/v2base:1", "--plain-http", "--tag", "app:1",
                                        "--output", "oci-layout:\(work.path)/app", "--output", "docker-archive:\(work.path)/app.tar"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("skopeo", ["inspect", "--raw", "oci:\(work.path)/app:1"]).utf8)) as? [String: Any])
        let layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
        for (ours, theirs) in zip(layers, baseLayers) {
            XCTAssertEqual(ours["digest"] as? String, theirs["digest"] as? String, "the base's layers are not recompressed")
            XCTAssertEqual(theirs["mediaType"] as? String, "application/vnd.docker.image.rootfs.diff.tar.gzip")
            XCTAssertEqual(ours["mediaType"] as? String, "application/vnd.oci.image.layer.v1.tar+gzip", "the same bytes under the OCI media type")
        }
        XCTAssertEqual(((try config("oci:\(work.path)/app:1"))["config"] as? [String: Any])?["Env"] as? [String], ["BASE=v2"])
        // The docker archive holds every layer as a plain tar: skopeo reads it and umoci unpacks the OCI layout.
        let archived = try config("docker-archive:\(work.path)/app.tar")
        XCTAssertEqual(((archived["rootfs"] as? [String: Any])?["diff_ids"] as? [String])?.count, layers.count)
        try runChecked("umoci", ["raw", "unpack", "--rootless", "--image", "\(work.path)/app:1", "\(work.path)/rootfs"])
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "\(work.path)/rootfs/basetool"))
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: "\(work.path)/rootfs/hello"))
    }
}
