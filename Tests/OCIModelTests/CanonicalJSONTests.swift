import Foundation
import OCIModel
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
}
