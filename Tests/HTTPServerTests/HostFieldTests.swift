import XCTest
@testable import HTTPServer

/// The Host grammar (RFC 9112 §3.2, RFC 3986 §3.2.2), without sockets.
final class HostFieldTests: XCTestCase {
    private func valid(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBufferPointer { HostField.isValid($0) }
    }

    func testValidHosts() {
        for host in ["", "a", "localhost:8080", "example.com.", "127.0.0.1", "127.0.0.1:80", "a:", "xn--bcher-kva.example",
                     "a%41b", "sub-delims!$&'()*+;=", "[::1]", "[::1]:8080", "[::]", "[1:2:3:4:5:6:7:8]", "[1::]", "[::ffff:10.0.0.1]",
                     "[2001:db8::1]:443", "[v1.abc:def]", "[V7.x]", "999.999.999.999"] {  // a reg-name, as RFC 3986 reads it
            XCTAssertTrue(valid(host), host)
        }
    }

    func testInvalidHosts() {
        for host in ["a:b", "[::1", "a,b", "a:1:2", "::1", "[::1]x", "[::1]:x", "a b", "a/b", "a@b", "a%4", "a%zz", "%",
                     "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[12345::]", "[1:]", "[:1]", "[::1.2.3]", "[::01.2.3.4]", "[::256.1.1.1]",
                     "[v.x]", "[v1.]", "[v1x]", "[]", "a\u{0}b", "ä", "[::1]]", "a:1 "] {
            XCTAssertFalse(valid(host), host)
        }
    }

    /// Thousands of random byte strings: each is a verdict (no trap), and one the grammar agrees with
    /// for the characters that can never appear in a host.
    func testRandomBytesNeverTrapAndNeverAcceptForbiddenBytes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("[]:.%,@/ v0123456789abcdefABCDEF-_~!$&'()*+;=\u{0}\u{7F}é".utf8)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            let verdict = bytes.withUnsafeBufferPointer { HostField.isValid($0) }
            if bytes.contains(where: { [UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: " "), UInt8(ascii: ","), 0, 0x7F].contains($0) || $0 >= 0x80 }) {
                XCTAssertFalse(verdict, "\(bytes)")
            }
        }
    }
}
