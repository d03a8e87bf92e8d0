import XCTest

/// Persistent connections, pipelining, HTTP/1.0 and `Connection: close` (RFC 9112 §9).
final class ConnectionTests: ServerTestCase {
    func testKeepAliveServesManyRequestsOnOneConnection() throws {
        let client = try connect()
        for _ in 0..<200 {
            try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            assertHello(response)
            XCTAssertNil(response.header("Connection"))
        }
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let client = try connect()
        var batch = ""
        var methods: [Bool] = []
        for index in 0..<100 {
            let isHead = index % 3 == 1
            methods.append(isHead)
            batch += "\(isHead ? "HEAD" : "GET") /\(index) HTTP/1.1\r\nHost: a\r\n\r\n"
        }
        try client.send(batch)
        for isHead in methods {
            assertHello(try client.readResponse(isHead: isHead), isHead: isHead)
        }
        XCTAssertTrue(client.unreadBytes.isEmpty)
    }

    /// A pipeline of a plain request, a Content-Length body and a chunked body with trailers
    /// (refused with 405, bodies framed and skipped), split into two writes at every byte position.
    func testPipelineSplitAtEveryByteBoundary() throws {
        let pipeline = Array((
            "GET /one HTTP/1.1\r\nHost: a\r\n\r\n" +
            "POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello=world" +
            "PUT /three HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n" +
            "HEAD /four HTTP/1.1\r\nHost: a\r\n\r\n"
        ).utf8)
        for split in 1..<pipeline.count {
            let client = try connect()
            try client.send(Array(pipeline[0..<split]))
            usleep(300)
            try client.send(Array(pipeline[split...]))
            assertHello(try client.readResponse())
            XCTAssertEqual(try client.readResponse().status, 405, "split at \(split)")
            XCTAssertEqual(try client.readResponse().status, 405, "split at \(split)")
            assertHello(try client.readResponse(isHead: true), isHead: true)
        }
    }

    /// A client that sends far more pipelined requests than the socket buffers hold before
    /// reading: the server must stop reading while its output is backed up (EPOLLOUT), then
    /// answer every request in order.
    func testBackpressureWithAHugePipeline() throws {
        let client = try connect()
        client.setTimeout(10)
        let count = 30_000
        let request = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        var pipeline: [UInt8] = []
        for _ in 0..<count { pipeline += request }
        let all = pipeline
        let fd = client.fd
        let sender = Thread {
            var offset = 0
            while offset < all.count {
                let sent = all.withUnsafeBytes { send(fd, $0.baseAddress! + offset, min(65536, all.count - offset), Int32(MSG_NOSIGNAL)) }
                if sent <= 0 { return }
                offset += sent
            }
        }
        sender.start()
        Thread.sleep(forTimeInterval: 0.3)  // let the buffers fill up before reading
        for _ in 0..<count {
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
        }
    }

