import XCTest
@testable import HTTPServer

/// Timeout decisions on the state machine with a manual clock, so each runs in microseconds and
/// fails with the deadline it got. (`TimeoutTests` checks the worker's timers over sockets.)
final class ConnectionTimeoutTests: XCTestCase {
    /// A steady pipeliner whose every read finishes one request and starts the next: each new
    /// request gets its own head timeout, so the connection outlives several head timeouts.
    func testPipelinedRequestsEachGetTheirOwnHeadTimeout() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.arrive("GET / HTTP/1.1\r\n"), .read)
        XCTAssertEqual(connection.machine.deadline, 5_000)
        for step in 1...5 {  // 5 × 3 s = 15 s: three head timeouts
            connection.now = Int64(step) * 3_000
            XCTAssertEqual(connection.report(.deadlinePassed), .keepWaiting, "step \(step)")
            XCTAssertEqual(connection.arrive("Host: a\r\n\r\nGET / HTTP/1.1\r\n"), .read, "step \(step)")
            XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 200 OK\r\n"), "step \(step)")
            XCTAssertEqual(connection.machine.state, .readingHead, "step \(step)")
            XCTAssertEqual(connection.machine.deadline, connection.now + 5_000, "step \(step): the next request's head timeout")
        }
        XCTAssertEqual(connection.arrive("Host: a\r\n\r\n"), .read)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertEqual(connection.machine.state, .awaitingRequest)
        XCTAssertEqual(connection.machine.deadline, connection.now + 60_000)
    }

    /// A chunked body cut off by the total body deadline however it trickles: inside a chunk
    /// extension, inside a trailer field.
    func testChunkExtensionAndTrailerTrickleAreCutOffAtTheBodyDeadline() {
        let variants = [
            ("chunk extension", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;", "e"),
            ("trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: ", "v"),
        ]
        for (name, head, piece) in variants {
            let connection = ScriptedConnection()
            XCTAssertEqual(connection.arrive(head), .read, name)
            var now: Int64 = 0
            while now + 4_500 < 30_000 {
                now += 4_500  // within the head timeout each time, so only the total deadline applies
                connection.now = now
                XCTAssertEqual(connection.report(.deadlinePassed), .keepWaiting, "\(name) at \(now) ms")
                XCTAssertEqual(connection.arrive(piece), .read, "\(name) at \(now) ms")
            }
            XCTAssertEqual(connection.machine.deadline, 30_000, name)
            connection.now = 30_000
            XCTAssertEqual(connection.report(.deadlinePassed), .shutdownOutput, "\(name): 408, then drain")
            XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 408 "), name)
        }
    }

    /// Between requests the idle timeout applies, not the head timeout: a second request after
    /// a pause longer than the head timeout is answered.
    func testRequestAfterAPauseLongerThanTheHeadTimeoutIsAnswered() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.arrive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .read)
        _ = connection.takeOutput()
        connection.now = 8_000
        XCTAssertEqual(connection.report(.deadlinePassed), .keepWaiting)
        XCTAssertEqual(connection.arrive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .read)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }
}
