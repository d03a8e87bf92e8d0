import OCIModel
@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// `BaseImage`: how our config goes on top of a base's, and the base's gzip layers unpacked for a docker archive.
final class BaseImageTests: XCTestCase {
    func base(_ config: ContainerConfig?, architecture: String = "amd64", layers: [Layer] = []) throws -> BaseImage {
        let image = ImageConfig(created: nil, architecture: architecture, os: "linux", config: config,
                                rootfs: RootFS(diffIDs: layers.map(\.diffID)), history: [HistoryEntry(created: nil, createdBy: "base", emptyLayer: true)])
        let files = layers.map { layer -> String in if case let .file(path) = layer.blob.content { return path } else { return "" } }
        return try BaseImage(reference: "base:1", configBytes: try CanonicalJSON.encode(image), layers: layers.map(\.blob.descriptor), layerFiles: files)
    }

    func ours(_ config: ContainerConfig, architecture: String = "amd64") -> ImageConfig {
        ImageConfig(created: "1970-01-01T00:00:00Z", architecture: architecture, os: "linux", config: config,
                    rootfs: RootFS(diffIDs: ["sha256:" + String(repeating: "1", count: 64)]), history: [HistoryEntry(created: nil, createdBy: "ours")])
    }

    func testOursOverridesTheBaseByTheDocumentedRules() throws {
        let theirs = ContainerConfig(user: "1000", exposedPorts: ["9000/tcp": EmptyObject()], env: ["PATH=/usr/bin", "KEEP=base"],
                                     entrypoint: ["/bin/sh"], cmd: ["-c", "x"], workingDir: "/srv", labels: ["a": "base", "b": "base"],
                                     stopSignal: "SIGQUIT", volumes: ["/data": EmptyObject()])
        let mine = ContainerConfig(user: "65532:65532", exposedPorts: ["8080/tcp": EmptyObject()], env: ["KEEP=ours", "NEW=1"],
                                   entrypoint: ["/app"], labels: ["b": "ours"])
        let merged = try base(theirs).inherit(into: ours(mine), userIsExplicit: false)
        let config = try XCTUnwrap(merged.config)
        XCTAssertTrue(config.env == ["PATH=/usr/bin", "KEEP=ours", "NEW=1"])
        XCTAssertTrue(config.labels == ["a": "base", "b": "ours"])
        XCTAssertTrue(Set(config.exposedPorts?.keys.map { $0 } ?? []) == ["8080/tcp", "9000/tcp"])
        XCTAssertTrue(config.entrypoint == ["/app"])
        XCTAssertTrue(config.cmd == nil)
        XCTAssertTrue(config.user == "1000")
        XCTAssertTrue(config.workingDir == "/srv")
        XCTAssertTrue(config.stopSignal == "SIGQUIT")
        XCTAssertTrue(config.volumes == ["/data": EmptyObject()])
        XCTAssertTrue(merged.history?.map(\.createdBy) == ["base", "ours"])

        let explicit = try base(theirs).inherit(into: ours(mine), userIsExplicit: true)
        XCTAssertTrue(explicit.config?.user == "65532:65532")
        let noUser = try base(ContainerConfig()).inherit(into: ours(mine), userIsExplicit: false)
        XCTAssertTrue(noUser.config?.user == "65532:65532", "a base without a user keeps our nonroot user")
    }

    func testAnotherArchitectureIsRefusedWithOneLine() throws {
        XCTAssertThrowsError(try base(nil, architecture: "arm64").inherit(into: ours(ContainerConfig()), userIsExplicit: false)) {
            XCTAssertEqual($0 as? BaseImageError, .platformMismatch("base:1", base: "linux/arm64", ours: "linux/amd64"))
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    func testGzipLayersAreUnpackedForADockerArchiveAndCheckedAgainstTheirDiffID() throws {
        let directory = try temporaryDirectory(self, "base-layers").path
        let tar = Array(repeating: UInt8(7), count: 10_000)
        let gzip = try Gzip.compress(tar)
        let file = directory + "/layer.gz"
        try Data(gzip).write(to: URL(fileURLWithPath: file))
        let good = Layer(blob: Blob(mediaType: MediaType.dockerLayerGzip, file: file, digest: sha256Digest(gzip), size: gzip.count),
                         diffID: sha256Digest(tar), uncompressedSize: 0)
        let plain = try base(nil, layers: [good]).layers(for: .none, in: directory)
        XCTAssertTrue(plain[0].diffID == sha256Digest(tar))
        XCTAssertTrue(plain[0].blob.digest == sha256Digest(tar))
        XCTAssertTrue(try plain[0].blob.bytes == tar)
        let kept = try base(nil, layers: [good]).layers(for: .gzip, in: directory)
        XCTAssertEqual(kept[0].blob.digest, good.blob.digest, "gzip outputs keep the base's blob as it is")
        XCTAssertEqual(kept[0].blob.content, good.blob.content, "gzip outputs keep the base's blob as it is")
        XCTAssertTrue(kept[0].blob.mediaType == MediaType.layerTarGzip, "a Docker media type becomes its OCI equivalent")
        var zstd = good
        zstd.blob.mediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
        XCTAssertThrowsError(try base(nil, layers: [zstd])) { XCTAssertTrue($0 is BaseImageError) }

        var lying = good
        lying.diffID = "sha256:" + String(repeating: "0", count: 64)
        XCTAssertThrowsError(try base(nil, layers: [lying]).layers(for: .none, in: directory)) { XCTAssertTrue($0 is BaseImageError) }
    }

    func testTheBaseFileTreeAppliesWhiteoutsAndLongNames() throws {
        let directory = try temporaryDirectory(self, "base-tree").path
        let long = "deep/" + String(repeating: "n", count: 150)
        try runChecked("bash", ["-c", """
            set -e; cd '\(directory)'
            mkdir -p one/a one/b one/deep two/a two/b; echo x > one/a/x; echo y > one/b/y; echo z > one/\(long); chmod 1777 one/b
            ln -s usr/lib one/lib
            touch two/a/.wh.x two/b/.wh..wh..opq two/.wh.lib
            tar --format=pax --owner=0 --group=0 -C one -cf one.tar a b deep lib
            tar --format=pax --owner=0 --group=0 -C two -cf two.tar a/.wh.x b/.wh..wh..opq .wh.lib
            gzip -k one.tar
            """])
        func layer(_ name: String, _ mediaType: String) throws -> Layer {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            // The diff_id is the uncompressed tar's digest (checked while the tree is read).
            let tar = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + (name.hasSuffix(".gz") ? String(name.dropLast(3)) : name)))
            return Layer(blob: Blob(mediaType: mediaType, file: directory + "/" + name, digest: sha256Digest(bytes), size: bytes.count),
                         diffID: sha256Digest(tar), uncompressedSize: tar.count)
        }
        let first = try base(nil, layers: [try layer("one.tar.gz", MediaType.layerTarGzip)]).fileTree()
        XCTAssertEqual(Set(first.keys), ["a", "a/x", "b", "b/y", "deep", long, "lib"])
        XCTAssertEqual((first["b"]?.mode ?? 0) & 0o7777, 0o1777)
        XCTAssertEqual(first["lib"]?.kind, .symlink(target: "usr/lib"))
        let stacked = try base(nil, layers: [try layer("one.tar", MediaType.layerTar), try layer("two.tar", MediaType.layerTar)]).fileTree()
        XCTAssertEqual(Set(stacked.keys), ["a", "b", "deep", long], "a/x and lib whited out, b emptied")
    }
}
