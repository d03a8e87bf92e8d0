import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The HelloWeb executable itself: signals, health check, flags, start-up line, fd exhaustion.
/// Runs the binary SwiftPM built next to the tests, or `HELLOWEB_BINARY`.
final class ProcessTests: XCTestCase {

    func testStartLineNamesAddressAndThreads() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "3"])
        defer { kill(launched.process.processIdentifier, SIGKILL); launched.process.waitUntilExit() }
        XCTAssertTrue(launched.startLine.contains("0.0.0.0:\(launched.port)"), launched.startLine)
        XCTAssertTrue(launched.startLine.contains("3 threads"), launched.startLine)
        XCTAssertGreaterThan(launched.port, 0)
    }

    func testSigtermWhenIdleExitsZeroWithinOneSecond() throws {
        for signal in [SIGTERM, SIGINT] {
            let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "2"])
            kill(launched.process.processIdentifier, signal)
            let elapsed = waitForExit(launched.process, timeout: 5)
            XCTAssertNotNil(elapsed, "no exit after signal \(signal)")
            XCTAssertLessThan(elapsed ?? 99, 1.0)
            XCTAssertEqual(launched.process.terminationReason, .exit)
            XCTAssertEqual(launched.process.terminationStatus, 0)
        }
    }

    func testSigtermWithAnIdleKeepAliveClientExitsOnceItClosesAfterTheLastCall() throws {
        for signal in [SIGTERM, SIGINT] {
            let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "2"])
            var idle: TestClient? = try TestClient(port: launched.port)
            try idle!.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            XCTAssertEqual(try idle!.readResponse().status, 200)
            kill(launched.process.processIdentifier, signal)
            // The last call (up to the 2 s linger time) for a request on its way, then a
            // lingering close: our FIN, and the server waits for the client's; a client that
            // closes on FIN lets it exit at once.
            XCTAssertFalse(idle!.waitForClose(timeout: 0.5), "the FIN came before the last call ended")
            XCTAssertTrue(idle!.waitForClose(timeout: 3), "the idle keep-alive connection gets a FIN")
            idle = nil
            let elapsed = waitForExit(launched.process, timeout: 5)
            XCTAssertNotNil(elapsed, "no exit after signal \(signal)")
            XCTAssertLessThan(elapsed ?? 99, 1.0, "exits as soon as the client closed")
            XCTAssertEqual(launched.process.terminationReason, .exit)
            XCTAssertEqual(launched.process.terminationStatus, 0)
            XCTAssertThrowsError(try TestClient(port: launched.port), "no longer accepting")
        }
    }

    /// As PID 1 (a new PID namespace, like a scratch container) the kernel drops signals
    /// that have no handler; HelloWeb must still stop on SIGTERM.
    func testSigtermAsPID1() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"], prefix: ["/usr/bin/unshare", "--pid", "--fork", "--"])
        let unsharePID = launched.process.processIdentifier
        let children = try String(contentsOfFile: "/proc/\(unsharePID)/task/\(unsharePID)/children", encoding: .utf8)
        let serverPID = try XCTUnwrap(Int32(children.split(separator: " ").first ?? ""), "no child of unshare: \(children)")
        let status = try String(contentsOfFile: "/proc/\(serverPID)/status", encoding: .utf8)
        XCTAssertTrue(status.contains("NSpid:\t\(serverPID)\t1"), "not PID 1 in its namespace: \(status)")
        kill(serverPID, SIGTERM)
        let elapsed = waitForExit(launched.process, timeout: 5)
        if elapsed == nil { kill(serverPID, SIGKILL); launched.process.waitUntilExit() }
        XCTAssertLessThan(elapsed ?? 99, 1.0)
        XCTAssertEqual(launched.process.terminationStatus, 0)
    }

    func testSigtermFinishesTheRequestInFlight() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        let client = try TestClient(port: launched.port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234")
        usleep(100_000)
        kill(launched.process.processIdentifier, SIGTERM)
        usleep(200_000)
        XCTAssertTrue(launched.process.isRunning, "must wait for the request in flight")
        try client.send("56789")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Connection"), "close", "no keep-alive while shutting down")
        XCTAssertTrue(client.waitForClose())
        XCTAssertNotNil(waitForExit(launched.process, timeout: 2))
        XCTAssertEqual(launched.process.terminationStatus, 0)
    }

    func testHealthcheckExitCodes() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        defer { kill(launched.process.processIdentifier, SIGTERM); launched.process.waitUntilExit() }
        XCTAssertEqual(try HelloWebProcess.run(["--healthcheck", "--port", String(launched.port)]).status, 0)
        XCTAssertEqual(try HelloWebProcess.run(["--healthcheck"], environment: ["PORT": String(launched.port)]).status, 0)
        XCTAssertEqual(try HelloWebProcess.run(["--healthcheck", "--port", String(try freeLoopbackPort())]).status, 1)
    }

    /// Runs `--healthcheck --timeout 1` against `port`; checks the exit status, that the
    /// whole check took at most the timeout + 0.2 s, and that a failure says why in one line.
    private func assertHealthcheck(port: Int, exits status: Int32, reasonContains reason: String? = nil, _ name: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let start = Date()
        let result = try HelloWebProcess.run(["--healthcheck", "--port", String(port), "--timeout", "1"])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, status, "\(name): \(result.stderr)", file: file, line: line)
        XCTAssertLessThanOrEqual(elapsed, 1.2, "\(name): the check took \(elapsed) s", file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, name, file: file, line: line)
        if status == 0 {
            XCTAssertTrue(result.stderr.isEmpty, "\(name): \(result.stderr)", file: file, line: line)
        } else {
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(name): one line: \(result.stderr)", file: file, line: line)
            XCTAssertTrue(result.stderr.hasPrefix("HelloWeb --healthcheck: "), "\(name): \(result.stderr)", file: file, line: line)
            if let reason { XCTAssertTrue(result.stderr.contains(reason), "\(name): \(result.stderr)", file: file, line: line) }
        }
    }

    func testHealthcheckHasOneDeadlineAndSaysWhyItFails() throws {
        let trickler = try FakeServer { fd in
            // A correct answer, one byte every 0.3 s: each read is quick, the whole is not.
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8) {
                var value = byte
                if send(fd, &value, 1, Int32(MSG_NOSIGNAL)) != 1 { return }
                usleep(300_000)
            }
        }
        try assertHealthcheck(port: trickler.port, exits: 1, reasonContains: "within 1 s", "trickling server")
        let wrongStatus = try FakeServer { fd in
            let answer = Array("HTTP/1.1 2000 nope\r\nContent-Length: 0\r\n\r\n".utf8)
            _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        try assertHealthcheck(port: wrongStatus.port, exits: 1, reasonContains: "HTTP/1.1 2000 nope", "HTTP/1.1 2000")
        let closing = try FakeServer { _ in }
        try assertHealthcheck(port: closing.port, exits: 1, reasonContains: "closed the connection", "closes at once")
        let silent = try FakeServer(accepts: false) { _ in }
        try assertHealthcheck(port: silent.port, exits: 1, reasonContains: "within 1 s", "silent listener")
        try assertHealthcheck(port: try freeLoopbackPort(), exits: 1, reasonContains: "connection refused", "dead port")
        let good = try FakeServer { fd in
            let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
            _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        try assertHealthcheck(port: good.port, exits: 0, "a 200 answer")
    }

    /// `HTTP/1.1 200` without the space before the reason is not a 200 status line
    /// (RFC 9112 §4); the reason must not read as if the answer were what was wanted.
    func testHealthcheckRejectsAStatusLineWithoutTheSpaceAndSaysWhatWasWanted() throws {
        func noSpace() throws -> FakeServer {
            try FakeServer { fd in
                let answer = Array("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n".utf8)
                _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
        }
        let first = try noSpace()
        try assertHealthcheck(port: first.port, exits: 1, reasonContains: "answered 'HTTP/1.1 200'", "no space after 200")
        let server = try noSpace()
        let result = try HelloWebProcess.run(["--healthcheck", "--port", String(server.port), "--timeout", "1"])
        let quoted = result.stderr.split(separator: "'", omittingEmptySubsequences: false)
        XCTAssertGreaterThanOrEqual(quoted.count, 5, result.stderr)
        if quoted.count >= 5 {
            XCTAssertNotEqual(quoted[1], quoted[3], "what was got and what was wanted read the same: \(result.stderr)")
        }
    }

    /// The largest `--timeout` the parser accepts (a year) is more milliseconds than `poll`
    /// takes (Int32): the check must still wait, not trap, while a slow server answers.
    func testHealthcheckWithTheLargestTimeoutWaitsForASlowAnswer() throws {
        let slow = try FakeServer { fd in
            usleep(300_000)
            let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
            _ = answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        let result = try HelloWebProcess.run(["--healthcheck", "--port", String(slow.port), "--timeout", "31536000"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.isEmpty, result.stderr)
    }

    func testBadFlagsExitWithUsageError() throws {
        for arguments in [["--bogus"], ["--port", "abc"], ["--port", "70000"], ["--port"], ["--threads", "0"],
                          ["--threads", "-2"], ["--head-timeout", "soon"], ["--idle-timeout", "0"],
                          ["--healthcheck=no"], ["--help=yes"], ["-h=1"], ["--body-timeout", "0"], ["--max-body-size", "-1"],
                          ["--max-body-size", "1k"], ["--timeout", "1"], ["--healthcheck", "--timeout", "0"]] {
            let result = try HelloWebProcess.run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.stderr.contains("HelloWeb:"), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, "\(arguments): \(result.stdout)")
        }
        let badEnvironment = try HelloWebProcess.run([], environment: ["PORT": "eighty"])
        XCTAssertEqual(badEnvironment.status, 2)
        XCTAssertTrue(badEnvironment.stderr.contains("PORT environment variable 'eighty' is not a port number (0-65535); fix it or pass --port N"), badEnvironment.stderr)
    }

    /// $PORT is read only where it is used: `--port` wins over a bad one, and `--help` and
    /// `--healthcheck --port N` work whatever it holds.
    func testABadPortVariableBreaksOnlyWhatUsesIt() throws {
        let help = try HelloWebProcess.run(["--help"], environment: ["PORT": "eighty"])
        XCTAssertEqual(help.status, 0, help.stderr)
        XCTAssertTrue(help.stdout.contains("Usage: HelloWeb"))
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        defer { kill(launched.process.processIdentifier, SIGTERM); launched.process.waitUntilExit() }
        let check = try HelloWebProcess.run(["--healthcheck", "--port", String(launched.port)], environment: ["PORT": "eighty"])
        XCTAssertEqual(check.status, 0, check.stderr)
        let unused = try HelloWebProcess.run(["--healthcheck"], environment: ["PORT": "eighty"])
        XCTAssertEqual(unused.status, 2, "without --port the health check uses $PORT: \(unused.stderr)")
    }

    /// Every option `--help` lists is documented in docs/server.md's "Run the server" section.
    func testHelpListsEveryOptionAndTheDocsDocumentThem() throws {
        let result = try HelloWebProcess.run(["--help"])
        XCTAssertEqual(result.status, 0)
        let flags = Set(result.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == ":" || $0 == "[" || $0 == "]" })
            .map(String.init).filter { $0.hasPrefix("-") })
        for expected in ["--port", "--host", "--threads", "--head-timeout", "--idle-timeout", "--body-timeout", "--max-body-size",
                         "--shutdown-timeout", "--healthcheck", "--timeout", "-h", "--help"] {
            XCTAssertTrue(flags.contains(expected), "--help does not list \(expected)")
        }
        let docPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/server.md").path
        let doc = try String(contentsOfFile: docPath, encoding: .utf8)
        let sectionStart = try XCTUnwrap(doc.range(of: "## Run the server"), "docs/server.md has no 'Run the server' section")
        let rest = doc[sectionStart.upperBound...]
        let section = rest[..<(rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex)]
        for flag in flags {
            XCTAssertTrue(section.contains("`\(flag)"), "docs/server.md's 'Run the server' section does not document \(flag)")
        }
    }

    func testPortInUseSaysWhichPortAndFails() throws {
        let first = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        defer { kill(first.process.processIdentifier, SIGTERM); first.process.waitUntilExit() }
        // Another HelloWeb on the same port must not silently share it through SO_REUSEPORT.
        let second = try HelloWebProcess.run(["--port", String(first.port)])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.stderr.contains("port \(first.port)"), second.stderr)
        XCTAssertTrue(second.stderr.contains("in use"), second.stderr)
    }

    func testPortFromEnvironmentAndHostFlag() throws {
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try HelloWebProcess.binaryPath())
        process.arguments = ["--host", "127.0.0.1", "--threads", "1"]
        process.environment = ["PORT": String(port)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { kill(process.processIdentifier, SIGTERM); process.waitUntilExit() }
        let line = try HelloWebProcess.readLine(from: output.fileHandleForReading, timeout: 5)
        XCTAssertTrue(line.contains("127.0.0.1:\(port)"), line)
        XCTAssertFalse(line.contains("[::]"), line)
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(try client.readResponse().bodyText, "Hello world!")
    }

    func testInvalidHostIsAUsageError() throws {
        // An unset variable (`--host ""`) or `*` must not quietly listen on every interface.
        for host in ["not-an-address", "", "*", "[]", "300.1.1.1"] {
            for mode in [[], ["--healthcheck"]] {
                let result = try HelloWebProcess.run(mode + ["--host", host, "--port", "1"])
                XCTAssertEqual(result.status, 2, "\(mode) --host '\(host)': \(result.stderr)")
                XCTAssertTrue(result.stderr.contains("--host '\(host)'"), result.stderr)
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 2, "the reason and the --help hint: \(result.stderr)")
            }
        }
    }

    /// Out of file descriptors: the server backs off (no busy loop), keeps serving the
    /// connections it has, and recovers when descriptors free up.
    func testRunningOutOfFileDescriptorsDoesNotSpinAndRecovers() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"], prefix: ["/usr/bin/prlimit", "--nofile=48:48", "--"])
        defer { kill(launched.process.processIdentifier, SIGTERM); launched.process.waitUntilExit() }
        let pid = launched.process.processIdentifier
        var clients: [TestClient] = []
        for _ in 0..<80 {
            // Half a request each: the listener defers accepting until data arrives, and an
            // incomplete head keeps the accepted connection (and its fd) open.
            let client = try TestClient(port: launched.port)
            try client.send("GET / HTTP/1.1\r\n")
            clients.append(client)
        }  // the kernel queues the rest
        usleep(300_000)
        let cpuBefore = try cpuTicks(pid)
        usleep(1_000_000)
        let cpuAfter = try cpuTicks(pid)
        XCTAssertLessThan(cpuAfter - cpuBefore, 30, "server burned \(cpuAfter - cpuBefore) ticks in 1 s while out of fds")
        // An accepted connection still works.
        try clients[0].send("Host: a\r\n\r\n")
        XCTAssertEqual(try clients[0].readResponse().status, 200)
        clients.removeAll()
        usleep(300_000)
        let fresh = try TestClient(port: launched.port)
        try fresh.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(try fresh.readResponse().status, 200)
        XCTAssertTrue(launched.process.isRunning)
    }

    private func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return Int(fields[11])! + Int(fields[12])!
    }
}

/// A one-connection TCP server on 127.0.0.1 that runs `answer` on the accepted socket after
/// reading the request (or, with `accepts: false`, a listener that never accepts).
final class FakeServer {
    let port: Int
    private let listener: Int32
    private var thread: Thread?

    init(accepts: Bool = true, answer: @escaping @Sendable (Int32) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else { throw ClientError(description: "fake server: bind/listen failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        guard accepts else { return }
        let thread = Thread {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            answer(fd)
            close(fd)
        }
        thread.start()
        self.thread = thread
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))  // wakes a thread blocked in accept
        close(listener)
    }
}
