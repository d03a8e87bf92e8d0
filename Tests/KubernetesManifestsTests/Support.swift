import Foundation
@testable import KubernetesManifests
import TestSupport
import XCTest

/// Fixtures, golden files and small helpers shared by this target's tests.
enum Support {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let golden = testsFolder.appendingPathComponent("Golden")
    /// The manifests of the two-product fixture package (also what scripts/lib/e2e-kubernetes.sh resolves).
    static let fixtureDeploy = testsFolder.deletingLastPathComponent()
        .appendingPathComponent("Fixtures/TwoProducts/deploy").path

    static let digestA = "sha256:" + String(repeating: "a", count: 64)
    static let digestB = "sha256:" + String(repeating: "b", count: 64)
    static let fixtureImages = [
        "hello-a": "registry.example.com/team/hello-a@" + digestA,
        "hello-b": "registry.example.com/team/hello-b@" + digestB,
    ]

    static func scan(_ text: String, file: String = "test.yaml") throws -> [ProductReference] {
        try ProductReferenceScanner.scan(Array(text.utf8), file: file)
    }

    static func resolve(_ text: String, _ images: [String: String]) throws -> String {
        let bytes = Array(text.utf8)
        let references = try ProductReferenceScanner.scan(bytes, file: "test.yaml")
        return String(decoding: try ManifestRewriter.rewrite(bytes, references: references, images: images), as: UTF8.self)
    }

    /// The error `body` throws, or a test failure.
    static func error(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> ManifestError? {
        do {
            try body()
            XCTFail("no error", file: file, line: line)
            return nil
        } catch let error as ManifestError {
            return error
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    /// Compares with a golden file; UPDATE_GOLDEN=1 rewrites it instead.
    static func assertGolden(_ actual: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try Data(actual.utf8).write(to: url)
            return
        }
        XCTAssertEqual(actual, try String(contentsOf: url, encoding: .utf8),
                       "differs from Golden/\(name); if intended, rerun with UPDATE_GOLDEN=1 and review the diff", file: file, line: line)
    }

    /// A fresh temporary folder, removed by the caller's `defer`.
    static func temporaryFolder() throws -> URL {
        try makeTemporaryFolder("k8s-manifests")
    }
}
