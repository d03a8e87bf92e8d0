import Foundation
import OCIModel
import TestSupport
import XCTest

/// The one reference parser: the distribution spec's grammar plus Docker's normalisation.
final class ImageReferenceTests: XCTestCase {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    func testInvalidReferencesAreRefused() {
        for text in ["a:b:c", "a//b:1", ".a:1", "a..b:1", "Hello:1", "hello:", "hello:-x", "hello:.x", "/hello", "hello/", "hel lo",
                      "a_-b", "a___b:1", "-a", "a-", "hello@sha256:12", "localhost:99999/a", "[::1/a", "[zz::1]:5000/a", "ex ample.com/a",
                      "a.b-/c", "-a.b/c", String(repeating: "a", count: 256), "hello:" + String(repeating: "t", count: 129), ""] {
            invalidReferencesAreRefused(text: text)
        }
    }

    func invalidReferencesAreRefused(text: String) {
        assertThrows(ReferenceError.self, "\(text)") { try ImageReference(parsing: text) }
    }

    func testErrorsSayWhatAValidReferenceLooksLike() {
        do {
            _ = try ImageReference(parsing: "a..b:1")
            XCTFail("a..b:1 was accepted")
        } catch {
            XCTAssertTrue(error.description.contains("'a..b:1'") && error.description.contains("e.g. helloweb:1.0"))
            XCTAssertTrue(!error.description.contains("\n"))
        }
    }

    func testValidReferences() throws {
        let hosted = try ImageReference(parsing: "localhost:5000/a/b:1")
        XCTAssertTrue(hosted.registry == "localhost:5000" && hosted.repository == "a/b" && hosted.tag == "1" && hosted.isLoopback)
        let pinned = try ImageReference(parsing: "a.b/c_d/e-f:latest@\(Self.digest)")
        XCTAssertTrue(pinned.registry == "a.b" && pinned.repository == "c_d/e-f" && pinned.tag == "latest" && pinned.digest == Self.digest)
        XCTAssertEqual(pinned.manifestReference, Self.digest)
        let ipv6 = try ImageReference(parsing: "[::1]:5000/repo:tag")
        XCTAssertTrue(ipv6.registry == "[::1]:5000" && ipv6.hostWithoutPort == "[::1]" && ipv6.isLoopback && ipv6.repository == "repo")
        let full6 = try ImageReference(parsing: "[2001:db8::1]/team/app")
        XCTAssertTrue(full6.registry == "[2001:db8::1]" && full6.tag == "latest")
        let separators = try ImageReference(parsing: "a__b/c.d/e---f/g_h:_x.Y-1")
        XCTAssertTrue(separators.repository == "a__b/c.d/e---f/g_h" && separators.tag == "_x.Y-1")
    }

    func testDockerNormalisation() throws {
        let official = try ImageReference(parsing: "hello")
        XCTAssertEqual(official.description, "docker.io/library/hello:latest")
        XCTAssertEqual(official.familiarDescription, "hello:latest")
        XCTAssertEqual(official.apiHost, "registry-1.docker.io")
        let user = try ImageReference(parsing: "someone/app:2")
        XCTAssertTrue(user.description == "docker.io/someone/app:2" && user.familiarDescription == "someone/app:2")
        let explicit = try ImageReference(parsing: "docker.io/library/hello:3")
        let short = try ImageReference(parsing: "hello:3")
        XCTAssertTrue(explicit.familiarDescription == "hello:3" && explicit == short)
        XCTAssertEqual(try ImageReference(parsing: "index.docker.io/x/y").registry, "docker.io")
        XCTAssertEqual(try ImageReference(parsing: "localhost/app").registry, "localhost")
    }

    func testLocalNamesCannotBePinned() {
        assertThrows(ReferenceError.self) { try ImageReference(parsing: "a:1@\(Self.digest)", allowDigest: false) }
        XCTAssertTrue((try? ImageReference(parsing: "a:1@\(Self.digest)")) != nil)
    }

    func testSourceDateEpochLimits() throws {
        XCTAssertEqual(try SourceDateEpoch.parse("0"), 0)
        XCTAssertEqual(try SourceDateEpoch.parse("253402300799"), 253_402_300_799)
        XCTAssertEqual(rfc3339(epochSeconds: 253_402_300_799), "9999-12-31T23:59:59Z")
        for bad in ["253402300800", "-1", "1.5", "abc", "99999999999999999999"] {
            assertThrows(SourceDateEpochError.self, "\(bad)") { try SourceDateEpoch.parse(bad) }
        }
    }
}
