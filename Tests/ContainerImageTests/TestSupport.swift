import OCIModel
import ContainerImage
import Foundation
import TestSupport

/// This target's front door to the shared `TestSupport` module, plus its own fixtures.
enum TestSupport {
    /// Runs `executable` (absolute path, or a name looked up on PATH) and captures its output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                    environment: [String: String]? = nil, input: [UInt8]? = nil) throws -> ProcessResult {
        try runProcess(executable, arguments, in: directory, environment: environment, input: input)
    }

    /// A fresh temporary directory, removed by the caller with `remove(_:)`.
    static func makeTemporaryDirectory(_ label: String = "cit") throws -> String {
        try makeTemporaryFolder(label).path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// The package root.
    static let packageRoot: String = BuiltProducts.packageRoot.path

    /// The `containertool` binary next to the test bundle (built by `swift test`), or $CONTAINERTOOL.
    static let containertool: String = BuiltProducts.containertool ?? "/nonexistent/containertool (build it: swift build --product containertool)"

    /// Runs the built containertool.
    @discardableResult
    static func containertool(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil) throws -> ProcessResult {
        var env = environment ?? ProcessInfo.processInfo.environment
        if environment == nil { env.removeValue(forKey: "SOURCE_DATE_EPOCH") }
        return try run(containertool, arguments, in: directory, environment: env)
    }

    /// Small C programs compiled once per test run: a static one and a dynamic one.
    static let helloSource = """
        #include <stdio.h>
        #include <unistd.h>
        int main(int argc, char **argv) { printf("Hello from %s! uid=%d\\n", argc > 1 ? argv[1] : "scratch", (int)getuid()); return 0; }
        """
    /// Compiled into one directory per source version and reused by later runs (no leftovers
    /// pile up); built under a temporary name and renamed, so concurrent runs don't collide.
    static let fixtures: (staticBinary: String, dynamicBinary: String) = {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("containerimage-test-fixtures-" + String(SHA256.hash(Array(helloSource.utf8)).hexString.prefix(16))).path
        let result = (directory + "/hello", directory + "/hello-dynamic")
        if FileManager.default.isExecutableFile(atPath: result.1) { return result }
        let staging = try! makeTemporaryDirectory("containerimage-test-fixtures-staging")
        let source = staging + "/hello.c"
        try! helloSource.write(toFile: source, atomically: true, encoding: .utf8)
        let staticResult = try! run("gcc", ["-static", "-O2", "-s", "-o", staging + "/hello", source])
        let dynamicResult = try! run("gcc", ["-O2", "-o", staging + "/hello-dynamic", source])
        precondition(staticResult.status == 0 && dynamicResult.status == 0, "gcc (with static glibc) is needed: \(staticResult.stderr)\(dynamicResult.stderr)")
        if rename(staging, directory) != 0 { remove(staging) } // another run won the race; use its copy
        return result
    }()

    /// Entries in `directory` (names only), for "nothing left behind" checks.
    static func listing(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func readBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
}
