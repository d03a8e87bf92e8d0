import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// 403, 404 and 413 answers, from nginx in front of a real registry, give messages that say what to check.
final class ProxyErrorTests: XCTestCase {
    func push(_ image: LayoutBuilder.Built, to reference: String, home: URL) async throws -> PushReport {
        try await RegistryPusher(chunkSize: 8 << 20, retryPolicy: RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1),
                                 credentials: CredentialStore(environment: ["HOME": home.path]), connection: testConnection())
            .push(layout: image.directory, to: reference)
    }

    func expectError(_ image: LayoutBuilder.Built, _ reference: String, home: URL, mentions phrase: String,
                     file: StaticString = #filePath, line: UInt = #line) async throws -> RegistryError? {
        do {
            _ = try await push(image, to: reference, home: home)
            XCTFail("the push to \(reference) must fail", file: file, line: line)
            return nil
        } catch let error as RegistryError {
            XCTAssertTrue(error.description.contains(phrase), error.description, file: file, line: line)
            return error
        }
    }

    func testUploadSizeLimitForbiddenAndNotFound() async throws {
        let registry = try LocalRegistry(testCase: self)
        let proxy = try NginxProxy(testCase: self, upstream: registry, maxBodySize: "64k")
        let work = try temporaryDirectory(self)
        let small = try LayoutBuilder.build(at: work.appendingPathComponent("small"), layerSizes: [1024])
        let large = try LayoutBuilder.build(at: work.appendingPathComponent("large"), layerSizes: [300_000])

        // The proxy passes small images through untouched.
        let report = try await push(small, to: "\(proxy.host)/fine:1", home: work)
        XCTAssertEqual(report.digest, small.manifestDigest)

        let tooLarge = try await expectError(large, "\(proxy.host)/fine:2", home: work, mentions: "upload size limit")
        guard case .tooLarge = tooLarge else { return XCTFail("expected tooLarge, got \(String(describing: tooLarge))") }

        let denied = try await expectError(small, "\(proxy.host)/denied/app:1", home: work, mentions: "write permission")
        XCTAssertEqual(denied, .forbidden(registry: proxy.host, repository: "denied/app", username: nil))

        let gone = try await expectError(small, "\(proxy.host)/gone/app:1", home: work, mentions: "Check the repository name")
        guard case .notFound = gone else { return XCTFail("expected notFound, got \(String(describing: gone))") }
    }
}
