import XCTest
@testable import HTTPServer

/// The connection state machine on its own: no sockets, no threads, no sleeping. A
/// `ScriptedConnection` plays the worker's part (carrying out actions against a pretend
/// socket) and the clock is moved by hand.
final class ConnectionStateMachineTests: XCTestCase {
    static let timeouts = ConnectionTimeouts(head: 5_000, idle: 60_000, body: 30_000, write: 5_000, linger: 2_000)

    func testRequestIsAnsweredAndTheIdleTimeoutApplies() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.machine.deadline, 5_000, "a fresh connection gets the head timeout")
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .read)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertEqual(connection.machine.state, .awaitingRequest)
        XCTAssertEqual(connection.machine.deadline, 60_000)
        connection.now = 59_999
        XCTAssertEqual(connection.report(.deadlinePassed), .keepWaiting)
        connection.now = 60_000
        XCTAssertEqual(connection.report(.deadlinePassed), .close)
        XCTAssertEqual(connection.takeOutput(), "", "an idle connection is closed without a word")
    }

    func testHeadTimeoutCountsFromTheFirstByteAndAnswers408() {
        let connection = ScriptedConnection()
        connection.now = 1_000
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\n"), .read)
        for second in 2...5 {
            connection.now = Int64(second) * 1_000
            XCTAssertEqual(connection.receive("X-\(second): y\r\n"), .read)
        }
        XCTAssertEqual(connection.machine.deadline, 6_000, "dribbling bytes does not extend the head timeout")
        connection.now = 6_000
        XCTAssertEqual(connection.report(.deadlinePassed), .close, "408 sent, no input waiting: close")
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        XCTAssertEqual(connection.probes, 1, "it looked for unread input before closing")
    }

    func testEmptyLinesStartTheHeadTimeoutNotTheIdleOne() {
        let connection = ScriptedConnection()
        _ = connection.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = connection.takeOutput()
        connection.now = 10_000
        XCTAssertEqual(connection.receive("\r\n"), .read)
        XCTAssertEqual(connection.machine.state, .readingHead)
        XCTAssertEqual(connection.machine.deadline, 15_000)
        connection.now = 14_000
        XCTAssertEqual(connection.receive("\r\n"), .read)
        XCTAssertEqual(connection.machine.deadline, 15_000)
        connection.now = 15_000
        XCTAssertEqual(connection.report(.deadlinePassed), .close)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 408 "))
    }

    func testTrickledBodyIsCutOffAtTheTotalBodyDeadline() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.receive("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n"), .read)
        XCTAssertEqual(connection.machine.state, .readingBody(continueSent: false))
        var now: Int64 = 0
        while now + 4_500 < 30_000 {
            now += 4_500  // within the head timeout each time, so only the total deadline applies
            connection.now = now
            XCTAssertEqual(connection.report(.deadlinePassed), .keepWaiting)
            XCTAssertEqual(connection.receive("x"), .read)
        }
        XCTAssertEqual(connection.machine.deadline, 30_000)
        connection.now = 30_000
        XCTAssertEqual(connection.report(.deadlinePassed), .shutdownOutput, "408, then drain the rest of the body")
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 408 "))
        XCTAssertEqual(connection.machine.state, .lingering)
    }

    func testBodyInactivityUsesTheHeadTimeout() {
        let connection = ScriptedConnection()
        _ = connection.receive("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
        XCTAssertEqual(connection.machine.deadline, 5_000)
        connection.now = 5_000
        XCTAssertEqual(connection.report(.deadlinePassed), .shutdownOutput)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 408 "))
    }

    func testWriteTimeoutClosesAClientThatDoesNotRead() {
        let connection = ScriptedConnection()
        connection.socketAccepts = 10  // the socket takes 10 bytes, then no more
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .waitForWritable)
        XCTAssertFalse(connection.machine.pendingOutput.isEmpty)
        XCTAssertEqual(connection.machine.deadline, 5_000)
        connection.now = 3_000
        connection.socketAccepts = 10
        XCTAssertEqual(connection.report(.writable), .waitForWritable)
        XCTAssertEqual(connection.machine.deadline, 8_000, "progress extends the write timeout")
        connection.now = 8_000
        XCTAssertEqual(connection.report(.deadlinePassed), .close)
    }

    func testBlockedOutputIsSentOnWritableThenReadingResumes() {
        let connection = ScriptedConnection()
        connection.socketAccepts = 0
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .waitForWritable)
        XCTAssertEqual(connection.takeOutput(), "")
        connection.socketAccepts = Int.max
        XCTAssertEqual(connection.report(.writable), .read)
        XCTAssertTrue(connection.takeOutput().hasSuffix("Hello world!"))
        XCTAssertEqual(connection.machine.deadline, 60_000, "idle again")
    }

    func testErrorResponseIsFollowedByALingeringClose() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), .shutdownOutput)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        XCTAssertTrue(connection.socket.outputShutDown, "the driver sent our FIN before lingering")
        XCTAssertEqual(connection.machine.state, .lingering)
        XCTAssertEqual(connection.machine.deadline, 2_000)
        connection.now = 1_000
        XCTAssertEqual(connection.receive("more input is drained and dropped"), .read)
        XCTAssertEqual(connection.takeOutput(), "")
        XCTAssertEqual(connection.machine.deadline, 2_000, "draining does not extend the linger timeout")
        XCTAssertEqual(connection.report(.inputEnded), .close)
        let slow = ScriptedConnection()
        _ = slow.receive("BAD\r\n\r\n")
        slow.now = 2_000
        XCTAssertEqual(slow.report(.deadlinePassed), .close)
    }

    func testConnectionCloseProbesForUnreadInputBeforeClosing() {
        let quiet = ScriptedConnection()
        XCTAssertEqual(quiet.receive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), .close)
        XCTAssertTrue(quiet.takeOutput().contains("Connection: close\r\n"))
        let chatty = ScriptedConnection()
        chatty.unreadInput = "GET /ignored HTTP/1.1\r\n"
        XCTAssertEqual(chatty.receive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), .shutdownOutput,
                       "input is waiting: a close now would reset the connection and lose the response")
        XCTAssertEqual(chatty.machine.state, .lingering)
        XCTAssertEqual(chatty.takeOutput().components(separatedBy: "HTTP/1.1 ").count, 2, "one response only")
    }

    func testContinueIsSentOnceBeforeTheBody() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"), .read)
        XCTAssertEqual(connection.takeOutput(), "HTTP/1.1 100 Continue\r\n\r\n")
        XCTAssertEqual(connection.receive("ab"), .read)
        XCTAssertEqual(connection.takeOutput(), "", "100 Continue only once")
        XCTAssertEqual(connection.receive("cd"), .read)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 200 OK\r\n"))
        // Not for a body that is already here.
        let eager = ScriptedConnection()
        _ = eager.receive("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab")
        XCTAssertTrue(eager.takeOutput().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    func testShutdownGivesIdleConnectionsALastCallThenLingersAndFinishesRequestsInFlight() {
        let idle = ScriptedConnection()
        _ = idle.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = idle.takeOutput()
        idle.now = 10_000
        XCTAssertEqual(idle.report(.shutdown), .read, "a last call: the client may be about to send")
        XCTAssertEqual(idle.probes, 1, "it looked for a request already in the socket")
        XCTAssertEqual(idle.machine.state, .awaitingRequest)
        XCTAssertEqual(idle.machine.deadline, 12_000, "the last call lasts the linger time")
        XCTAssertFalse(idle.socket.outputShutDown)
        XCTAssertEqual(idle.report(.shutdown), .keepWaiting, "a second shutdown changes nothing")
        idle.now = 12_000
        XCTAssertEqual(idle.report(.deadlinePassed), .shutdownOutput, "silent through the last call: FIN, so a crossing request meets no reset")
        XCTAssertTrue(idle.socket.outputShutDown)
        XCTAssertEqual(idle.machine.state, .lingering)
        XCTAssertEqual(idle.machine.deadline, 14_000, "lingering is bounded by the linger timeout")
        XCTAssertEqual(idle.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .read, "read and discarded")
        XCTAssertEqual(idle.takeOutput(), "")
        idle.now = 14_000
        XCTAssertEqual(idle.report(.deadlinePassed), .close)
        // A keep-alive client that sends its next request during the last call is answered, with
        // `Connection: close`, and the connection ends with a plain FIN.
        let next = ScriptedConnection()
        _ = next.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = next.takeOutput()
        XCTAssertEqual(next.report(.shutdown), .read)
        next.now = 1_500
        XCTAssertEqual(next.arrive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .close)
        let last = next.takeOutput()
        XCTAssertTrue(last.hasPrefix("HTTP/1.1 200 OK\r\n"), last)
        XCTAssertTrue(last.contains("Connection: close\r\n"), last)
        // Half a request during the last call: the head timeout answers it (408), not the last call.
        let slow = ScriptedConnection()
        _ = slow.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = slow.takeOutput()
        XCTAssertEqual(slow.report(.shutdown), .read)
        XCTAssertEqual(slow.arrive("GET / HTTP/1.1\r\n"), .read)
        XCTAssertEqual(slow.machine.deadline, 5_000, "the head timeout")
        let lingerEndsAtEOF = ScriptedConnection()
        _ = lingerEndsAtEOF.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(lingerEndsAtEOF.report(.shutdown), .read)
        XCTAssertEqual(lingerEndsAtEOF.report(.inputEnded), .close, "the client closed during the last call: nothing is owed")
        // Idle by our count, but the next request is already in the kernel: it is answered.
        let crossing = ScriptedConnection()
        _ = crossing.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = crossing.takeOutput()
        crossing.unreadInput = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
        XCTAssertEqual(crossing.report(.shutdown), .close, "answered, and nothing more is waiting: a plain FIN")
        let answered = crossing.takeOutput()
        XCTAssertTrue(answered.hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertTrue(answered.contains("Connection: close\r\n"))
        XCTAssertEqual(answered.components(separatedBy: "HTTP/1.1 200").count, 2, "one response; the pipelined rest is not owed")
        // A fresh connection (accepted from the backlog during shutdown) with no request yet.
        let fresh = ScriptedConnection()
        XCTAssertEqual(fresh.report(.shutdown), .read, "a last call for its request")
        XCTAssertEqual(fresh.machine.deadline, 2_000)
        let busy = ScriptedConnection()
        _ = busy.receive("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
        XCTAssertEqual(busy.report(.shutdown), .keepWaiting)
        XCTAssertEqual(busy.receive("cd"), .close)
        let response = busy.takeOutput()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        XCTAssertTrue(response.contains("Connection: close\r\n"), "no keep-alive while shutting down")
        // Output still on its way: closed once it is sent.
        let blocked = ScriptedConnection()
        blocked.socketAccepts = 0
        XCTAssertEqual(blocked.receive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), .waitForWritable)
        XCTAssertEqual(blocked.report(.shutdown), .keepWaiting)
        blocked.socketAccepts = Int.max
        XCTAssertEqual(blocked.report(.writable), .close)
    }

    func testMethodsGetTheirAnswerAndTheConnectionStaysOpen() {
        let connection = ScriptedConnection()
        let expected = [("OPTIONS", "204 No Content"), ("DELETE", "405 Method Not Allowed"), ("CONNECT", "405 Method Not Allowed"),
                        ("BREW", "501 Not Implemented"), ("HEAD", "200 OK")]
        for (method, status) in expected {
            XCTAssertEqual(connection.receive("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n"), .read, method)
            let output = connection.takeOutput()
            XCTAssertTrue(output.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(method): \(output)")
            XCTAssertEqual(output.contains("Allow: GET, HEAD, OPTIONS\r\n"), method != "HEAD", method)
        }
    }

    /// A pipelining client that never reads: responses per event are capped, and further
    /// requests wait while our output plus the socket's send queue exceeds the bound.
    func testPipelinedRequestsWaitWhileTheSendQueueIsOverTheBound() {
        let connection = ScriptedConnection()
        let request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        connection.sendQueue = 200 * 1024
        let action = connection.receive(String(repeating: request, count: 3000))
        XCTAssertEqual(action, .waitForWritable)
        let first = connection.takeOutput()
        XCTAssertGreaterThanOrEqual(first.utf8.count, ConnectionStateMachine.outputPerEvent)
        XCTAssertLessThan(first.utf8.count, ConnectionStateMachine.outputPerEvent + 200)
        XCTAssertTrue(connection.machine.inputAwaitsProcessing)
        XCTAssertEqual(connection.queueMeasurements, 1)
        // EPOLLOUT: the kernel's queue went down; the remaining requests are answered.
        connection.sendQueue = 0
        XCTAssertEqual(connection.report(.writable), .read)
        let rest = connection.takeOutput()
        XCTAssertEqual((first + rest).components(separatedBy: "HTTP/1.1 200 OK").count - 1, 3000)
        XCTAssertFalse(connection.machine.inputAwaitsProcessing)
    }

    func testOversizedHeadInTheConnectionBufferGets431() {
        let connection = ScriptedConnection()
        XCTAssertEqual(connection.receive("GET / HTTP/1.1\r\nX: y"), .read)
        XCTAssertTrue(connection.machine.hasBufferedInput)
        XCTAssertEqual(connection.report(.inputBufferFull), .shutdownOutput)
        XCTAssertTrue(connection.takeOutput().hasPrefix("HTTP/1.1 431 "))
    }
}
