import ContainerImage
import Foundation
import Testing

@Suite("image assembly")
struct ImageAssemblerTests {
    /// The image's files as `docker run` sees them: every layer unpacked in order, a later entry
    /// replacing an earlier one at the same path.
    static func layerRecords(_ image: Image) throws -> [String: TarRecord] {
        var files: [String: TarRecord] = [:]
        for layer in image.layers {
            for record in try TarReader.read(try Gzip.decompress(try layer.blob.bytes)) { files[record.path] = record }
        }
        return files
    }

    @Test func defaultLayerAndConfig() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let image = try ImageAssembler.assemble(ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "hello"))
        let files = try Self.layerRecords(image)
        #expect(files.keys.sorted() == ["etc/", "etc/group", "etc/passwd", "hello", "home/", "home/nonroot/", "tmp/"])
        #expect(files["hello"]?.mode == 0o755)
        #expect(files["hello"]?.contents == (try TestSupport.readBytes(TestSupport.fixtures.staticBinary)))
        let passwd = String(decoding: files["etc/passwd"]?.contents ?? [], as: UTF8.self)
        let group = String(decoding: files["etc/group"]?.contents ?? [], as: UTF8.self)
        #expect(passwd.contains("nonroot:x:65532:65532:"))
        #expect(group.contains("nonroot:x:65532:"))
        #expect(files["tmp/"]?.mode == 0o1777)
        #expect(files.values.allSatisfy { $0.modificationTime == 0 })

        let config = image.config
        #expect(config.architecture == "amd64" && config.os == "linux")
        #expect(config.created == "1970-01-01T00:00:00Z")
        #expect(config.config?.entrypoint == ["/hello"])
        #expect(config.config?.user == "65532:65532")
        #expect(config.config?.labels?["org.opencontainers.image.title"] == "hello")
        #expect(config.config?.labels?["org.opencontainers.image.created"] == "1970-01-01T00:00:00Z")
        #expect(config.rootfs.diffIDs == image.layers.map(\.diffID))
        #expect(config.history?.compactMap(\.createdBy) == ["containerize: add-ons", "containerize: executable"])
        for layer in image.layers {
            let layerBytes = try layer.blob.bytes
            #expect(layer.diffID == sha256Digest(try Gzip.decompress(layerBytes)))
            #expect(layer.blob.digest == sha256Digest(layerBytes))
        }
        #expect(image.digest == sha256Digest(image.manifestBytes))
    }

    @Test func optionsReachTheConfigAndLayer() throws {
        guard TestSupport.requireTool("gcc") else { return }
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
        #expect(files["Server"] != nil)
        #expect(files["srv/"]?.kind == .directory && files["srv/app/"]?.kind == .directory)
        #expect(files["srv/app/Public/css/site.css"]?.contents == Array("body{}".utf8))
        #expect(files["srv/app/Public/home.html"]?.kind == .symlink && files["srv/app/Public/home.html"]?.linkName == "index.html")
        #expect(files["etc/app.conf"]?.contents == Array("k=v".utf8) && files["etc/app.conf"]?.mode == 0o644)
        #expect(files["etc/ssl/certs/ca-certificates.crt"]?.contents == (try TestSupport.readBytes(spec.caCertificatesPath!)))
        #expect(files.values.allSatisfy { $0.modificationTime == 1_700_000_000 })

        let config = try #require(image.config.config)
        #expect(image.config.created == "2023-11-14T22:13:20Z")
        #expect(config.entrypoint == ["/Server"] && config.cmd == ["--port", "8080"])
        #expect(config.env == ["LOG_LEVEL=debug"])
        #expect(config.exposedPorts?.keys.sorted() == ["8080/tcp", "9000/udp"])
        #expect(config.user == "1000:1000" && config.workingDir == "/srv/app")
        #expect(config.healthcheck?.test == ["CMD", "/Server", "--healthcheck"])
        #expect(config.labels?["org.opencontainers.image.title"] == "custom")
        #expect(config.labels?["org.opencontainers.image.source"] == "https://example.com/repo")
        #expect(config.labels?["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z")
    }

    @Test func conflictingResourceIsAnError() throws {
        guard TestSupport.requireTool("gcc") else { return }
        var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "hello")
        spec.resources = [.init(source: TestSupport.fixtures.staticBinary, destination: "/etc/passwd")]
        #expect(throws: ImageBuildError.duplicatePath("/etc/passwd", first: "the image's base files (users, /tmp)", second: "resource \(TestSupport.fixtures.staticBinary)")) {
            try ImageAssembler.assemble(spec)
        }
    }

    @Test func dynamicExecutableNeedsBundlingOrFails() throws {
        guard TestSupport.requireTool("gcc") else { return }
        var spec = ImageSpec(executablePath: TestSupport.fixtures.dynamicBinary, name: "hello")
        #expect(throws: ImageBuildError.self) { try ImageAssembler.assemble(spec) }
        spec.bundleSharedLibraries = true
        let image = try ImageAssembler.assemble(spec)
        let files = try Self.layerRecords(image)
        let interpreter = try #require(try ELFExecutable(path: TestSupport.fixtures.dynamicBinary).interpreter)
        #expect(files[String(interpreter.dropFirst())]?.kind == .file)
        #expect(files.keys.contains { $0.hasSuffix("/libc.so.6") })
    }
}
