import TestSupport
import XCTest
@testable import OCIRegistry

final class RegistryReferenceTests: XCTestCase {
    func testHostPortRepositoryAndTag() throws {
        let reference = try RegistryReference(parsing: "127.0.0.1:5000/team/hello:1.0.0")
        XCTAssertEqual(reference.registry, "127.0.0.1:5000")
        XCTAssertEqual(reference.repository, "team/hello")
        XCTAssertEqual(reference.tag, "1.0.0")
        XCTAssertNil(reference.digest)
        XCTAssertEqual(reference.manifestReference, "1.0.0")
        XCTAssertTrue(reference.isLoopback)
    }

    func testTagDefaultsToLatest() throws {
        let reference = try RegistryReference(parsing: "localhost:5000/hello")
        XCTAssertEqual(reference.tag, "latest")
        XCTAssertEqual(reference.description, "localhost:5000/hello:latest")
        XCTAssertTrue(reference.isLoopback)
    }

    func testDigestReference() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let reference = try RegistryReference(parsing: "ghcr.io/owner/app@\(digest)")
        XCTAssertEqual(reference.registry, "ghcr.io")
        XCTAssertEqual(reference.repository, "owner/app")
        XCTAssertNil(reference.tag)
        XCTAssertEqual(reference.manifestReference, digest)
        XCTAssertFalse(reference.isLoopback)
        XCTAssertEqual(reference.pinned(to: digest), "ghcr.io/owner/app@\(digest)")
    }

    func testTagAndDigestTogether() throws {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        let reference = try RegistryReference(parsing: "registry.example.com/app:2@\(digest)")
        XCTAssertEqual(reference.tag, "2")
        XCTAssertEqual(reference.manifestReference, digest)
    }

    func testDockerHubNormalization() throws {
        let official = try RegistryReference(parsing: "swift")
        XCTAssertEqual(official.registry, "docker.io")
        XCTAssertEqual(official.repository, "library/swift")
        XCTAssertEqual(official.apiHost, "registry-1.docker.io")
        let user = try RegistryReference(parsing: "someone/app:tag")
        XCTAssertEqual(user.registry, "docker.io")
        XCTAssertEqual(user.repository, "someone/app")
    }

    func testIPv6LoopbackIsLoopback() throws {
        let reference = try RegistryReference(parsing: "[::1]:5000/hello:1")
        XCTAssertEqual(reference.registry, "[::1]:5000")
        XCTAssertEqual(reference.hostWithoutPort, "[::1]")
        XCTAssertTrue(reference.isLoopback)
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
            XCTAssertThrowsError(try RegistryReference(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(text): \(error)")
            }
        }
    }

    /// `USER:PASSWORD@HOST/…` is refused without the password appearing in the message (it goes to CI logs).
    func testCredentialsWrittenIntoAReferenceAreRefusedWithoutEchoingThem() {
        for text in ["pusher:S3cret-pw@registry.example.com/team/app:1", "S3cret-pw@localhost:5000/app", "u:S3cret-pw@[::1]:5000/app@sha256:" + String(repeating: "a", count: 64)] {
            XCTAssertThrowsError(try RegistryReference(parsing: text), text) { error in
                XCTAssertFalse("\(error)".contains("S3cret-pw"), "\(error)")
                XCTAssertTrue("\(error)".contains("credentials"), "\(error)")
            }
            XCTAssertThrowsError(try RegistryReference(parsing: text, allowDigest: false), text) { error in
                XCTAssertFalse("\(error)".contains("S3cret-pw"), "\(error)")
            }
        }
    }

    /// Control characters in a bad reference are not echoed: the error stays one line and cannot drive a terminal.
    func testControlCharactersAreNotEchoed() {
        XCTAssertThrowsError(try RegistryReference(parsing: "localhost:5000/app\n\u{1b}[2J:1")) { error in
            XCTAssertFalse("\(error)".unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(error)")
            XCTAssertTrue("\(error)".contains("localhost:5000/app??[2J:1"), "\(error)")
        }
    }

    func testHTTPSEverywhereUnlessPlainHTTPIsAsked() async throws {
        func scheme(_ text: String, plainHTTP: Bool = false) async throws -> String? {
            let client = try RegistryClient(reference: RegistryReference(parsing: text), connection: testConnection(plainHTTP: plainHTTP),
                                            credential: nil, retryPolicy: .standard, log: { _ in })
            return await client.baseURL.scheme
        }
        let remote = try await scheme("registry.example.com/app:1")
        let local = try await scheme("127.0.0.1:5000/app:1")
        let forced = try await scheme("registry.internal:5000/app:1", plainHTTP: true)
        XCTAssertEqual(remote, "https")
        XCTAssertEqual(local, "https", "loopback tries HTTPS first; plain HTTP only when the server does not speak TLS")
        XCTAssertEqual(forced, "http")
    }
}
