import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Real OCI/Docker tools accept every output: oci-image-tool, skopeo, umoci.
final class ToolAcceptanceTests: XCTestCase {
    /// Builds all three local outputs of the static fixture into a fresh directory.
    static func buildAll(tag: String = "hello:1.0") throws -> (directory: String, digest: String) {
        let directory = try TestSupport.makeTemporaryDirectory()
        let result = try TestSupport.containertool([
            "build", "--executable", TestSupport.fixtures.staticBinary, "--tag", tag, "--json",
            "--output", "oci-layout:layout", "--output", "oci-archive:oci.tar", "--output", "docker-archive:docker.tar",
            "--expose", "8080/tcp", "--label", "org.opencontainers.image.revision=abc123",
        ], in: directory)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any]
        return (directory, object?["digest"] as? String ?? "")
    }

    /// oci-image-tool 1.0 validates layouts with `--type image` (its `imageLayout` type is unimplemented).
    func testOciImageToolValidatesTheLayout() throws {
        try Prerequisite.requireTools("gcc", "oci-image-tool")
        let (directory, _) = try Self.buildAll()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.run("oci-image-tool", ["validate", "--type", "image", "--ref", "name=1.0", "layout"], in: directory)
        XCTAssertEqual(result.status, 0, "\(result.stdout)\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("Validation succeeded"))
        for (type, file) in [("imageIndex", "layout/index.json")] {
            let check = try TestSupport.run("oci-image-tool", ["validate", "--type", type, file], in: directory)
            XCTAssertEqual(check.status, 0, "\(check.stdout)\(check.stderr)")
        }
        let layout = try ImageReader.read(path: directory + "/layout")
        for (type, digest) in [("manifest", layout.digest ?? ""), ("config", layout.configDigest)] {
            let file = "layout/blobs/sha256/" + digest.dropFirst("sha256:".count)
            let check = try TestSupport.run("oci-image-tool", ["validate", "--type", type, file], in: directory)
            XCTAssertEqual(check.status, 0, "\(type): \(check.stdout)\(check.stderr)")
        }
    }

    func testSkopeoInspects() throws {
        for reference in ["oci:layout:1.0", "oci-archive:oci.tar:1.0", "docker-archive:docker.tar"] {
            try skopeoInspects(reference: reference)
        }
    }

    func skopeoInspects(reference: String) throws {
        try Prerequisite.requireTools("gcc", "skopeo")
        let (directory, digest) = try Self.buildAll()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.run("skopeo", ["inspect", reference], in: directory)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any])
        XCTAssertEqual(object["Architecture"] as? String, "amd64")
        XCTAssertEqual(object["Os"] as? String, "linux")
        XCTAssertEqual((object["Labels"] as? [String: String])?["org.opencontainers.image.revision"], "abc123")
        XCTAssertEqual((object["Layers"] as? [String])?.count, 2, "add-ons and executable layers")
        if !reference.hasPrefix("docker-archive") {
            XCTAssertEqual(object["Digest"] as? String, digest)
        }
        // skopeo can also copy it, which reads and verifies every blob.
        let copy = try TestSupport.run("skopeo", ["copy", "--quiet", reference, "oci:copied:latest"], in: directory)
        XCTAssertEqual(copy.status, 0, "\(copy.stderr)")
    }

    func testUmociUnpacksTheRootfs() throws {
        try Prerequisite.requireTools("gcc", "umoci")
        let (directory, _) = try Self.buildAll()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.run("umoci", ["unpack", "--rootless", "--image", "layout:1.0", "bundle"], in: directory)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        let rootfs = directory + "/bundle/rootfs"
        XCTAssertEqual(try TestSupport.readBytes(rootfs + "/hello"), (try TestSupport.readBytes(TestSupport.fixtures.staticBinary)))
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: rootfs + "/hello"))
        XCTAssertTrue(try String(contentsOfFile: rootfs + "/etc/passwd", encoding: .utf8).contains("nonroot:x:65532:65532:"))
        XCTAssertTrue(try String(contentsOfFile: rootfs + "/etc/group", encoding: .utf8).contains("nonroot:x:65532:"))
        let runtimeConfig = try String(contentsOfFile: directory + "/bundle/config.json", encoding: .utf8)
        XCTAssertTrue(runtimeConfig.contains("\"/hello\""))
        XCTAssertTrue(runtimeConfig.contains("\"uid\": 65532") || runtimeConfig.contains("\"uid\":65532"))
    }
}
