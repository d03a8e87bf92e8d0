import ContainerImage
import Foundation
import TestSupport
import XCTest

final class CanonicalJSONTests: XCTestCase {
    func testSortedKeysNoWhitespaceUnescapedSlashes() throws {
        let json = String(decoding: try CanonicalJSON.encode(["zeta": "a/b", "alpha": "1", "Mid": "x"]), as: UTF8.self)
        XCTAssertEqual(json, #"{"Mid":"x","alpha":"1","zeta":"a/b"}"#)
    }

    func testImageConfigUsesSpecFieldNames() throws {
        let config = ImageConfig(
            created: rfc3339(epochSeconds: 0), architecture: "amd64", os: "linux",
            config: ContainerConfig(user: "65532:65532", exposedPorts: ["8080/tcp": EmptyObject()], entrypoint: ["/app"],
                                    healthcheck: HealthConfig(test: ["CMD", "/app", "--health"])),
            rootfs: RootFS(diffIDs: ["sha256:00"]),
            history: [HistoryEntry(created: "1970-01-01T00:00:00Z", createdBy: "containertool build")])
        let json = String(decoding: try CanonicalJSON.encode(config), as: UTF8.self)
        XCTAssertEqual(json, #"{"architecture":"amd64","config":{"Entrypoint":["/app"],"ExposedPorts":{"8080/tcp":{}},"Healthcheck":{"Test":["CMD","/app","--health"]},"User":"65532:65532"},"created":"1970-01-01T00:00:00Z","history":[{"created":"1970-01-01T00:00:00Z","created_by":"containertool build"}],"os":"linux","rootfs":{"diff_ids":["sha256:00"],"type":"layers"}}"#)
    }

    func testManifestShape() throws {
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, digest: "sha256:c", size: 2),
                                     layers: [Descriptor(mediaType: MediaType.layerTarGzip, digest: "sha256:l", size: 3)])
        let json = String(decoding: try CanonicalJSON.encode(manifest), as: UTF8.self)
        XCTAssertEqual(json, #"{"config":{"digest":"sha256:c","mediaType":"application/vnd.oci.image.config.v1+json","size":2},"layers":[{"digest":"sha256:l","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":3}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#)
    }

    func testRfc3339Formatting() {
        for (seconds, expected) in [
        (0, "1970-01-01T00:00:00Z"), (1_700_000_000, "2023-11-14T22:13:20Z"), (951_782_400, "2000-02-29T00:00:00Z"), (4_102_444_799, "2099-12-31T23:59:59Z"),
    ] {
            rfc3339Formatting(seconds: seconds, expected: expected)
        }
    }

    func rfc3339Formatting(seconds: Int, expected: String) {
        XCTAssertEqual(rfc3339(epochSeconds: seconds), expected)
    }

    func testImageReferences() throws {
        XCTAssertEqual(try ImageReference(parsing: "hello").familiarDescription, "hello:latest")
        XCTAssertEqual(try ImageReference(parsing: "localhost:5000/team/hello:1.2").tag, "1.2")
        XCTAssertEqual(try ImageReference(parsing: "localhost:5000/team/hello").familiarDescription, "localhost:5000/team/hello:latest")
        XCTAssertEqual(try ImageReference(parsing: "hello:1").description, "docker.io/library/hello:1")
        XCTAssertEqual(try ImageReference(parsing: "team/hello").description, "docker.io/team/hello:latest")
        XCTAssertEqual(try ImageReference(parsing: "localhost:5000/hello:2").description, "localhost:5000/hello:2")
        assertThrows(ReferenceError.self) { try ImageReference(parsing: "Hello:1") }
        assertThrows(ReferenceError.self) { try ImageReference(parsing: "hello:") }
    }
}
