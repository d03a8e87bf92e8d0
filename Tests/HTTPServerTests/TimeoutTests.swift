import XCTest

/// Head and idle timeouts, with short configured values.
final class TimeoutTests: ServerTestCase {
    override var headTimeout: Double { 0.6 }
    override var idleTimeout: Double { 1.2 }

    /// The head timeout counts from the request's first byte; dribbling bytes does not extend it.
    func testSlowHeadIsCutOffFromItsFirstByte() throws {
        let client = try connect()
        let start = Date()
        try client.send("GET / HTTP/1.1\r\n")
        var closedAfter: Double? = nil
        for index in 0..<40 {
            usleep(100_000)
            if (try? client.send("X-\(index): y\r\n")) == nil { closedAfter = Date().timeIntervalSince(start); break }
            if Date().timeIntervalSince(start) > 3 { break }
        }
        // Either the send failed after the close, or the client reads 408 then EOF.
        if closedAfter == nil {
            let response = try? client.readResponse()
            XCTAssertTrue(response == nil || response!.status == 408)
            XCTAssertTrue(client.waitForClose(timeout: 3))
            closedAfter = Date().timeIntervalSince(start)
        }
        let elapsed = try XCTUnwrap(closedAfter)
        XCTAssertGreaterThan(elapsed, 0.5)
        XCTAssertLessThan(elapsed, 2.0, "closed after \(elapsed) s: the head timeout must not be reset per byte")
    }

    /// A steady pipeliner whose every read finishes one request and starts the next: each new
    /// request gets its own head timeout, so the connection lives past one timeout.
    func testPipelinedRequestsEachGetTheirOwnHeadTimeout() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\n")
        for _ in 0..<5 {  // 5 × 0.3 s = 1.5 s, over twice the 0.6 s head timeout
            usleep(300_000)
            try client.send("Host: a\r\n\r\nGET / HTTP/1.1\r\n")
            assertHello(try client.readResponse())
        }
        try client.send("Host: a\r\n\r\n")
        assertHello(try client.readResponse())
    }

    func testIncompleteHeadGetsRequestTimeout() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n")
        let start = Date()
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 408)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose())
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.5)
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

    func testIdleConnectionWithinTimeoutStillWorks() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
        usleep(800_000)  // longer than the head timeout, shorter than the idle timeout
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
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
        // And the slow ones are all cut off by the head timeout.
        usleep(1_500_000)
        var closed = 0
        for client in slow where client.waitForClose(timeout: 0.5) { closed += 1 }
        XCTAssertEqual(closed, slow.count)
    }
}
