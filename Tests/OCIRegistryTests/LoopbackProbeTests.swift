import TestSupport
import XCTest
@testable import OCIRegistry

/// The plain-HTTP probe of a loopback registry: only a registry's own answer to `/v2/` counts.
final class LoopbackProbeTests: XCTestCase {
    func testOnlyARegistrysAnswerCountsAsPlainHTTP() {
        for plain in ["HTTP/1.1 200 OK\r\n", "HTTP/1.1 401 Unauthorized\r\n", "HTTP/1.0 200 OK"] {
            XCTAssertTrue(LoopbackProbe.isRegistryAnswer(Array(plain.utf8)), plain)
        }
        // Go's and nginx's answer to plain HTTP on a TLS port, a TLS alert, nothing, a truncated line.
        let notPlain: [[UInt8]] = [Array("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.".utf8),
                                   Array("HTTP/1.1 400 The plain HTTP request was sent to HTTPS port".utf8),
                                   [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46], [], Array("HTTP/1.1 20".utf8)]
        for reply in notPlain { XCTAssertFalse(LoopbackProbe.isRegistryAnswer(reply), String(decoding: reply, as: UTF8.self)) }
    }

    func testARealRegistryIsFoundPlainOverHTTPAndNotOverTLS() throws {
        let plain = try LocalRegistry(testCase: self)
        let plainPort = try XCTUnwrap(Int(plain.host.split(separator: ":").last ?? ""))
        XCTAssertTrue(LoopbackProbe.answersPlainHTTP(host: "127.0.0.1", port: plainPort, hostHeader: plain.host))

        let tls = try LocalRegistry(testCase: self, tls: try TestCA(testCase: self))
        let tlsPort = try XCTUnwrap(Int(tls.host.split(separator: ":").last ?? ""))
        XCTAssertFalse(LoopbackProbe.answersPlainHTTP(host: "127.0.0.1", port: tlsPort, hostHeader: tls.host),
                       "docker-registry over TLS answers plain HTTP with a 400: not a plain registry")
        let closed = try freeLoopbackPort()
        XCTAssertFalse(LoopbackProbe.answersPlainHTTP(host: "127.0.0.1", port: closed, hostHeader: "127.0.0.1:\(closed)"), "nothing listens")
    }
}
