import XCTest

/// Starts a fresh server (in-process, or `HELLOWEB_BINARY`) for each test.
class ServerTestCase: XCTestCase {
    var server: TestServer!
    /// Override for short timeouts.
    var headTimeout: Double { 5 }
    var idleTimeout: Double { 60 }
    var bodyTimeout: Double { 30 }

    override func setUpWithError() throws {
        server = try TestServer(headTimeout: headTimeout, idleTimeout: idleTimeout, bodyTimeout: bodyTimeout)
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    func connect() throws -> TestClient { try TestClient(port: server.port) }

    /// Asserts `response` is the Hello world answer.
    func assertHello(_ response: ReceivedResponse, isHead: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.statusLine, "HTTP/1.1 200 OK", file: file, line: line)
        XCTAssertEqual(response.header("Content-Length"), "12", file: file, line: line)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; charset=utf-8", file: file, line: line)
        XCTAssertNotNil(response.header("Date"), file: file, line: line)
        XCTAssertEqual(response.bodyText, isHead ? "" : "Hello world!", file: file, line: line)
    }
}
