import XCTest
import HTTPServer

/// The pure parser, byte by byte, without sockets.
final class RequestParserTests: XCTestCase {
    /// Feeds `input` in pieces of `step` bytes the way a connection does (re-presenting
    /// unconsumed bytes) and collects the results.
    private func parseAll(_ text: String, step: Int = Int.max, limits: RequestLimits = RequestLimits()) -> [ParseResult] {
        var parser = RequestParser(limits: limits)
        let input = Array(text.utf8)
        var pending: [UInt8] = []
        var results: [ParseResult] = []
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + step)
            pending += input[offset..<end]
            offset = end
            parsing: while true {
                let result = pending.withUnsafeBytes { parser.parse($0) }
                switch result {
                case .needMore(let consumed):
                    pending.removeFirst(consumed)
                    break parsing
                case .complete(_, let consumed):
                    pending.removeFirst(consumed)
                    results.append(result)
                    if pending.isEmpty { break parsing }
                case .failure:
                    results.append(result)
                    return results
                }
            }
        }
        return results
    }

    private func heads(_ results: [ParseResult]) -> [RequestHead] {
        results.compactMap { if case .complete(let head, _) = $0 { return head } else { return nil } }
    }

    func testSimpleGet() {
        let results = parseAll("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(results, [.complete(RequestHead(method: .get, minorVersion: 1, keepAlive: true, expectsContinue: false, framing: .none), consumed: 27)])
    }

    func testFramingAndFlagsAreReported() {
        let found = heads(parseAll(
            "HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" +
            "POST / HTTP/1.1\r\nhost: a\r\ncontent-LENGTH: 3\r\n\r\nabc" +
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nExpect: 100-continue\r\n\r\n1\r\nx\r\n0\r\n\r\n" +
            "GET / HTTP/1.0\r\n\r\n"))
        XCTAssertEqual(found.count, 4)
        XCTAssertEqual(found[0], RequestHead(method: .head, minorVersion: 1, keepAlive: false, expectsContinue: false, framing: .none))
        XCTAssertEqual(found[1].framing, .contentLength(3))
        XCTAssertEqual(found[2].framing, .chunked)
        XCTAssertTrue(found[2].expectsContinue)
        XCTAssertEqual(found[3].minorVersion, 0)
        XCTAssertFalse(found[3].keepAlive)
    }

    func testEverySplitGivesTheSameResult() {
        let text = "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\nT: 1\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\nContent-Length: 2\r\n\r\nxy"
        let whole = parseAll(text)
        XCTAssertEqual(heads(whole).count, 2)
        for step in 1..<20 {
            XCTAssertEqual(heads(parseAll(text, step: step)), heads(whole), "step \(step)")
        }
    }

    /// A bare LF ends no line (a front end splitting only on CRLF would see another request).
    func testBareLineFeedsAreRejected() {
        for text in ["GET / HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.1\r\nHost: a\n\r\n",
                     "GET / HTTP/1.1\r\nX: y\nTransfer-Encoding: chunked\r\nHost: a\r\n\r\n", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
                     "GET / HTTP/1.1\r\nHost: a\r\n\n"] {
            XCTAssertEqual(parseAll(text).last, .failure(.badRequest), text.debugDescription)
            XCTAssertEqual(parseAll(text, step: 1).last, .failure(.badRequest), text.debugDescription)
        }
    }

    func testMethodsAreClassified() {
        let cases: [(String, RequestMethod)] = [
            ("GET", .get), ("HEAD", .head), ("OPTIONS", .options), ("POST", .notAllowed), ("PUT", .notAllowed),
            ("DELETE", .notAllowed), ("PATCH", .notAllowed), ("CONNECT", .notAllowed), ("TRACE", .notAllowed),
            ("FOO", .unknown), ("get", .unknown), (String(repeating: "M", count: 8000), .unknown),
        ]
        for (method, expected) in cases {
            XCTAssertEqual(heads(parseAll("\(method) / HTTP/1.1\r\nHost: a\r\n\r\n")).first?.method, expected, String(method.prefix(20)))
        }
    }

    func testLeadingEmptyLinesAreBoundedAndNotABoundary() {
        XCTAssertEqual(heads(parseAll("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")).count, 1)
        XCTAssertEqual(parseAll(String(repeating: "\r\n", count: 5) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n", step: 2).last, .failure(.badRequest))
        var parser = RequestParser()
        let crlf = Array("\r\n".utf8)
        XCTAssertEqual(crlf.withUnsafeBytes { parser.parse($0) }, .needMore(consumed: 2))
        XCTAssertFalse(parser.isAtRequestBoundary, "an empty line starts the next request's head timeout")
    }

    func testBodySizeLimit() {
        let limits = RequestLimits(bodyBytes: 10)
        XCTAssertEqual(parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits).last, .failure(.contentTooLarge))
        XCTAssertEqual(heads(parseAll("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)).count, 1)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        XCTAssertEqual(heads(parseAll(chunked + "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", limits: limits)).count, 1)
        XCTAssertEqual(parseAll(chunked + "5\r\nhello\r\n6\r\n", limits: limits).last, .failure(.contentTooLarge))
    }

    func testStrictChunkFraming() {
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        XCTAssertEqual(parseAll(chunked + "5 \r\nhello\r\n0\r\n\r\n").last, .failure(.badRequest))
        XCTAssertEqual(parseAll(chunked + "0\r\nNoColon\r\n\r\n").last, .failure(.badRequest))
        XCTAssertEqual(parseAll(chunked + "0\r\nName : x\r\n\r\n").last, .failure(.badRequest))
        XCTAssertEqual(heads(parseAll(chunked + "5 ;a=b\r\nhello\r\n0\r\nT: 1\r\nU:\r\n\r\n")).count, 1)
    }

    func testHigherMinorVersionIsTreatedAsHTTP11() {
        XCTAssertEqual(heads(parseAll("GET / HTTP/1.7\r\nHost: a\r\n\r\n")).first?.minorVersion, 1)
    }

    func testFailures() {
        XCTAssertEqual(parseAll("GET / HTTP/1.1\r\n\r\n").last, .failure(.badRequest))
        XCTAssertEqual(parseAll("GET / HTTP/2.0\r\n\r\n").last, .failure(.versionNotSupported))
        XCTAssertEqual(parseAll("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n").last, .failure(.notImplemented))
        let limits = RequestLimits(requestLineBytes: 32, headerSectionBytes: 64, headerFieldCount: 3)
        XCTAssertEqual(parseAll("GET /\(String(repeating: "a", count: 40)) HTTP/1.1\r\n", limits: limits).last, .failure(.uriTooLong))
        XCTAssertEqual(parseAll("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits).last, .failure(.headerFieldsTooLarge))
        XCTAssertEqual(parseAll("GET / HTTP/1.1\r\nHost: \(String(repeating: "h", count: 80))\r\n\r\n", limits: limits).last, .failure(.headerFieldsTooLarge))
    }

    func testBodyBytesAreConsumedAsTheyArrive() {
        var parser = RequestParser()
        let head = Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345".utf8)
        XCTAssertEqual(head.withUnsafeBytes { parser.parse($0) }, .needMore(consumed: head.count))
        XCTAssertTrue(parser.isReadingBody)
        let rest = Array("67890GET".utf8)
        guard case .complete(_, let consumed) = rest.withUnsafeBytes({ parser.parse($0) }) else { return XCTFail() }
        XCTAssertEqual(consumed, 5)
        XCTAssertTrue(parser.isAtRequestBoundary)
    }
}

/// The RFC edges of issue 22, pure.
final class RequestParserEdgeTests: XCTestCase {
    private func parse(_ text: String) -> ParseResult {
        var parser = RequestParser()
        return Array(text.utf8).withUnsafeBytes { parser.parse($0) }
    }

    private func isFailure(_ result: ParseResult) -> Bool {
        if case .failure(.badRequest) = result { return true }
        return false
    }

    func testLeadingZerosAreDigitsAndOverflowIsStillRefused() {
        guard case .complete(let head, _) = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 000000000000000000000007\r\n\r\n1234567") else {
            return XCTFail("leading zeros refused")
        }
        XCTAssertEqual(head.framing, .contentLength(7))
        XCTAssertTrue(isFailure(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n")), "19 significant digits")
        guard case .complete = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000000003\r\nabc\r\n0\r\n\r\n") else {
            return XCTFail("leading zeros in a chunk size refused")
        }
        XCTAssertTrue(isFailure(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: "0", count: 65) + "1\r\n")),
                      "a chunk-size line of 66 digits")
        XCTAssertTrue(isFailure(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n")), "16 significant hex digits")
    }

    func testChunkExtensionBytesAreBoundedPerRequest() {
        let chunk = "1;" + String(repeating: "e", count: 4000) + "\r\nx\r\n"
        let four = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: chunk, count: 4) + "0\r\n\r\n"
        guard case .complete = parse(four) else { return XCTFail("16,004 extension bytes... four lines of 4001 are within 16 KiB") }
        let five = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + String(repeating: chunk, count: 5)
        XCTAssertTrue(isFailure(parse(five)))
    }

    func testAFailedHeadRequestIsKnownAsHead() {
        var parser = RequestParser()
        _ = Array("HEAD / HTTP/1.1\r\nHost: a:b\r\n\r\n".utf8).withUnsafeBytes { parser.parse($0) }
        XCTAssertTrue(parser.failedRequestIsHead)
        var body = RequestParser()
        _ = Array("HEAD / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8).withUnsafeBytes { body.parse($0) }
        XCTAssertTrue(body.failedRequestIsHead)
        var get = RequestParser()
        _ = Array("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n".utf8).withUnsafeBytes { get.parse($0) }
        XCTAssertFalse(get.failedRequestIsHead)
    }
}
