import XCTest

/// What each method gets (RFC 9110 §9): GET and HEAD the response, OPTIONS the allowed
/// methods, other standard methods 405, unknown ones 501. The connection stays usable: a
/// refused request's body is still framed and discarded.
final class MethodTests: ServerTestCase {
    func testEachMethodGetsItsStatusAndAllow() throws {
        let client = try connect()
        let cases: [(String, Int)] = [
            ("GET", 200), ("HEAD", 200), ("OPTIONS", 204), ("POST", 405), ("PUT", 405), ("DELETE", 405),
            ("PATCH", 405), ("TRACE", 405), ("FOO", 501), ("BREW", 501), ("get", 501),
            (String(repeating: "M", count: 8000), 501),
        ]
        for (method, status) in cases {
            let target = method == "CONNECT" ? "example.com:443" : "/"
            try client.send("\(method) \(target) HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse(isHead: method == "HEAD")
            let name = String(method.prefix(12))
            XCTAssertEqual(response.status, status, name)
            XCTAssertNil(response.header("Connection"), "\(name): the connection stays open")
            if status == 200 {
                XCTAssertNil(response.header("Allow"), name)
            } else {
                XCTAssertEqual(response.header("Allow"), "GET, HEAD, OPTIONS", name)
            }
            if status == 204 {
                XCTAssertNil(response.header("Content-Length"), "204 has no body and no Content-Length")
            }
        }
        XCTAssertTrue(client.unreadBytes.isEmpty)
    }

    /// A 2xx to CONNECT would mean "tunnel established".
    func testConnectIsNotAllowed() throws {
        let client = try connect()
        try client.send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.header("Allow"), "GET, HEAD, OPTIONS")
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
    }

    /// The body of a refused request is framed and skipped: what follows it is the next request.
    func testRefusedRequestBodiesAreFramedBeforeTheNextRequest() throws {
        let client = try connect()
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n\(smuggled)")
        try client.send("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\(String(smuggled.utf8.count, radix: 16))\r\n\(smuggled)\r\n0\r\n\r\n")
        try client.send("FOO / HTTP/1.1\r\nHost: a\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n\(smuggled)")
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 405)
        XCTAssertEqual(try client.readResponse().status, 405)
        XCTAssertEqual(try client.readResponse().status, 501)
        assertHello(try client.readResponse())
        XCTAssertFalse(client.isReadable(within: 0.2), "no answer to a request hidden in a body")
    }
}
