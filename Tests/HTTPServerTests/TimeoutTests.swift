import XCTest

/// Head, idle and body timeouts on real sockets, with short configured values: one test per
/// timer the worker wires up. What each timeout decides (which deadline, which answer) is
/// tested without sockets or sleeping, with a manual clock, in `ConnectionStateMachineTests`
/// and `ConnectionTimeoutTests`.
final class TimeoutTests: ServerTestCase {
    override var headTimeout: Double { 0.6 }
    override var idleTimeout: Double { 1.2 }
    override var bodyTimeout: Double { 1.5 }

    /// Sends `pieces` one every `interval` seconds until the server answers; returns the
    /// answer and when it became readable (seconds after the first piece). The server
    /// must answer within `limit` seconds.
    private func trickle(_ client: TestClient, _ pieces: [String], interval: Double, limit: Double) throws -> (ReceivedResponse, Double) {
        let start = Date()
        var index = 0
        while !client.isReadable(within: index == 0 ? 0 : interval) {
            let elapsed = Date().timeIntervalSince(start)
            guard elapsed < limit else { throw ClientError(description: "no answer within \(limit) s") }
            try client.send(pieces[min(index, pieces.count - 1)])
            index += 1
        }
        let answeredAfter = Date().timeIntervalSince(start)
        return (try client.readResponse(), answeredAfter)
    }

    /// The head timeout counts from the request's first byte; dribbling bytes does not extend it.
    /// The client gets a `408`, then an orderly close.
    func testSlowHeadIsCutOffFromItsFirstByte() throws {
        let client = try connect()
        let pieces = ["GET / HTTP/1.1\r\n"] + (0..<40).map { "X-\($0): y\r\n" }
        let (response, elapsed) = try trickle(client, pieces, interval: 0.1, limit: 3)
        XCTAssertEqual(response.status, 408)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose(timeout: 3))
        XCTAssertGreaterThan(elapsed, 0.5)
        XCTAssertLessThan(elapsed, 1.5, "answered after \(elapsed) s: the head timeout must not be reset per byte")
    }

    /// A body that trickles in (each piece within the head timeout) is cut off by the total
    /// body deadline with `408`. (Chunk extensions and trailers: `ConnectionTimeoutTests`.)
    func testTrickledBodyGetsRequestTimeoutAtTheBodyDeadline() throws {
        let client = try connect()
        let pieces = ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n"] + Array(repeating: "x", count: 100)
        let (response, elapsed) = try trickle(client, pieces, interval: 0.3, limit: 4)
        XCTAssertEqual(response.status, 408)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertGreaterThan(elapsed, 1.4)
        XCTAssertLessThan(elapsed, 2.2, "answered after \(elapsed) s")
        XCTAssertTrue(client.waitForClose(timeout: 3))
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
        let start = Date()
        XCTAssertTrue(client.waitForClose(timeout: 4))
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertGreaterThan(elapsed, 1.0, "idle timeout, not the head timeout, applies between requests")
        XCTAssertLessThan(elapsed, 2.5)
    }

    func testSilentNewConnectionIsClosed() throws {
        let client = try connect()
        let start = Date()
        XCTAssertTrue(client.waitForClose(timeout: 4))
        // The listener defers accepting (TCP_DEFER_ACCEPT) until data arrives or about 1 s of
        // silence has passed; then the head timeout (0.6 s) runs.
        XCTAssertLessThan(Date().timeIntervalSince(start), 3.0)
    }

    /// Hundreds of slowloris clients must not delay a normal client.
    func testSlowClientsDoNotSlowDownANormalClient() throws {
        var slow: [TestClient] = []
        for index in 0..<300 {
            let client = try connect()
            try client.send("GET /slow/\(index) HTTP/1.1\r\nHost: a\r\nX-Partial: ")
            slow.append(client)
        }
        let normal = try connect()
        var worst = 0.0
        for _ in 0..<50 {
            let start = Date()
            try normal.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            assertHello(try normal.readResponse())
            worst = max(worst, Date().timeIntervalSince(start))
            for client in slow.prefix(50) { try? client.send("x") }
        }
        // Served long before the slow clients' head timeout (0.6 s) could have freed the server.
        XCTAssertLessThan(worst, 0.4, "a normal request took \(worst) s next to 300 slow clients")
        // And the slow ones are all cut off by the head timeout: waited for, not slept for.
        let deadline = Date().addingTimeInterval(2.5)
        var closed = 0
        for client in slow where client.waitForClose(timeout: max(0.05, deadline.timeIntervalSinceNow)) { closed += 1 }
        XCTAssertEqual(closed, slow.count)
    }
}
