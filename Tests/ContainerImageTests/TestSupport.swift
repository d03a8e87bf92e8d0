import ContainerImage
import Foundation
import Testing

/// The result of running a subprocess.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: [UInt8]
}

enum TestSupport {
    /// Runs `executable` (absolute path, or a name looked up on PATH) and captures its output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                    environment: [String: String]? = nil, input: [UInt8]? = nil) throws -> ProcessResult {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let stdoutPipe = Pipe(), stderrPipe = Pipe(), stdinPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = stdinPipe
        try process.run()
        if let input { stdinPipe.fileHandleForWriting.write(Data(input)) }
        try stdinPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        let errorData = LockedData()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errorData.set(stderrPipe.fileHandleForReading.readDataToEndOfFile()) }
        let outData = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errorData.get(), as: UTF8.self), stdoutBytes: [UInt8](outData))
    }

    /// Fails the test loudly when a required tool is not installed (never skips).
    static func requireTool(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let found = (try? run("which", [name]).status) == 0
        if !found {
            Issue.record("required tool '\(name)' is not installed; install it (see .ci) to run this test", sourceLocation: sourceLocation)
        }
        return found
    }

    /// A fresh temporary directory, removed by the caller with `remove(_:)`.
    static func makeTemporaryDirectory(_ label: String = "cit") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// The package root (…/Tests/ContainerImageTests/TestSupport.swift → …).
    static let packageRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The `containertool` binary next to the test bundle (built by `swift test`), or $CONTAINERTOOL.
    static let containertool: String = {
        if let explicit = ProcessInfo.processInfo.environment["CONTAINERTOOL"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("containertool").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return "/nonexistent/containertool (build it: swift build --product containertool)"
    }()

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

/// Thread-safe holder for bytes read on another queue.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
