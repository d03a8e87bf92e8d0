import Foundation
import XCTest

/// A fresh, empty folder under the system temporary directory, named `LABEL-UUID`.
public func makeTemporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A fresh temporary folder, removed when `testCase` ends.
public func temporaryDirectory(_ testCase: XCTestCase, _ label: String = "containerize-test") throws -> URL {
    let url = try makeTemporaryFolder(label)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A fresh temporary folder, removed when this object goes away.
public final class TemporaryFolder {
    public let url: URL

    public init(_ label: String = "containerize-test") throws {
        url = try makeTemporaryFolder(label)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    public func file(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    public func write(_ name: String, _ contents: String) throws {
        try Data(contents.utf8).write(to: file(name))
    }

    public func read(_ name: String) throws -> String {
        try String(contentsOf: file(name), encoding: .utf8)
    }

    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}
