import Foundation
import Synchronization
@testable import OCIRegistry
import TestSupport
import XCTest

/// The package root.
let packageRoot = BuiltProducts.packageRoot

/// Connection options that ignore this machine's CA settings (no SSL_CERT_FILE, no certs.d roots).
func testConnection(plainHTTP: Bool = false, verifyTLS: Bool = true, caFiles: [String] = [], certsDirectoryRoots: [String] = [],
                    timeout: Double = 10, environment: [String: String] = [:]) -> ConnectionOptions {
    ConnectionOptions(plainHTTP: plainHTTP, verifyTLS: verifyTLS, caFiles: caFiles, certsDirectoryRoots: certsDirectoryRoots,
                      timeout: timeout, environment: environment)
}

/// Collects log lines from a push (the log closure is `@Sendable`).
final class LogRecorder: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}

/// A flag set once from a `@Sendable` closure and read by the test.
final class OnceFlag: Sendable {
    private let value = Mutex(false)
    /// Sets the flag; true only for the call that set it first.
    func set() -> Bool { value.withLock { wasSet in defer { wasSet = true }; return !wasSet } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Fails the test when any of `texts` (stdout, stderr, --json, logs, error messages) holds any of
/// `secrets`, also base64-encoded as `user:secret` would be in a Basic header.
func assertNoSecrets(_ texts: [String], _ secrets: [String], user: String = "pusher", file: StaticString = #filePath, line: UInt = #line) {
    let all = texts.joined(separator: "\n")
    for secret in secrets where !secret.isEmpty {
        for form in [secret, Data("\(user):\(secret)".utf8).base64EncodedString()] {
            XCTAssertFalse(all.contains(form), "a secret leaked into the output:\n\(all)", file: file, line: line)
        }
    }
}

/// The `containertool` next to the test bundle (built by `swift test`), or $CONTAINERTOOL.
let containertoolPath = BuiltProducts.containertool

/// Runs `containertool ARGS` with `environment` (merged over ours) and returns what it printed.
func runContainertool(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
    let tool = try BuiltProducts.requireContainertool()
    return try runTool(tool, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
}

/// A tiny fully static executable to package (gcc with static glibc).
func staticHelloBinary(_ testCase: XCTestCase) throws -> String {
    let directory = try temporaryDirectory(testCase, "hello-binary")
    let source = directory.appendingPathComponent("hello.c")
    try Data("#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n".utf8).write(to: source)
    try runChecked("gcc", ["-static", "-O2", "-s", "-o", directory.appendingPathComponent("hello").path, source.path])
    return directory.appendingPathComponent("hello").path
}

/// A fully static program for `compiler`'s platform (gcc, or a cross gcc) that prints `name`, in `work`.
func staticProgram(_ name: String, compiler: String = "gcc", in work: URL) throws -> String {
    let source = work.appendingPathComponent(name + ".c")
    try Data("#include <stdio.h>\nint main(void) { puts(\"\(name)\"); return 0; }\n".utf8).write(to: source)
    let path = work.appendingPathComponent(name).path
    try runChecked(compiler, ["-static", "-Os", "-s", "-o", path, source.path])
    return path
}

/// `containertool ARGS` kept away from this machine's state: reproducible times, no home or Docker
/// credentials of ours, and its own blob cache in `work` (or `cache`).
func isolatedContainertool(_ arguments: [String], work: URL, cache: String? = nil, environment: [String: String] = [:]) throws -> ToolResult {
    try runContainertool(arguments, environment: ["SOURCE_DATE_EPOCH": "0", "HOME": work.path, "DOCKER_CONFIG": work.path + "/no-docker-config",
                                                  "CONTAINERIZE_CACHE_DIR": cache ?? work.path + "/cache"].merging(environment) { $1 })
}

/// Builds a small image (the static hello binary, with `options`) as a layout in `work` and pushes it
/// to `reference`; returns the pinned reference `push` printed (`HOST/REPO@sha256:…`).
func pushHelloImage(_ testCase: XCTestCase, to reference: String, work: URL, name: String = "layout", options: [String] = []) throws -> String {
    let layout = work.appendingPathComponent(name).path
    let built = try runContainertool(["build", "--executable", try staticHelloBinary(testCase), "--output", "oci-layout:" + layout] + options)
    guard built.status == 0 else { throw TestFailure("containertool build failed: \(built.stderr)") }
    let pushed = try runContainertool(["push", "oci-layout:" + layout, reference])
    guard pushed.status == 0 else { throw TestFailure("containertool push failed: \(pushed.stderr)") }
    return pushed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Seconds `body` took.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = Date()
    let value = try await body()
    return (value, Date().timeIntervalSince(start))
}
