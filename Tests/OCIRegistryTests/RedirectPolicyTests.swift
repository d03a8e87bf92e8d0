import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// The redirect and origin rules as pure decisions, without a server.
final class RedirectPolicyTests: XCTestCase {
    func response(_ status: Int, _ location: String?, url: String) -> HTTPResponse {
        HTTPResponse(url: URL(string: url)!, status: status, headers: location.map { [("Location", $0)] } ?? [], body: Data())
    }

    func testOriginsCompareSchemeHostAndPortIncludingIPv6() {
        let origin = Origin(URL(string: "https://[::1]:5000/v2/")!)
        XCTAssertEqual(origin?.host, "::1")
        XCTAssertEqual(origin?.port, 5000)
        XCTAssertEqual(origin?.description, "https://[::1]:5000")
        XCTAssertEqual(Origin(URL(string: "https://Registry.Example.com/v2/")!), Origin(URL(string: "https://registry.example.com:443/x")!))
        XCTAssertNotEqual(Origin(URL(string: "https://r.example.com/")!), Origin(URL(string: "http://r.example.com/")!))
        XCTAssertNotEqual(Origin(URL(string: "https://r.example.com/")!), Origin(URL(string: "https://r.example.com:8443/")!))
        XCTAssertNil(Origin(URL(string: "file:///etc/passwd")!))
        XCTAssertEqual(RegistryClient.hostDescription(URL(string: "http://[::1]:5000/v2/")!), "[::1]:5000")
    }

    func testRelativeLocationKeepsMethodAndBody303BecomesGET() throws {
        let put = HTTPRequest("PUT", URL(string: "https://r.example.com/v2/a/blobs/uploads/1?x=1")!, headers: [("Content-Type", "application/octet-stream")], body: Data([1, 2]))
        var policy = RedirectPolicy(start: put.url)
        let next = try XCTUnwrap(try policy.next(after: response(307, "/elsewhere/1", url: put.url.absoluteString), of: put))
        XCTAssertEqual(next.url.absoluteString, "https://r.example.com/elsewhere/1")
        XCTAssertEqual(next.method, "PUT")
        XCTAssertEqual(next.body, .data(Data([1, 2])))
        let seeOther = try XCTUnwrap(try policy.next(after: response(303, "https://cdn.example.com/b", url: next.url.absoluteString), of: next))
        XCTAssertEqual(seeOther.method, "GET")
        XCTAssertNil(seeOther.body)
        XCTAssertNil(seeOther.header("Content-Type"))
        XCTAssertNil(try policy.next(after: response(200, nil, url: seeOther.url.absoluteString), of: seeOther), "not a redirect")
    }

    func testDowngradeLoopLimitAndUnusableLocations() {
        let head = HTTPRequest("HEAD", URL(string: "https://r.example.com/v2/a/blobs/sha256:1?sig=SECRET")!)
        var policy = RedirectPolicy(start: head.url)
        XCTAssertThrowsError(try policy.next(after: response(302, "http://r.example.com/x", url: head.url.absoluteString), of: head)) { error in
            guard case let .downgrade(from, _) = error as? RedirectProblem else { return XCTFail("\(error)") }
            XCTAssertFalse(from.contains("SECRET"), "queries (signatures) are left out of messages")
        }
        XCTAssertThrowsError(try policy.next(after: response(307, head.url.absoluteString, url: head.url.absoluteString), of: head)) { error in
            XCTAssertEqual(error as? RedirectProblem, .loop("https://r.example.com:443/v2/a/blobs/sha256:1"))
        }
        for location in [nil, "", "file:///etc/passwd", "gopher://r.example.com/"] {
            XCTAssertThrowsError(try policy.next(after: response(301, location, url: head.url.absoluteString), of: head)) { error in
                XCTAssertEqual(error as? RedirectProblem, .unusableLocation(status: 301), "\(location ?? "nil")")
            }
        }
        var current = head
        var chain = RedirectPolicy(start: head.url)
        var hops = 0
        do {
            while true {
                let target = "https://r.example.com/hop/\(hops)"
                guard let next = try chain.next(after: response(307, target, url: current.url.absoluteString), of: current) else { break }
                current = next
                hops += 1
            }
        } catch {
            XCTAssertEqual(error, .tooMany(RedirectPolicy.maxRedirects))
        }
        XCTAssertEqual(hops, RedirectPolicy.maxRedirects)
    }
}
