import Foundation
import HTTPServer
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The server under test: the in-process `HTTPServer`, or — when `HELLOWEB_BINARY` names
/// a HelloWeb executable (e.g. the Embedded build) — that binary as a subprocess, so both
/// builds pass the same behaviour tests.
final class TestServer {
    let port: Int
    private let inProcess: RunningServer?
    private let process: Process?

    static var externalBinary: String? {
        let value = ProcessInfo.processInfo.environment["HELLOWEB_BINARY"]
        return (value?.isEmpty ?? true) ? nil : value
    }

    init(headTimeout: Double = 5, idleTimeout: Double = 60, bodyTimeout: Double = 30, threads: Int = 2) throws {
        if let binary = TestServer.externalBinary {
            let launched = try HelloWebProcess.launch(binary: binary, arguments: [
                "--port", "0", "--threads", String(threads),
                "--head-timeout", String(format: "%.3f", headTimeout),
                "--idle-timeout", String(format: "%.3f", idleTimeout),
                "--body-timeout", String(format: "%.3f", bodyTimeout),
            ])
            process = launched.process
            port = launched.port
            inProcess = nil
        } else {
            let configuration = ServerConfiguration(
                host: nil, port: 0, threads: threads,
                headTimeoutMilliseconds: Int(headTimeout * 1000), idleTimeoutMilliseconds: Int(idleTimeout * 1000),
                bodyTimeoutMilliseconds: Int(bodyTimeout * 1000))
            do {
                inProcess = try HTTPServer.start(configuration)
            } catch {
                throw ClientError(description: "server did not start: \(error)")
            }
            port = inProcess!.port
            process = nil
        }
    }

    func stop() {
        if let inProcess {
            inProcess.shutdown()
            inProcess.wait()
        }
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// Launching the HelloWeb executable as a subprocess.
enum HelloWebProcess {
    /// The binary under test: `HELLOWEB_BINARY`, else the HelloWeb that SwiftPM built next
    /// to this test bundle (same build folder, so no nested `swift build`).
    static func binaryPath() throws -> String {
        if let external = TestServer.externalBinary { return external }
        guard let built = BuiltProducts.path(of: "HelloWeb") else {
            throw ClientError(description: "HelloWeb binary not found next to the tests; run `swift build --product HelloWeb` first or set HELLOWEB_BINARY")
        }
        return built
    }

    struct Launched {
        var process: Process
        var port: Int
        var startLine: String
        var output: Pipe
        var errors: Pipe
    }

    /// Starts the binary and waits for its start-up line (`... (port N, ...)`).
    static func launch(binary: String? = nil, arguments: [String], prefix: [String] = []) throws -> Launched {
        let path = try binary ?? binaryPath()
        let process = Process()
        if prefix.isEmpty {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: prefix[0])
            process.arguments = Array(prefix.dropFirst()) + [path] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "PORT")
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let line = try readLine(from: output.fileHandleForReading, timeout: 10)
        guard let range = line.range(of: "port "),
              let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else {
            process.terminate()
            throw ClientError(description: "unexpected start line: '\(line)' stderr: \(String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self))")
        }
        return Launched(process: process, port: port, startLine: line, output: output, errors: errors)
    }

    static func readLine(from handle: FileHandle, timeout: Double) throws -> String {
        var bytes: [UInt8] = []
        let fd = handle.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pollfd, 1, 100) > 0 {
                var byte: UInt8 = 0
                let count = read(fd, &byte, 1)
                if count <= 0 { break }
                if byte == 10 { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            }
        }
        throw ClientError(description: "no start line within \(timeout) s (got '\(String(decoding: bytes, as: UTF8.self))')")
    }

    /// Runs the binary to completion (killed after `timeout` seconds); returns exit status and outputs.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: Double = 10) throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "PORT")
        for (key, value) in extra { environment[key] = value }
        let result = try runProcess(try binaryPath(), arguments, environment: environment, timeout: timeout)
        return (result.status, result.stdout, result.stderr)
    }
}

/// Seconds until `process` exited, or nil when it still runs after `timeout`.
func waitForExit(_ process: Process, timeout: Double) -> Double? {
    let start = Date()
    while process.isRunning {
        if Date().timeIntervalSince(start) > timeout { return nil }
        usleep(5_000)
    }
    return Date().timeIntervalSince(start)
}
