import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// The bearer-token flow (Docker Hub, GHCR, …) against a real `docker-registry` configured for token
/// auth, with a local token service as its realm.
final class BearerTokenTests: XCTestCase {
    func startRegistry(tokens: TokenServer) throws -> LocalRegistry {
        try LocalRegistry(testCase: self, extraArguments: ["--token-realm", tokens.realm, "--token-cert", tokens.certificate.path])
    }

    func testPushWithATokenFromTheChallengesRealm() async throws {
        let tokens = try TokenServer(testCase: self, user: "robot", password: "token-pw-1")
        let registry = try startRegistry(tokens: tokens)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1500])
        let log = LogRecorder()
        let pusher = RegistryPusher(chunkSize: 8 << 20, retryPolicy: RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1),
                                    credentials: CredentialStore(environment: ["HOME": work.path, "CONTAINERIZE_REGISTRY_USERNAME": "robot",
                                                                               "CONTAINERIZE_REGISTRY_PASSWORD": "token-pw-1"]),
                                    connection: testConnection(), log: { log.append($0) })

        let report = try await pusher.push(layout: image.directory, to: "\(registry.host)/team/app:2")

        XCTAssertEqual(report.digest, image.manifestDigest)
        XCTAssertEqual(report.uploadedBlobs, 2)
        XCTAssertTrue(tokens.requestLog.contains(#""user": "robot""#), tokens.requestLog)
        XCTAssertTrue(tokens.requestLog.contains(#""service": "containerize-test-registry""#), tokens.requestLog)
        XCTAssertTrue(tokens.requestLog.contains("repository:team/app:pull,push"), tokens.requestLog)
        XCTAssertFalse(log.lines.joined().contains("token-pw-1"))
    }

    func testTokenServiceRefusingTheCredentialsIsAClearError() async throws {
        let tokens = try TokenServer(testCase: self, user: "robot", password: "token-pw-1")
        let registry = try startRegistry(tokens: tokens)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1500])
        let pusher = RegistryPusher(chunkSize: 8 << 20, retryPolicy: RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1),
                                    credentials: CredentialStore(environment: ["HOME": work.path, "CONTAINERIZE_REGISTRY_USERNAME": "robot",
                                                                               "CONTAINERIZE_REGISTRY_PASSWORD": "not-the-pw"]),
                                    connection: testConnection())
        do {
            _ = try await pusher.push(layout: image.directory, to: "\(registry.host)/team/app:2")
            XCTFail("the token service refuses these credentials")
        } catch let error as RegistryError {
            XCTAssertEqual(error, .unauthorized(registry: registry.host, username: "robot"))
            XCTAssertFalse(error.description.contains("not-the-pw"))
        }
    }

    func testMountAcrossRepositoriesAsksForPullOnTheSource() async throws {
        let tokens = try TokenServer(testCase: self, user: "robot", password: "token-pw-1")
        let registry = try startRegistry(tokens: tokens)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1500])
        let ledger = BlobLedger()
        let log = LogRecorder()
        func pusher() -> RegistryPusher {
            RegistryPusher(retryPolicy: RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1),
                           credentials: CredentialStore(environment: ["HOME": work.path, "CONTAINERIZE_REGISTRY_USERNAME": "robot",
                                                                      "CONTAINERIZE_REGISTRY_PASSWORD": "token-pw-1"]),
                           connection: testConnection(), ledger: ledger, log: { log.append($0) })
        }
        _ = try await pusher().push(layout: image.directory, to: "\(registry.host)/team/one:1")
        let second = try await pusher().push(layout: image.directory, to: "\(registry.host)/team/two:1")
        XCTAssertEqual(second.mountedBlobs, 2)
        XCTAssertEqual(second.uploadedBlobs, 0)
        XCTAssertTrue(tokens.requestLog.contains("repository:team/one:pull\""), tokens.requestLog)
        assertNoSecrets(log.lines, ["token-pw-1"], user: "robot")
    }
}