    /// A client that pipelines tiny requests and never reads: the server stops reading once
    /// its unsent responses pass the bound (128 KiB), so the kernel's send queue for the
    /// connection (`tx_queue` in /proc/net/tcp) stays under it, instead of growing to megabytes.
    func testSendQueueOfAClientThatNeverReadsStaysBounded() throws {
        let client = try connect()
        let clientPort = try localPort(of: client.fd)
        let request = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        var batch: [UInt8] = []
        for _ in 0..<2000 { batch += request }
        var largest = 0
        var sentBytes = 0
        let start = Date()
        while Date().timeIntervalSince(start) < 4.5 {  // within the 5 s write timeout
            for _ in 0..<50 {
                let sent = batch.withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                if sent <= 0 { break }
                sentBytes += sent
            }
            guard let queue = try sendQueue(serverPort: server.port, clientPort: clientPort) else {
                XCTFail("no row for the connection in /proc/net/tcp")
                break
            }
            largest = max(largest, queue)
            usleep(100_000)
        }
        XCTAssertGreaterThan(sentBytes, 1_000_000, "the client must have pipelined a lot (sent \(sentBytes) bytes)")
        XCTAssertGreaterThan(largest, 0, "the server must have answered into the queue (else the test shows nothing)")
        XCTAssertLessThanOrEqual(largest, 128 * 1024, "server send queue reached \(largest) bytes")
        // Other clients are served meanwhile.
        let other = try connect()
        try other.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try other.readResponse())
    }

    private func localPort(of fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw ClientError(description: "getsockname: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `tx_queue` of the server's socket for the connection from `clientPort`, from /proc/net/tcp.
    private func sendQueue(serverPort: Int, clientPort: Int) throws -> Int? {
        // Read to the end: procfs reports size 0, and the table may be long.
        guard let handle = FileHandle(forReadingAtPath: "/proc/net/tcp") else { throw ClientError(description: "cannot open /proc/net/tcp") }
        defer { try? handle.close() }
        let table = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        let local = String(format: ":%04X", serverPort), remote = String(format: ":%04X", clientPort)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1].hasSuffix(local), fields[2].hasSuffix(remote) else { continue }
            return Int(fields[4].split(separator: ":")[0], radix: 16)
        }
        return nil
    }

    func testRequestSentOneByteAtATime() throws {
        let client = try connect()
        let request = Array("POST /slow HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        for byte in request {
            try client.send([byte])
            usleep(200)
        }
        XCTAssertEqual(try client.readResponse().status, 405)
        assertHello(try client.readResponse())
    }

    func testHTTP10ClosesByDefault() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        assertHello(response)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose())
    }

    func testHTTP10KeepAliveStaysOpen() throws {
        let client = try connect()
        for _ in 0..<3 {
            try client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try client.readResponse()
            assertHello(response)
            XCTAssertEqual(response.header("Connection"), "keep-alive")
        }
    }

    func testConnectionCloseIsHonouredAndLaterPipelinedRequestsIgnored() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n")
        let response = try client.readResponse()
        assertHello(response)
        XCTAssertEqual(response.header("Connection"), "close")
        XCTAssertTrue(client.waitForClose())
        XCTAssertTrue(client.unreadBytes.isEmpty, "no response to the request after Connection: close")
    }

    func testConnectionHeaderTokensAreCaseInsensitiveLists() throws {
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n")
        XCTAssertEqual(try client.readResponse().header("Connection"), "close")
        XCTAssertTrue(client.waitForClose())
    }

    func testContentLengthBodyIsDiscarded() throws {
        let client = try connect()
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 405)
        assertHello(try client.readResponse())
    }

    func testLargeBodyAcrossManyReads() throws {
        let client = try connect()
        let size = 1024 * 1024  // the largest body allowed by default
        try client.send("GET /upload HTTP/1.1\r\nHost: a\r\nContent-Length: \(size)\r\n\r\n")
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        for _ in 0..<(size / chunk.count) { try client.send(chunk) }
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
        assertHello(try client.readResponse())
    }

    func testChunkedBodyWithExtensionsAndTrailersIsDiscarded() throws {
        let client = try connect()
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        "a;name=value;other\r\n0123456789\r\n1F\r\n" + String(repeating: "y", count: 31) + "\r\n" +
                        "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n" +
                        "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 405)
        assertHello(try client.readResponse())
    }

    func testExpectContinueGetsInterimResponse() throws {
        let client = try connect()
        try client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        XCTAssertEqual(interim.statusLine, "HTTP/1.1 100 Continue")
        try client.send("hello")
        XCTAssertEqual(try client.readResponse().status, 405)
    }

    func testLeadingEmptyLinesAreIgnored() throws {
        let client = try connect()
        try client.send("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
    }

    func testClientResetMidResponseDoesNotHurtTheServer() throws {
        for _ in 0..<20 {
            let client = try connect()
            var linger = linger(l_onoff: 1, l_linger: 0)
            var batch = ""
            for _ in 0..<500 { batch += "GET / HTTP/1.1\r\nHost: a\r\n\r\n" }
            try client.send(batch)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
            // deinit closes with SO_LINGER 0: the server sees a reset while writing.
        }
        let client = try connect()
        try client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        assertHello(try client.readResponse())
    }
}
