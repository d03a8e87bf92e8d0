import Foundation

/// Where this package and the executables `swift test` built live.
public enum BuiltProducts {
    /// The package root (…/Tests/TestSupport/BuiltProducts.swift → …).
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The executable product `name` that SwiftPM built next to the test bundle (same build
    /// folder, so no nested `swift build`), or nil.
    public static func path(of name: String) -> String? {
        let runner = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for start in [runner, URL(fileURLWithPath: CommandLine.arguments[0])] {
            var directory = start.deletingLastPathComponent()
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent(name).path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        return nil
    }

    /// `$CONTAINERTOOL`, else the `containertool` built next to the tests, else nil.
    public static let containertool: String? = {
        if let explicit = ProcessInfo.processInfo.environment["CONTAINERTOOL"], !explicit.isEmpty { return explicit }
        return path(of: "containertool")
    }()

    /// `containertool`'s path, or a thrown failure saying how to build it (a test that needs the
    /// tool cannot do its work without it, so this is never a skip).
    public static func requireContainertool() throws -> String {
        guard let containertool else {
            throw TestFailure("containertool was not built next to the tests; run `swift build --product containertool` (swift test builds it)")
        }
        return containertool
    }
}
