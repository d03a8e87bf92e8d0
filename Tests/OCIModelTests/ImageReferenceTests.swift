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
            XCTAssertTrue(error.description.contains("'a..b:1'"), error.description)
            XCTAssertTrue(error.description.contains("e.g. helloweb:1.0"), error.description)
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
    }

    func testValidReferences() throws {
        let hosted = try ImageReference(parsing: "localhost:5000/a/b:1")
        XCTAssertEqual(hosted.registry, "localhost:5000")
        XCTAssertEqual(hosted.repository, "a/b")
        XCTAssertEqual(hosted.tag, "1")
        XCTAssertTrue(hosted.isLoopback)
        let pinned = try ImageReference(parsing: "a.b/c_d/e-f:latest@\(Self.digest)")
        XCTAssertEqual(pinned.registry, "a.b")
        XCTAssertEqual(pinned.repository, "c_d/e-f")
        XCTAssertEqual(pinned.tag, "latest")
        XCTAssertEqual(pinned.digest, Self.digest)
        XCTAssertEqual(pinned.manifestReference, Self.digest)
        let ipv6 = try ImageReference(parsing: "[::1]:5000/repo:tag")
        XCTAssertEqual(ipv6.registry, "[::1]:5000")
        XCTAssertEqual(ipv6.hostWithoutPort, "[::1]")
        XCTAssertTrue(ipv6.isLoopback)
        XCTAssertEqual(ipv6.repository, "repo")
        let full6 = try ImageReference(parsing: "[2001:db8::1]/team/app")
        XCTAssertEqual(full6.registry, "[2001:db8::1]")
        XCTAssertEqual(full6.tag, "latest")
        let address = try ImageReference(parsing: "127.0.0.1:5000/team/hello:1.0.0")
        XCTAssertEqual(address.registry, "127.0.0.1:5000")
        XCTAssertEqual(address.repository, "team/hello")
        XCTAssertEqual(address.tag, "1.0.0")
        XCTAssertNil(address.digest)
        XCTAssertEqual(address.manifestReference, "1.0.0")
        XCTAssertTrue(address.isLoopback)
        let untagged = try ImageReference(parsing: "localhost:5000/team/hello")
        XCTAssertEqual(untagged.tag, "latest")
        XCTAssertEqual(untagged.description, "localhost:5000/team/hello:latest")
        XCTAssertEqual(untagged.familiarDescription, "localhost:5000/team/hello:latest", "a registry host is never shortened")
        let separators = try ImageReference(parsing: "a__b/c.d/e---f/g_h:_x.Y-1")
        XCTAssertEqual(separators.repository, "a__b/c.d/e---f/g_h")
        XCTAssertEqual(separators.tag, "_x.Y-1")
    }

    func testDockerNormalisation() throws {
        let official = try ImageReference(parsing: "hello")
        XCTAssertEqual(official.description, "docker.io/library/hello:latest")
        XCTAssertEqual(official.familiarDescription, "hello:latest")
        XCTAssertEqual(official.apiHost, "registry-1.docker.io")
        let user = try ImageReference(parsing: "someone/app:2")
        XCTAssertEqual(user.description, "docker.io/someone/app:2")
        XCTAssertEqual(user.familiarDescription, "someone/app:2")
        let explicit = try ImageReference(parsing: "docker.io/library/hello:3")
        let short = try ImageReference(parsing: "hello:3")
        XCTAssertEqual(explicit.familiarDescription, "hello:3")
        XCTAssertEqual(explicit, short)
        XCTAssertEqual(try ImageReference(parsing: "team/hello").description, "docker.io/team/hello:latest")
        XCTAssertEqual(try ImageReference(parsing: "index.docker.io/x/y").registry, "docker.io")
        XCTAssertEqual(try ImageReference(parsing: "localhost/app").registry, "localhost")
    }

    func testDigestOnlyReferenceAndPinning() throws {
        let reference = try ImageReference(parsing: "ghcr.io/owner/app@\(Self.digest)")
        XCTAssertEqual(reference.registry, "ghcr.io")
        XCTAssertEqual(reference.repository, "owner/app")
        XCTAssertNil(reference.tag)
        XCTAssertEqual(reference.manifestReference, Self.digest)
        XCTAssertFalse(reference.isLoopback)
        XCTAssertEqual(reference.pinned(to: Self.digest), "ghcr.io/owner/app@\(Self.digest)")
    }

    func testInvalidReferencesSayWhy() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("127.0.0.1:5000/Hello:1", "lowercase"),
            ("127.0.0.1:5000/hello:-bad", "tag"),
            ("127.0.0.1:5000/hello@sha256:1234", "digest"),
            ("127.0.0.1:5000/hel lo", "whitespace"),
            ("127.0.0.1:5000//hello", "lowercase"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try ImageReference(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(text): \(error)")
            }
        }
    }

    /// `USER:PASSWORD@HOST/…` is refused without the password appearing in the message (it goes to CI logs).
    func testCredentialsWrittenIntoAReferenceAreRefusedWithoutEchoingThem() {
        for text in ["pusher:S3cret-pw@registry.example.com/team/app:1", "S3cret-pw@localhost:5000/app", "u:S3cret-pw@[::1]:5000/app@sha256:" + String(repeating: "a", count: 64)] {
            XCTAssertThrowsError(try ImageReference(parsing: text), text) { error in
                XCTAssertFalse("\(error)".contains("S3cret-pw"), "\(error)")
                XCTAssertTrue("\(error)".contains("credentials"), "\(error)")
            }
            XCTAssertThrowsError(try ImageReference(parsing: text, allowDigest: false), text) { error in
                XCTAssertFalse("\(error)".contains("S3cret-pw"), "\(error)")
            }
        }
    }

    /// Control characters in a bad reference are not echoed: the error stays one line and cannot drive a terminal.
    func testControlCharactersAreNotEchoed() {
        XCTAssertThrowsError(try ImageReference(parsing: "localhost:5000/app\n\u{1b}[2J:1")) { error in
            XCTAssertFalse("\(error)".unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(error)")
            XCTAssertTrue("\(error)".contains("localhost:5000/app??[2J:1"), "\(error)")
        }
    }

    func testLocalNamesCannotBePinned() {
        assertThrows(ReferenceError.self) { try ImageReference(parsing: "a:1@\(Self.digest)", allowDigest: false) }
        XCTAssertNoThrow(try ImageReference(parsing: "a:1@\(Self.digest)"))
    }

}
