import Foundation
import XCTest

/// The one rule for a test whose prerequisite (a tool, IPv6, a Docker engine, a cross compiler, a
/// built binary) is missing: it is skipped with the reason, except under `CI=true`, where CI
/// installs and starts everything, so a missing prerequisite is a failure.
public enum Prerequisite {
    /// Whether this run is CI (`CI=true`).
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Skips the test with `reason` (an `XCTSkip`), or fails it under `CI=true`.
    public static func missing(_ reason: String, isCI: Bool = Prerequisite.isCI) -> any Error {
        isCI ? TestFailure("\(reason) (CI=true: a missing prerequisite fails instead of skipping)") : XCTSkip(reason)
    }

    /// Throws `missing(_:)` unless `condition` holds.
    public static func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
        if !condition { throw missing(reason()) }
    }

    /// The absolute path of `name` on PATH, or nil.
    public static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Throws `missing(_:)` unless the tool `name` is on PATH; `install` says how to get it.
    @discardableResult
    public static func requireTool(_ name: String, install: String? = nil) throws -> String {
        guard let path = locate(name) else {
            throw missing("\(name) is not on PATH\(install.map { " (\($0))" } ?? " (.ci/run installs it)")")
        }
        return path
    }

    /// `requireTool(_:)` for each of `names`.
    public static func requireTools(_ names: String...) throws {
        for name in names { try requireTool(name) }
    }
}

/// A test's own failure with a message (thrown, so XCTest records it as an error).
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
