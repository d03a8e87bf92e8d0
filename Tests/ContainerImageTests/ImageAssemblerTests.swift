import ContainerImage
import Foundation
import TestSupport
import XCTest

final class ImageAssemblerTests: XCTestCase {
    /// The image's files as `docker run` sees them: every layer unpacked in order, a later entry
    /// replacing an earlier one at the same path.
    static func layerRecords(_ image: Image) throws -> [String: TarRecord] {
        var files: [String: TarRecord] = [:]
        for layer in image.layers {
            for record in try TarReader.read(try Gzip.decompress(try layer.blob.bytes)) { files[record.path] = record }
        }
        return files
    }

    func testDefaultLayerAndConfig() throws {
        try Prerequisite.requireTools("gcc")
        let image = try ImageAssembler.assemble(ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "hello"))
        let files = try Self.layerRecords(image)
        XCTAssertEqual(files.keys.sorted(), ["etc/", "etc/group", "etc/passwd", "hello", "home/", "home/nonroot/", "tmp/"])
        XCTAssertEqual(files["hello"]?.mode, 0o755)
        XCTAssertEqual(files["hello"]?.contents, (try TestSupport.readBytes(TestSupport.fixtures.staticBinary)))
        let passwd = String(decoding: files["etc/passwd"]?.contents ?? [], as: UTF8.self)
        let group = String(decoding: files["etc/group"]?.contents ?? [], as: UTF8.self)
        XCTAssertTrue(passwd.contains("nonroot:x:65532:65532:"))
        XCTAssertTrue(group.contains("nonroot:x:65532:"))
        XCTAssertEqual(files["tmp/"]?.mode, 0o1777)
        XCTAssertTrue(files.values.allSatisfy { $0.modificationTime == 0 })

        let config = image.config
        XCTAssertEqual(config.architecture, "amd64")
        XCTAssertEqual(config.os, "linux")
        XCTAssertEqual(config.created, "1970-01-01T00:00:00Z")
        XCTAssertEqual(config.config?.entrypoint, ["/hello"])
        XCTAssertEqual(config.config?.user, "65532:65532")
        XCTAssertEqual(config.config?.labels?["org.opencontainers.image.title"], "hello")
        XCTAssertEqual(config.config?.labels?["org.opencontainers.image.created"], "1970-01-01T00:00:00Z")
        XCTAssertEqual(config.rootfs.diffIDs, image.layers.map(\.diffID))
        XCTAssertEqual(config.history?.compactMap(\.createdBy), ["containerize: add-ons", "containerize: executable"])
        for layer in image.layers {
            let layerBytes = try layer.blob.bytes
            XCTAssertEqual(layer.diffID, sha256Digest(try Gzip.decompress(layerBytes)))
            XCTAssertEqual(layer.blob.digest, sha256Digest(layerBytes))
        }
        XCTAssertEqual(image.digest, sha256Digest(image.manifestBytes))
    }

    func testOptionsReachTheConfigAndLayer() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/Public/css", withIntermediateDirectories: true)
        try "body{}".write(toFile: directory + "/Public/css/site.css", atomically: true, encoding: .utf8)
        try "<h1>hi</h1>".write(toFile: directory + "/Public/index.html", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/Public/home.html", withDestinationPath: "index.html")
        try "k=v".write(toFile: directory + "/app.conf", atomically: true, encoding: .utf8)

        var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "Server")
        spec.labels = ["org.opencontainers.image.source": "https://example.com/repo", "org.opencontainers.image.title": "custom"]
        spec.environment = ["LOG_LEVEL=debug"]
        spec.exposedPorts = ["8080/tcp", "9000/udp"]
        spec.user = "1000:1000"
        spec.workingDirectory = "/srv/app"
        spec.command = ["--port", "8080"]
        spec.healthcheck = ["/Server", "--healthcheck"]
        spec.resources = [.init(source: directory + "/Public", destination: "/srv/app/Public"), .init(source: directory + "/app.conf", destination: "/etc/app.conf")]
        spec.caCertificatesPath = try ImageAssembler.hostCABundle()
        spec.sourceDateEpoch = 1_700_000_000
        let image = try ImageAssembler.assemble(spec)

        let files = try Self.layerRecords(image)
        XCTAssertTrue(files["Server"] != nil)
        XCTAssertEqual(files["srv/"]?.kind, .directory)
        XCTAssertEqual(files["srv/app/"]?.kind, .directory)
        XCTAssertEqual(files["srv/app/Public/css/site.css"]?.contents, Array("body{}".utf8))
        XCTAssertEqual(files["srv/app/Public/home.html"]?.kind, .symlink)
        XCTAssertEqual(files["srv/app/Public/home.html"]?.linkName, "index.html")
        XCTAssertEqual(files["etc/app.conf"]?.contents, Array("k=v".utf8))
        XCTAssertEqual(files["etc/app.conf"]?.mode, 0o644)
        XCTAssertEqual(files["etc/ssl/certs/ca-certificates.crt"]?.contents, (try TestSupport.readBytes(spec.caCertificatesPath!)))
        XCTAssertTrue(files.values.allSatisfy { $0.modificationTime == 1_700_000_000 })

        let config = try XCTUnwrap(image.config.config)
        XCTAssertEqual(image.config.created, "2023-11-14T22:13:20Z")
        XCTAssertEqual(config.entrypoint, ["/Server"])
        XCTAssertEqual(config.cmd, ["--port", "8080"])
        XCTAssertEqual(config.env, ["LOG_LEVEL=debug"])
        XCTAssertEqual(config.exposedPorts?.keys.sorted(), ["8080/tcp", "9000/udp"])
        XCTAssertEqual(config.user, "1000:1000")
        XCTAssertEqual(config.workingDir, "/srv/app")
        XCTAssertEqual(config.healthcheck?.test, ["CMD", "/Server", "--healthcheck"])
        XCTAssertEqual(config.labels?["org.opencontainers.image.title"], "custom")
        XCTAssertEqual(config.labels?["org.opencontainers.image.source"], "https://example.com/repo")
        XCTAssertEqual(config.labels?["org.opencontainers.image.created"], "2023-11-14T22:13:20Z")
    }

    func testConflictingResourceIsAnError() throws {
        try Prerequisite.requireTools("gcc")
        var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "hello")
        spec.resources = [.init(source: TestSupport.fixtures.staticBinary, destination: "/etc/passwd")]
        assertThrows(ImageBuildError.duplicatePath("/etc/passwd", first: "the image's base files (users, /tmp)", second: "resource \(TestSupport.fixtures.staticBinary)")) {
            try ImageAssembler.assemble(spec)
        }
    }

    func testDynamicExecutableNeedsBundlingOrFails() throws {
        try Prerequisite.requireTools("gcc")
        var spec = ImageSpec(executablePath: TestSupport.fixtures.dynamicBinary, name: "hello")
        assertThrows(ImageBuildError.self) { try ImageAssembler.assemble(spec) }
        spec.bundleSharedLibraries = true
        let image = try ImageAssembler.assemble(spec)
        let files = try Self.layerRecords(image)
        let interpreter = try XCTUnwrap(try ELFExecutable(path: TestSupport.fixtures.dynamicBinary).interpreter)
        XCTAssertEqual(files[String(interpreter.dropFirst())]?.kind, .file)
        XCTAssertTrue(files.keys.contains { $0.hasSuffix("/libc.so.6") })
    }

    /// `sha256Digest`, the blob digest every output names.
    func testDigestFormat() {
        XCTAssertEqual(sha256Digest(Array("abc".utf8)), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
