import Foundation
import XCTest
@testable import OCIRegistry
#if canImport(Glibc)
import Glibc
#endif

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The result of running a tool to completion.
struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` (looked up on PATH) with `arguments`; fails the test when the tool is not installed.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
             file: StaticString = #filePath, line: UInt = #line) throws -> ToolResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Read both pipes before waiting so a chatty tool cannot block on a full pipe.
    let errData = LockedData()
    let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    errReader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.isSet { usleep(1_000) }
    let result = ToolResult(status: process.terminationStatus,
                            stdout: String(decoding: outData, as: UTF8.self),
                            stderr: String(decoding: errData.value, as: UTF8.self))
    if result.status == 127 {
        XCTFail("\(executable) is not installed: \(result.stderr)", file: file, line: line)
    }
    return result
}

/// Runs a tool and throws with its stderr unless it exits 0.
@discardableResult
func runChecked(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let result = try runTool(executable, arguments, environment: environment)
    guard result.status == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result.stdout
}

/// Starts a long-running program detached from this process (own session, every descriptor above 2
/// closed) and returns its pid. Started directly as a Foundation `Process`, a daemon would keep the
/// test's pipes open (Foundation passes them on) and later tool runs would never see end-of-file.
func startDetached(_ command: [String], log: URL) throws -> Int32 {
    let script = """
        (for fd in /proc/self/fd/*; do n="${fd##*/}"; if (( n > 2 )); then eval "exec $n>&-" 2>/dev/null || true; fi; done
         exec setsid "$@" >"$LOG" 2>&1 </dev/null) &
        echo $!
        """
    let output = try runChecked("bash", ["-c", script, "detached"] + command, environment: ProcessInfo.processInfo.environment.merging(["LOG": log.path]) { $1 })
    guard let pid = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no pid for \(command)") }
    return pid
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}


/// Connection options that ignore this machine's CA settings (no SSL_CERT_FILE, no certs.d roots).
func testConnection(plainHTTP: Bool = false, verifyTLS: Bool = true, caFiles: [String] = [], certsDirectoryRoots: [String] = [],
                    timeout: Double = 10, environment: [String: String] = [:]) -> ConnectionOptions {
    ConnectionOptions(plainHTTP: plainHTTP, verifyTLS: verifyTLS, caFiles: caFiles, certsDirectoryRoots: certsDirectoryRoots,
                      timeout: timeout, environment: environment)
}

/// Collects log lines from a push (the log closure is `@Sendable`).
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ line: String) { lock.lock(); storage.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ testCase: XCTestCase, _ name: String = "oci-registry-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    testCase.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
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
let containertoolPath: String? = {
    if let explicit = ProcessInfo.processInfo.environment["CONTAINERTOOL"] { return explicit }
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("containertool").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return nil
}()

/// Runs `containertool ARGS` with `environment` (merged over ours) and returns what it printed.
func runContainertool(_ arguments: [String], environment: [String: String] = [:]) throws -> ToolResult {
    guard let tool = containertoolPath else { throw TestFailure("containertool was not built next to the tests (swift build --product containertool)") }
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

/// Seconds `body` took.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = Date()
    let value = try await body()
    return (value, Date().timeIntervalSince(start))
}
