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
    ]

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
