import XCTest

/// What every request gets back: exact bytes, any method, any path, HEAD.
final class ResponseTests: ServerTestCase {
    func testGetReturnsExactBytes() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        let text = String(decoding: response.raw, as: UTF8.self)
        let prefix = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: text/plain; charset=utf-8\r\nDate: "
        XCTAssertTrue(text.hasPrefix(prefix), text)
        XCTAssertTrue(text.hasSuffix(" GMT\r\n\r\nHello world!"), text)
        XCTAssertEqual(response.raw.count, prefix.utf8.count + 29 + 4 + 12, "exactly the four headers: \(text)")
        let date = try XCTUnwrap(response.header("Date"))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let parsed = try XCTUnwrap(formatter.date(from: date), "Date is not IMF-fixdate: \(date)")
        XCTAssertLessThan(abs(parsed.timeIntervalSinceNow), 3, "Date \(date) is not now")
        XCTAssertEqual(formatter.string(from: parsed), date)
    }

    func testAnyPathGetsHello() throws {
        let client = try connect()
        for path in ["/", "/some/deep/path?query=1&x=%20", "http://example.com/absolute-form", "/x"] {
            try client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assertHello(try client.readResponse())
        }
    }

    func testHeadHasSameHeadersWithoutBody() throws {
        let client = try connect()
        try client.send("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let head = try client.readResponse(isHead: true)
        assertHello(head, isHead: true)
        // The next response must start right after the head: no body bytes were sent.
        try client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let get = try client.readResponse()
        assertHello(get)
        XCTAssertEqual(head.headers.map { $0.name }, get.headers.map { $0.name })
        XCTAssertTrue(client.unreadBytes.isEmpty)
    }

    func testDateIsTheSameFormatAcrossSeconds() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let first = try XCTUnwrap(try client.readResponse().header("Date"))
        Thread.sleep(forTimeInterval: 1.1)
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        let second = try XCTUnwrap(try client.readResponse().header("Date"))
        XCTAssertNotEqual(first, second, "the cached Date must be refreshed every second")
        XCTAssertEqual(first.count, 29)
        XCTAssertEqual(second.count, 29)
    }
}
