import TestSupport
import XCTest
@testable import OCIRegistry

/// Which scheme the registry client speaks for a reference. (The reference grammar itself:
/// `OCIModelTests/ImageReferenceTests`.)
final class RegistrySchemeTests: XCTestCase {
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
