import Foundation
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Graceful shutdown over real sockets against the HelloWeb binary (issue 22): no request
/// that reached us is lost to a reset, and the drain ends when it must.
final class DrainTests: XCTestCase {
    private static let request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"


    /// How one keep-alive client's run ended.
    enum Ending: Equatable {
        /// A `Connection: close` response, then EOF.
        case closeThenEOF
        /// EOF where the next response would be: our request crossed the server's FIN (the
        /// lingering close); no reset, so a client may retry it.
        case finCrossedRequest
        case failure(String)
    }

    func testSigtermUnderKeepAliveLoadEndsEveryConnectionWithoutReset() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "2"])
        defer { kill(launched.process.processIdentifier, SIGKILL); launched.process.waitUntilExit() }
        let clientCount = 20
        let endings = Mutex<[Ending]>([])
        let answered = Atomic<Int>(0)
        var threads: [Thread] = []
        for _ in 0..<clientCount {
            let port = launched.port
            let thread = Thread {
                let ending: Ending
                do {
                    let client = try TestClient(port: port)
                    client.setTimeout(10)
                    ending = try Self.requestUntilClosed(client, answered: answered)
                } catch {
                    ending = .failure("\(error)")
                }
                endings.withLock { $0.append(ending) }
            }
            threads.append(thread)
            thread.start()
        }
        // Mid-load: only once every client has had answers.
        let start = Date()
        while answered.load(ordering: .relaxed) < clientCount * 20 && Date().timeIntervalSince(start) < 10 { usleep(1_000) }
        kill(launched.process.processIdentifier, SIGTERM)
        XCTAssertNotNil(waitForExit(launched.process, timeout: 10), "the drain did not end")
        XCTAssertEqual(launched.process.terminationStatus, 0)
        // The server can exit before every client thread has seen its EOF and recorded it.
        let joinDeadline = Date().addingTimeInterval(15)
        while endings.withLock({ $0.count }) < clientCount && Date() < joinDeadline { usleep(1_000) }
        let seen = endings.withLock { $0 }
        XCTAssertEqual(seen.count, clientCount, "client threads that never ended")
        XCTAssertEqual(seen.filter { if case .failure = $0 { return true } else { return false } }, [], "resets or broken responses")
        XCTAssertEqual(seen.filter { $0 == .finCrossedRequest }.count, 0, "a request met our FIN unanswered: the last call missed it")
        XCTAssertEqual(seen.filter { $0 == .closeThenEOF }.count, clientCount, "every connection ends on a Connection: close response")
    }

    private static func requestUntilClosed(_ client: TestClient, answered: borrowing Atomic<Int>) throws -> Ending {
        while true {
            try client.send(request)
            let response: ReceivedResponse
            do {
                response = try client.readResponse()
            } catch let error as ClientError where error.description.hasPrefix("connection closed before a response head (got 0 bytes") {
                return .finCrossedRequest
            }
            guard response.status == 200 else { return .failure("status \(response.status)") }
            answered.add(1, ordering: .relaxed)
            if response.header("Connection") == "close" {
                return client.waitForClose(timeout: 5) ? .closeThenEOF : .failure("no clean EOF after Connection: close")
            }
        }
    }

    func testConnectionInTheBacklogAtShutdownIsServed() throws {
        // A SIGSTOPped server leaves new connections (with their requests) in the backlog.
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        let pid = launched.process.processIdentifier
        defer { kill(pid, SIGKILL); launched.process.waitUntilExit() }
        kill(pid, SIGSTOP)
        var waiting: [TestClient] = []
        for _ in 0..<5 {
            let client = try TestClient(port: launched.port)  // the kernel completes the handshake
            try client.send(Self.request)
            waiting.append(client)
        }
        usleep(50_000)  // the requests reach the kernel (loopback)
        kill(pid, SIGTERM)
        kill(pid, SIGCONT)
        for client in waiting {
            client.setTimeout(5)
            let response = try client.readResponse()
            // `Connection: close` only when the worker saw the shutdown first: after SIGCONT the
            // worker threads and the signal-waiting main thread race. Either way: served, then EOF.
            XCTAssertEqual(response.status, 200)
            XCTAssertTrue(client.waitForClose(timeout: 5), "EOF, not a reset")
        }
        XCTAssertNotNil(waitForExit(launched.process, timeout: 10))
    }

    func testIdleConnectionGetsFINAndARequestAlreadySentIsAnsweredWithClose() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        let pid = launched.process.processIdentifier
        defer { kill(pid, SIGKILL); launched.process.waitUntilExit() }
        let idle = try TestClient(port: launched.port)
        try idle.send(Self.request)
        XCTAssertEqual(try idle.readResponse().status, 200)
        let crossing = try TestClient(port: launched.port)
        try crossing.send(Self.request)
        XCTAssertEqual(try crossing.readResponse().status, 200)
        // The next request is in the kernel when the shutdown starts (the server is stopped).
        kill(pid, SIGSTOP)
        try crossing.send(Self.request)
        usleep(50_000)
        kill(pid, SIGTERM)
        kill(pid, SIGCONT)
        crossing.setTimeout(5)
        let response = try crossing.readResponse()
        XCTAssertEqual(response.status, 200)  // with `Connection: close` unless the worker won the race (see above)
        XCTAssertTrue(crossing.waitForClose(timeout: 5), "EOF after the answer, not a reset")
        XCTAssertTrue(idle.waitForClose(timeout: 5), "the idle connection gets a FIN, not a reset")
        // Lingering: a request sent after our FIN is read and dropped, never reset.
        try idle.send(Self.request)
        usleep(50_000)
        var descriptor = pollfd(fd: idle.fd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, 0)
        var byte: UInt8 = 0
        XCTAssertEqual(recv(idle.fd, &byte, 1, Int32(MSG_DONTWAIT)), 0, "still EOF, no reset: errno \(errno)")
    }

    /// A keep-alive client idle at SIGTERM that sends its next request a moment later (a load
    /// balancer that has not yet seen the endpoint go) is answered, with `Connection: close`.
    func testAnIdleClientsNextRequestAfterSigtermIsAnsweredWithClose() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        let pid = launched.process.processIdentifier
        defer { kill(pid, SIGKILL); launched.process.waitUntilExit() }
        let client = try TestClient(port: launched.port)
        client.setTimeout(5)
        try client.send(Self.request)
        XCTAssertEqual(try client.readResponse().status, 200)
        kill(pid, SIGTERM)
        usleep(300_000)
        XCTAssertTrue(launched.process.isRunning, "the drain waits for the idle connection's last call")
        try client.send(Self.request)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose(timeout: 5), "EOF after the answer, not a reset")
        XCTAssertNotNil(waitForExit(launched.process, timeout: 10))
        XCTAssertEqual(launched.process.terminationStatus, 0)
    }

    func testSecondSignalEndsTheDrainAtOnce() throws {
        for second in [SIGTERM, SIGINT] {
            let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "2", "--shutdown-timeout", "30"])
            let pid = launched.process.processIdentifier
            defer { kill(pid, SIGKILL); launched.process.waitUntilExit() }
            // A request in flight that never completes holds the drain open.
            let busy = try TestClient(port: launched.port)
            try busy.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nab")
            usleep(50_000)
            kill(pid, SIGTERM)
            XCTAssertNil(waitForExit(launched.process, timeout: 0.5), "the first signal drains")
            kill(pid, second)
            let elapsed = waitForExit(launched.process, timeout: 10)
            XCTAssertNotNil(elapsed)
            XCTAssertLessThan(elapsed ?? 99, 5, "well under the 30 s shutdown timeout")
            XCTAssertEqual(launched.process.terminationStatus, 0)
        }
    }

    func testHangupAndUserSignalsDoNotStopTheServer() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "1"])
        let pid = launched.process.processIdentifier
        defer { kill(pid, SIGKILL); launched.process.waitUntilExit() }
        for signal in [SIGHUP, SIGUSR1, SIGUSR2] { kill(pid, signal) }
        usleep(100_000)
        XCTAssertTrue(launched.process.isRunning)
        let client = try TestClient(port: launched.port)
        try client.send(Self.request)
        XCTAssertEqual(try client.readResponse().status, 200)
    }

    /// Adversaries at SIGTERM: a client that pipelines and never reads, one that sent half a
    /// request, and many idle ones that never close. The drain still ends at the timeout.
    func testDrainEndsAtTheShutdownTimeoutWhateverTheClientsDo() throws {
        let launched = try HelloWebProcess.launch(arguments: ["--port", "0", "--threads", "2", "--shutdown-timeout", "2"])
        let pid = launched.process.processIdentifier
        defer { kill(pid, SIGKILL); launched.process.waitUntilExit() }
        var idle: [TestClient] = []
        for _ in 0..<200 {
            let client = try TestClient(port: launched.port)
            try client.send(Self.request)
            _ = try client.readResponse()
            idle.append(client)
        }
        let hog = try TestClient(port: launched.port)
        let burst = Array(String(repeating: Self.request, count: 1000).utf8)
        var flags = fcntl(hog.fd, F_GETFL)
        flags |= O_NONBLOCK
        _ = fcntl(hog.fd, F_SETFL, flags)
        while burst.withUnsafeBytes({ Glibc.send(hog.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) > 0 {}
        let half = try TestClient(port: launched.port)
        try half.send("GET / HTTP/1.1\r\nHost: a\r\n")
        usleep(50_000)
        kill(pid, SIGTERM)
        let elapsed = waitForExit(launched.process, timeout: 15)
        XCTAssertNotNil(elapsed, "the drain did not end")
        XCTAssertLessThan(elapsed ?? 99, 2 + 2, "ends at the 2 s shutdown timeout (generous bound)")
        for client in idle { XCTAssertTrue(client.waitForClose(timeout: 1), "an idle connection got a reset") }
    }
}
