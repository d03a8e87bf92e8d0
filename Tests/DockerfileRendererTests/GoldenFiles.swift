import DockerfileRenderer
import Foundation
import XCTest

/// The checked-in golden files and the real Dockerfile.template at the repository root,
/// located from this source file (no bundle resources needed).
enum GoldenFiles {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let repositoryTemplate = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Dockerfile.template")

    /// Every render that has a golden file: the default and one per option that changes the output.
    /// The Swift version is fixed so the files do not change with the toolchain.
    static let cases: [(name: String, options: DockerfileOptions)] = [
        ("default", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3")),
        ("embedded", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", buildMode: .embedded)),
        ("builder-image", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", builderImage: "registry.example.com/swift:6.3.1-bookworm")),
        ("swift-version", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.1")),
        ("port", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", port: 9000)),
        ("user", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", userID: 1000, groupID: 2000)),
        ("product", DockerfileOptions(product: "hello-b", swiftVersion: "6.3")),
        ("image-options", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", contents: imageOptions)),
        ("no-add-ons", DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", contents: noAddOns)),
    ]

    /// Every image option at once: what `containertool build` would take for the same image.
    static var imageOptions: ImageContents {
        var contents = ImageContents()
        contents.labels = ["team": "apps", "org.opencontainers.image.title": "Hello"]
        contents.environment = [#"GREETING=hi $USER "q""#, "EMPTY="]
        contents.exposedPorts = ["9000/tcp", "9001/udp"]
        contents.workingDirectory = "/srv"
        contents.command = ["--port", "9000"]
        contents.healthcheck = ["/HelloWeb", "--healthcheck"]
        contents.resources = [.init(source: "Public", destination: "/public"), .init(source: "config/app.json", destination: "/etc/app.json")]
        contents.caFiles = ["certs/company.pem", "certs/other.pem"]
        contents.timeZoneData = .on
        contents.sourceDateEpoch = 1_700_000_000
        return contents
    }

    /// Add-ons and resource bundles off, and no EXPOSE.
    static var noAddOns: ImageContents {
        var contents = ImageContents()
        contents.timeZoneData = .off
        contents.caCertificates = .off
        contents.resourceBundles = false
        contents.exposedPorts = []
        return contents
    }

    static func url(_ name: String) -> URL {
        folder.appendingPathComponent("\(name).Dockerfile")
    }

    /// Compares `actual` with the golden file; with UPDATE_GOLDEN=1 in the environment, rewrites it instead.
    static func assertMatches(_ actual: String, golden url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(actual.utf8).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(actual, expected, "render differs from \(url.lastPathComponent); if intended, rerun with UPDATE_GOLDEN=1 and review the diff",
                       file: file, line: line)
    }
}
