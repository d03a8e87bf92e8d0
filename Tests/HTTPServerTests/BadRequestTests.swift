import XCTest

/// Every kind of invalid input gets its status, `Connection: close`, and then the
/// connection is closed cleanly (EOF, not a reset).
final class BadRequestTests: ServerTestCase {
    private func assertRejected(_ request: [UInt8], status: Int, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try connect()
        try client.send(request)
        let response: ReceivedResponse
        do {
            response = try client.readResponse()
        } catch {
            XCTFail("\(message): no response: \(error)", file: file, line: line)
            return
        }
        XCTAssertEqual(response.status, status, "\(message): \(response.statusLine)", file: file, line: line)
        XCTAssertEqual(response.header("Connection"), "close", message, file: file, line: line)
        XCTAssertTrue(client.waitForClose(), "\(message): connection not closed cleanly", file: file, line: line)
    }

    private func assertRejected(_ request: String, status: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRejected(Array(request.utf8), status: status, request.debugDescription, file: file, line: line)
    }

    func testMalformedRequestLines() throws {
        for request in [
            "GET /\r\n\r\n",
            "GET\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
            " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
            "GET / HTTP/1\r\nHost: a\r\n\r\n",
            "GET / http/1.1\r\nHost: a\r\n\r\n",
            "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n",
            "\r\r\n",
        ] {
            try assertRejected(request, status: 400)
        }
    }

