import GeneratedFiles
import DockerfileRenderer
import Foundation
import TestSupport
import XCTest

/// `containertool dockerfile`, run as the real executable (built beside this test bundle).
final class DockerfileCommandTests: XCTestCase {
    private func containertool(_ arguments: [String], in folder: URL? = nil) throws -> ProcessResult {
        try runProcess(try BuiltProducts.requireContainertool(), ["dockerfile"] + arguments, in: folder?.path)
    }

    func testHelpListsEveryOption() throws {
        let result = try containertool(["--help"])
        XCTAssertEqual(result.status, 0)
        for option in ["--product", "--template", "--output", "--dockerignore", "--builder-image", "--swift-version",
                       "--port", "--user", "--embedded", "--force", "--stdout", "{{BUILD_COMMAND}}"] {
            XCTAssertTrue(result.stdout.contains(option), "--help does not mention \(option)")
        }
    }

    func testUsageErrorsExitWithStatus2() throws {
        for arguments in [[], ["--product"], ["--product", "p", "--bogus"], ["--product", "p", "--port", "http"],
                          ["--product", "p", "--user", "nonroot"]] {
            let result = try containertool(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("usage: containertool dockerfile"), "\(arguments)")
            XCTAssertEqual(result.stdout, "")
        }
    }

    func testStdoutPrintsTheGoldenRenderAndWritesNothing() throws {
        let folder = try TemporaryFolder()
        let result = try containertool(
            ["--product", "HelloWeb", "--swift-version", "6.3", "--template", GoldenFiles.repositoryTemplate.path, "--stdout"],
            in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, try String(contentsOf: GoldenFiles.url("default"), encoding: .utf8))
        XCTAssertEqual(try folder.contents(), [])
    }

    func testWritesDockerfileAndDockerignoreThenRefusesAHandWrittenOneUnlessForced() throws {
        let folder = try TemporaryFolder()
        let arguments = ["--product", "hello-b", "--swift-version", "6.3", "--template", GoldenFiles.repositoryTemplate.path,
                         "--output", folder.file("Dockerfile").path]
        var result = try containertool(arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try folder.contents(), [".dockerignore", "Dockerfile"])
        XCTAssertEqual(try folder.read("Dockerfile"), try String(contentsOf: GoldenFiles.url("product"), encoding: .utf8))
        XCTAssertTrue(result.stdout.contains("created"))

        result = try containertool(arguments)
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("unchanged"), result.stdout)

        try folder.write("Dockerfile", "FROM scratch\n")
        try FileManager.default.removeItem(at: folder.file(".dockerignore"))
        result = try containertool(arguments)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("--force"), result.stderr)
        XCTAssertEqual(try folder.read("Dockerfile"), "FROM scratch\n")
        XCTAssertEqual(try folder.contents(), ["Dockerfile"], "nothing else is written when the Dockerfile is refused")

        result = try containertool(arguments + ["--force"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(GeneratedFile.isGenerated(try folder.read("Dockerfile")))
    }

    func testAProjectLocalTemplateWinsOverThePackagedOne() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile.template", "FROM {{BUILDER_IMAGE}}\nENTRYPOINT [\"/{{PRODUCT}}\"]\n")
        let result = try containertool(["--product", "app", "--swift-version", "6.2", "--stdout"], in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, GeneratedFile.marker + "\nFROM swift:6.2-bookworm\nENTRYPOINT [\"/app\"]\n")
    }

    func testWithoutALocalTemplateThePackagedOneIsUsed() throws {
        let folder = try TemporaryFolder()
        let result = try containertool(["--product", "HelloWeb", "--swift-version", "6.3", "--stdout"], in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, try String(contentsOf: GoldenFiles.url("default"), encoding: .utf8))
    }

    func testAnUnknownPlaceholderFailsWithStatus1AndWritesNothing() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile.template", "FROM {{BUILDER_IMAGE}}\nEXPOSE {{PROT}}\n")
        let result = try containertool(["--product", "app"], in: folder.url)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("unknown placeholder {{PROT}}"), result.stderr)
        XCTAssertEqual(try folder.contents(), ["Dockerfile.template"])
    }

    func testImageOptionsAreRenderedOrRefusedWithOneLine() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(at: folder.file("Public"), withIntermediateDirectories: true)
        try folder.write("Public/index.html", "<h1>hi</h1>")
        try folder.write("key.pem", "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")
        let base = ["--product", "app", "--swift-version", "6.3", "--template", GoldenFiles.repositoryTemplate.path,
                    "--output", folder.file("Dockerfile").path]
        var result = try containertool(base + ["--stdout", "--env", "A=1", "--resource", "Public:/srv/public", "--no-tzdata",
                                               "--expose", "9000", "--label", "team=apps", "--cmd", "--verbose"], in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        for line in [#"ENV A="1""#, #"COPY ["Public", "/rootfs/srv/public"]"#, "EXPOSE 9000/tcp", #""team"="apps""#, #"CMD ["--verbose"]"#] {
            XCTAssertTrue(result.stdout.contains(line), "missing \(line)")
        }
        XCTAssertFalse(result.stdout.contains("zoneinfo"))

        for (arguments, message) in [(["--resource", "/etc/hosts"], "outside the build context"),
                                     (["--ca-file", folder.file("key.pem").path], "private key"),
                                     (["--tzdata", "--no-tzdata"], "exclude each other")] {
            result = try containertool(base + arguments, in: folder.url)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("Dockerfile").path), "nothing written for \(arguments)")
        }
        XCTAssertFalse(result.stderr.contains("MIGH"))
    }

    /// `--name` moves the binary in `containertool build`'s image; the Dockerfile's binary is always
    /// /PRODUCT, so another name is refused rather than dropped.
    func testANameOtherThanTheProductIsRefused() throws {
        let folder = try TemporaryFolder()
        let base = ["--product", "app", "--swift-version", "6.3", "--template", GoldenFiles.repositoryTemplate.path,
                    "--output", folder.file("Dockerfile").path]
        var result = try containertool(base + ["--name", "server"], in: folder.url)
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot reproduce --name server"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("Dockerfile").path))
        result = try containertool(base + ["--name", "app", "--stdout"], in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(#"ENTRYPOINT ["/app"]"#))
    }

    /// A Dockerfile in a subfolder (the plugin's `--dockerfile deploy/Dockerfile`) is still built with
    /// the package root as its context: `--context` says so, and resources are taken relative to it.
    func testResourcesAreTakenInTheContextNotTheDockerfilesFolder() throws {
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(at: folder.file("Public"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.file("deploy"), withIntermediateDirectories: true)
        try folder.write("Public/index.html", "<h1>hi</h1>")
        let base = ["--product", "app", "--swift-version", "6.3", "--template", GoldenFiles.repositoryTemplate.path,
                    "--output", folder.file("deploy/Dockerfile").path, "--resource", "Public:/srv/public", "--stdout"]
        var result = try containertool(base + ["--context", folder.url.path], in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains(#"COPY ["Public", "/rootfs/srv/public"]"#), result.stdout)
        result = try containertool(base.dropLast() + ["--context", folder.url.path], in: folder.url)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file(".dockerignore").path), "the .dockerignore goes where docker reads it: the context's root")
        result = try containertool(base, in: folder.url)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("outside the build context"), result.stderr)
    }
}
