@testable import ContainerImage
import Foundation
import Testing

/// `BaseImage`: how our config goes on top of a base's, and the base's gzip layers unpacked for a docker archive.
struct BaseImageTests {
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

    @Test func oursOverridesTheBaseByTheDocumentedRules() throws {
        let theirs = ContainerConfig(user: "1000", exposedPorts: ["9000/tcp": EmptyObject()], env: ["PATH=/usr/bin", "KEEP=base"],
                                     entrypoint: ["/bin/sh"], cmd: ["-c", "x"], workingDir: "/srv", labels: ["a": "base", "b": "base"],
                                     stopSignal: "SIGQUIT", volumes: ["/data": EmptyObject()])
        let mine = ContainerConfig(user: "65532:65532", exposedPorts: ["8080/tcp": EmptyObject()], env: ["KEEP=ours", "NEW=1"],
                                   entrypoint: ["/app"], labels: ["b": "ours"])
        let merged = try base(theirs).inherit(into: ours(mine), userIsExplicit: false)
        let config = try #require(merged.config)
        #expect(config.env == ["PATH=/usr/bin", "KEEP=ours", "NEW=1"])
        #expect(config.labels == ["a": "base", "b": "ours"])
        #expect(Set(config.exposedPorts?.keys.map { $0 } ?? []) == ["8080/tcp", "9000/tcp"])
        #expect(config.entrypoint == ["/app"])
        #expect(config.cmd == nil)
        #expect(config.user == "1000")
        #expect(config.workingDir == "/srv")
        #expect(config.stopSignal == "SIGQUIT")
        #expect(config.volumes == ["/data": EmptyObject()])
        #expect(merged.history?.map(\.createdBy) == ["base", "ours"])

        let explicit = try base(theirs).inherit(into: ours(mine), userIsExplicit: true)
        #expect(explicit.config?.user == "65532:65532")
        let noUser = try base(ContainerConfig()).inherit(into: ours(mine), userIsExplicit: false)
        #expect(noUser.config?.user == "65532:65532", "a base without a user keeps our nonroot user")
    }

    @Test func anotherArchitectureIsRefusedWithOneLine() throws {
        #expect(throws: BaseImageError.platformMismatch("base:1", base: "linux/arm64", ours: "linux/amd64")) {
            try base(nil, architecture: "arm64").inherit(into: ours(ContainerConfig()), userIsExplicit: false)
        }
    }

    @Test func gzipLayersAreUnpackedForADockerArchiveAndCheckedAgainstTheirDiffID() throws {
        let directory = try TestSupport.makeTemporaryDirectory("base-layers")
        defer { TestSupport.remove(directory) }
        let tar = Array(repeating: UInt8(7), count: 10_000)
        let gzip = try Gzip.compress(tar)
        let file = directory + "/layer.gz"
        try Data(gzip).write(to: URL(fileURLWithPath: file))
        let good = Layer(blob: Blob(mediaType: MediaType.dockerLayerGzip, file: file, digest: sha256Digest(gzip), size: gzip.count),
                         diffID: sha256Digest(tar), uncompressedSize: 0)
        let plain = try base(nil, layers: [good]).layers(for: .none, in: directory)
        #expect(plain[0].diffID == sha256Digest(tar))
        #expect(plain[0].blob.digest == sha256Digest(tar))
        #expect(try plain[0].blob.bytes == tar)
        #expect(try base(nil, layers: [good]).layers(for: .gzip, in: directory) == [good], "gzip outputs keep the base's blob as it is")

        var lying = good
        lying.diffID = "sha256:" + String(repeating: "0", count: 64)
        #expect(throws: BaseImageError.self) { try base(nil, layers: [lying]).layers(for: .none, in: directory) }
    }
}