    func testControlBytesInTargetOrHeader() throws {
        try assertRejected(Array("GET /\u{0}x HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400, "NUL in target")
        try assertRejected(Array("GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n".utf8), status: 400, "DEL in target")
        try assertRejected(Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{1}c\r\n\r\n".utf8), status: 400, "control byte in value")
        try assertRejected(Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{0}c\r\n\r\n".utf8), status: 400, "NUL in value")
        try assertRejected(Array("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n".utf8), status: 400, "bare CR in value")
        try assertRejected(Array("GET / HTTP/1.1\r\nHost: a\r\nX\u{1}A: b\r\n\r\n".utf8), status: 400, "control byte in name")
    }

    func testMalformedHeaderFields() throws {
        try assertRejected("GET / HTTP/1.1\r\nHost : a\r\n\r\n", status: 400)                 // whitespace before colon
        try assertRejected("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", status: 400)
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n", status: 400)  // obs-fold
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tfolded\r\n\r\n", status: 400)
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", status: 400)
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\n: empty-name\r\n\r\n", status: 400)
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nBad(Name): x\r\n\r\n", status: 400)
    }

    func testHostRules() throws {
        try assertRejected("GET / HTTP/1.1\r\n\r\n", status: 400)                               // HTTP/1.1 needs Host
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400)         // more than one
        try assertRejected("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", status: 400)                // invalid value
        try assertRejected("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400)
        let client = try connect()
        for host in ["example.com:8080", "[::1]:80", "127.0.0.1", "xn--bcher-kva.example", ""] {
            try client.send("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            assertHello(try client.readResponse())
        }
    }

    /// RFC 9112 §3.2: a server MUST answer 400 to an invalid Host (`uri-host [ ":" port ]`).
    func testInvalidHostSyntaxIsRefused() throws {
        for host in ["a:b", "[::1", "a,b", "a:1:2", "[::1]x", "[zz]", "a%2", "a%zz", "[::1]:8o", "a b:1", "a@b", "[1:2:3:4:5:6:7:8:9]"] {
            try assertRejected("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n", status: 400)
        }
        let client = try connect()
        for host in ["a:", "[v1.x:y]", "[::ffff:127.0.0.1]:443", "a%41b", "example.com.", "localhost:8080", "[2001:db8::1]"] {
            try client.send("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")
            assertHello(try client.readResponse())
        }
    }

    /// Chunk extensions are bounded per line (4096) and per request (16 KiB): 1000 one-byte chunks
    /// with 4000-byte extensions each are refused after the fifth, not read for 4 MB.
    func testChunkExtensionsAreBoundedPerRequest() throws {
        let extensionText = ";" + String(repeating: "e", count: 3999)
        let chunk = "1\(extensionText)\r\nx\r\n"
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        var sent = 0
        for _ in 0..<1000 {
            do { try client.send(chunk) } catch { break }  // the server may close while we still send
            sent += 1
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.header("Connection"), "close")
        // Four lines of extensions fit the 16 KiB budget; a request just under it is served.
        let fine = try connect()
        try fine.send("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: chunk, count: 4) + "0\r\n\r\n")
        assertHello(try fine.readResponse())
    }

    /// RFC 9110 §9.3.2: a response to HEAD has no body, an error response too (same head).
    func testErrorResponsesToHeadHaveNoBody() throws {
        for request in ["HEAD / HTTP/1.1\r\nHost: a:b\r\n\r\n", "HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
                        "HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"] {
            let client = try connect()
            try client.send(request)
            let response = try client.readResponse(isHead: true)
            XCTAssertEqual(response.status, 400, request.debugDescription)
            XCTAssertEqual(response.header("Content-Length"), "12", "the head is a GET's: \(request.debugDescription)")
            XCTAssertTrue(client.waitForClose(), request.debugDescription)
            XCTAssertEqual(client.unreadBytes, [], "no body bytes after the head: \(request.debugDescription)")
        }
        // The same error to GET keeps its body.
        let get = try connect()
        try get.send("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n")
        XCTAssertEqual(try get.readResponse().bodyText, "Bad Request\n")
    }

    /// `1*DIGIT` / `1*HEXDIG`: leading zeros are valid; overflow still is not.
    func testLeadingZerosInLengthsAreAccepted() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \(String(repeating: "0", count: 40))5\r\n\r\nhello")
        assertHello(try client.readResponse())
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(String(repeating: "0", count: 40))5\r\nhello\r\n000\r\n\r\n")
        assertHello(try client.readResponse())
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0001234567890123456789\r\n\r\n", status: 400)
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0001000000000000000\r\n", status: 400)
    }

    func testBodyFramingConflictsAndInvalidLengths() throws {
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", status: 400)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", status: 400)
        for value in ["abc", "-1", "+5", "5, 5", "", "1 2", "0x10", "99999999999999999999"] {
            try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n", status: 400)
        }
        try assertRejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)  // TE in 1.0
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", status: 400)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", status: 400)
    }

    func testBadChunkedEncoding() throws {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        for body in ["zz\r\n", "\r\n", "-1\r\n", "FFFFFFFFFFFFFFFFFF\r\n", "3\r\nabcX\r\n", "3\r\nabc\rX", "3\rX", "0\r\nBad Trailer\u{1}\r\n\r\n", "0\r\n folded: x\r\n\r\n", "0\r\nT: a\rb\r\n\r\n",
                     // CRLF only in the chunked framing, and only `;` after whitespace behind the size:
                     "3\nabc\r\n0\r\n\r\n", "3\r\nabc\n0\r\n\r\n", "0\r\nT: a\n\r\n", "0\n\n",
                     "5 garbage\r\nhello\r\n0\r\n\r\n", "3;ext\nabc\r\n0\r\n\r\n"] {
            try assertRejected(Array((head + body).utf8), status: 400, "chunked body \(body.debugDescription)")
        }
    }

    /// A bare LF ends no line anywhere in the head (with CRLF elsewhere, `X: y\nTransfer-Encoding:
    /// chunked` would apply a TE that a front end splitting on CRLF does not see).
    func testBareLineFeedInTheHead() throws {
        for request in ["GET / HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.1\r\nHost: a\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                        "GET / HTTP/1.1\r\nHost: a\r\n\n", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\nb\r\n\r\n"] {
            try assertRejected(request, status: 400)
        }
    }

    /// Chunk framing is as strict as the head: no whitespace after a size without an
    /// extension, no trailer line without a colon.
    func testLenientChunkFramingIsRejected() throws {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        try assertRejected(head + "5 \r\nhello\r\n0\r\n\r\n", status: 400)
        try assertRejected(head + "5\t\r\nhello\r\n0\r\n\r\n", status: 400)
        try assertRejected(head + "0\r\nNoColonTrailer\r\n\r\n", status: 400)
        try assertRejected(head + "0\r\nName : value\r\n\r\n", status: 400)
    }

    func testTooManyEmptyLinesBeforeARequest() throws {
        try assertRejected(String(repeating: "\r\n", count: 5) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400)
        let client = try connect()
        try client.send(String(repeating: "\r\n", count: 4) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
    }

    /// A body over the limit (1 MiB by default) gets `413` as soon as its size is known.
    func testBodyOverTheLimitGetsContentTooLarge() throws {
        let size = 2 * 1024 * 1024
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(size)\r\n\r\n", status: 413)
        // The client sends the whole 2 MiB body anyway: it still reads the 413, then an orderly close.
        let client = try connect()
        try client.send("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: \(size)\r\n\r\n")
        let chunk = [UInt8](repeating: 0x78, count: 64 * 1024)
        for _ in 0..<(size / chunk.count) { try? client.send(chunk) }
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(response.bodyText, "Content Too Large\n")
        XCTAssertTrue(client.waitForClose(timeout: 4))
        // Chunked: the sizes add up past the limit.
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        try assertRejected(chunked + "80000\r\n" + String(repeating: "x", count: 0x80000) + "\r\n80001\r\n", status: 413)
        // Exactly the limit is fine.
        let fine = try connect()
        try fine.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \(1024 * 1024)\r\n\r\n")
        for _ in 0..<16 { try fine.send(chunk) }
        assertHello(try fine.readResponse())
    }

    func testUnknownTransferCodingIsNotImplemented() throws {
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x\r\n\r\n", status: 501)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked foo\r\n\r\n", status: 501)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", status: 501)
        try assertRejected("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", status: 501)
    }

    func testUnsupportedVersions() throws {
        try assertRejected("GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505)
        try assertRejected("GET / HTTP/0.9\r\n\r\n", status: 505)
        try assertRejected("GET / HTTP/3.0\r\nHost: a\r\n\r\n", status: 505)
    }

    func testRequestLineTooLong() throws {
        let target = "/" + String(repeating: "a", count: 9000)
        try assertRejected("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n", status: 414)
        // Also when the line never ends.
        try assertRejected("GET \(target)", status: 414)
        // Just under the limit is fine.
        let client = try connect()
        try client.send("GET /\(String(repeating: "b", count: 8000)) HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
    }

    func testHeaderSectionTooLarge() throws {
        let big = (0..<20).map { "X-Field-\($0): \(String(repeating: "v", count: 1000))\r\n" }.joined()
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\n\(big)\r\n", status: 431)
        let never = (0..<20).map { "X-Field-\($0): \(String(repeating: "v", count: 1000))\r\n" }.joined()
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\n\(never)", status: 431)  // no end of head in sight
        let many = (0..<101).map { "X-\($0): 1\r\n" }.joined()
        try assertRejected("GET / HTTP/1.1\r\nHost: a\r\n\(many)\r\n", status: 431)
        // 99 fields plus Host is still fine.
        let client = try connect()
        let allowed = (0..<99).map { "X-\($0): 1\r\n" }.joined()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\(allowed)\r\n")
        assertHello(try client.readResponse())
    }

    /// The client keeps sending after its bad request: the lingering close must still let
    /// it read the error response instead of a connection reset.
    func testErrorResponseSurvivesClientStillSending() throws {
        let client = try connect()
        try client.send("POST / HTTP/1.1\r\nHost : bad\r\nContent-Length: 1000000\r\n\r\n")
        let filler = [UInt8](repeating: 0x41, count: 16 * 1024)
        for _ in 0..<8 { try? client.send(filler) }
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(response.bodyText, "Bad Request\n")
        XCTAssertTrue(client.waitForClose(), "FIN after the response, not a reset")
    }

    func testValidRequestAfterBadOneOnNewConnectionWorks() throws {
        try assertRejected("GET / HTTP/1.1\r\n\r\n", status: 400)
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
    }
}
