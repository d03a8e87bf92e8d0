import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// Hostile and misbehaving registries (the fault-injecting `MockRegistry`): credentials never leave
/// the registry's origin, redirects are bounded and never downgrade, size and time limits hold.
final class RedirectAndOriginTests: XCTestCase {
    let password = "mock-Secret-Pa55-never-print"

    func pusher(_ log: LogRecorder, chunkSize: Int = 8 << 20, connection: ConnectionOptions = testConnection(),
                retry: RetryPolicy = RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxTotalDelay: 0.5)) throws -> RegistryPusher {
        let home = try temporaryDirectory(self, "home")
        return RegistryPusher(chunkSize: chunkSize, retryPolicy: retry,
                              credentials: CredentialStore(environment: ["HOME": home.path, "CONTAINERIZE_REGISTRY_USERNAME": "pusher",
                                                                         "CONTAINERIZE_REGISTRY_PASSWORD": password]),
                              connection: connection, log: { log.append($0) })
    }

    func image(_ sizes: [Int] = [3000]) throws -> LayoutBuilder.Built {
        try LayoutBuilder.build(at: try temporaryDirectory(self, "layout").appendingPathComponent("layout"), layerSizes: sizes)
    }

    /// Pushes and expects a `RegistryError`; returns it with the time taken.
    func expectFailure(_ pusher: RegistryPusher, _ image: LayoutBuilder.Built, to reference: String,
                       file: StaticString = #filePath, line: UInt = #line) async throws -> (RegistryError, Double) {
        let started = Date()
        do {
            _ = try await pusher.push(layout: image.directory, to: reference)
        } catch let error as RegistryError {
            return (error, Date().timeIntervalSince(started))
        }
        XCTFail("the push to \(reference) must fail", file: file, line: line)
        throw TestFailure("no error")
    }

    func testRedirectsToAnotherOriginNeverCarryCredentials() async throws {
        let cases: [(fault: String, chunkSize: Int, method: String)] = [
            ("redirect-get", 8 << 20, "GET"), ("redirect-head", 8 << 20, "HEAD"),
            ("redirect-put", 8 << 20, "PUT"), ("redirect-patch", 1000, "PATCH"),
        ]
        for (fault, chunkSize, method) in cases {
            let mock = try MockRegistry(testCase: self, faults: [fault], auth: "basic", password: password)
            let log = LogRecorder()
            let built = try image()
            let report = try await pusher(log, chunkSize: chunkSize).push(layout: built.directory, to: "\(mock.host)/team/app:1")
            XCTAssertEqual(report.digest, built.manifestDigest, fault)
            let sink = mock.requests.filter { $0.origin == "sink" }
            XCTAssertTrue(sink.contains { $0.method == method }, "\(fault): the sink got the redirected \(method): \(mock.requests)")
            XCTAssertTrue(sink.allSatisfy { $0.authorization == nil }, "\(fault): the sink must never get Authorization: \(sink)")
            XCTAssertTrue(mock.requests.contains { $0.origin == "main" && $0.authorization?.hasPrefix("Basic ") == true }, fault)
            XCTAssertTrue(log.lines.contains { $0.contains("no credentials sent there") }, "\(log.lines)")
            assertNoSecrets(log.lines, [password])
        }
    }

    func testTokenRealmRedirectGetsNoCredentials() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["redirect-token"], auth: "bearer", password: password)
        let log = LogRecorder()
        let built = try image()
        let report = try await pusher(log).push(layout: built.directory, to: "\(mock.host)/team/app:1")
        XCTAssertEqual(report.digest, built.manifestDigest)
        let mainToken = mock.requests.filter { $0.origin == "main" && $0.path.hasPrefix("/token") }
        let sinkToken = mock.requests.filter { $0.origin == "sink" && $0.path.hasPrefix("/token") }
        XCTAssertFalse(mainToken.isEmpty)
        XCTAssertTrue(mainToken.allSatisfy { $0.authorization?.hasPrefix("Basic ") == true }, "the realm itself gets this registry's credentials")
        XCTAssertFalse(sinkToken.isEmpty, "\(mock.requests)")
        XCTAssertTrue(sinkToken.allSatisfy { $0.authorization == nil }, "\(sinkToken)")
        XCTAssertTrue(mock.requests.filter { $0.origin == "sink" }.allSatisfy { $0.authorization == nil })
        assertNoSecrets(log.lines, [password])
    }

    func testRedirectLoopIsAnErrorWithinTwoSeconds() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["redirect-loop"], auth: "basic", password: password)
        let log = LogRecorder()
        let (error, seconds) = try await expectFailure(try pusher(log), try image(), to: "\(mock.host)/team/app:1")
        guard case .redirectRefused = error else { return XCTFail("\(error)") }
        XCTAssertTrue(error.description.contains("loop"), error.description)
        XCTAssertLessThan(seconds, 2)
        assertNoSecrets(log.lines + [error.description], [password])
    }

    func testTooManyRedirectsAreAnError() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["redirect-chain"])
        let (error, seconds) = try await expectFailure(try pusher(LogRecorder(), connection: testConnection(plainHTTP: true)), try image(), to: "\(mock.host)/team/app:1")
        XCTAssertTrue(error.description.contains("more than 5 redirects"), error.description)
        XCTAssertLessThan(seconds, 2)
        XCTAssertEqual(mock.requests.filter { $0.path.hasPrefix("/v2/") }.count, 6, "the first request and 5 redirects")
    }

    func testHTTPSToHTTPRedirectIsRefusedAndTheSinkSeesNothing() async throws {
        let ca = try TestCA(testCase: self)
        let mock = try MockRegistry(testCase: self, faults: ["redirect-to-http"], auth: "basic", password: password,
                                    certificate: ca.serverCertificate, key: ca.serverKey)
        let log = LogRecorder()
        let (error, _) = try await expectFailure(try pusher(log, connection: testConnection(caFiles: [ca.certificate.path])), try image(),
                                                 to: "\(mock.host)/team/app:1")
        guard case .redirectRefused = error else { return XCTFail("\(error)") }
        XCTAssertTrue(error.description.contains("never downgraded"), error.description)
        XCTAssertTrue(mock.requests.filter { $0.origin == "sink" }.isEmpty, "\(mock.requests)")
        XCTAssertTrue(mock.requests.contains { $0.origin == "main" && $0.method == "HEAD" }, "it spoke HTTPS to the registry first")
        assertNoSecrets(log.lines + [error.description], [password])
    }

    func testServerErrorsAndRateLimitsAreRetried() async throws {
        for fault in ["error-503", "rate-limit"] {
            let mock = try MockRegistry(testCase: self, faults: [fault])
            let log = LogRecorder()
            let built = try image()
            let report = try await pusher(log, retry: RetryPolicy(maxAttempts: 4, initialDelay: 0.05, maxTotalDelay: 1))
                .push(layout: built.directory, to: "\(mock.host)/team/app:1")
            XCTAssertEqual(report.digest, built.manifestDigest, fault)
            XCTAssertTrue(log.lines.contains { $0.contains("retrying in") && $0.contains(fault == "rate-limit" ? "HTTP 429" : "HTTP 503") }, "\(log.lines)")
            if fault == "rate-limit" { XCTAssertTrue(log.lines.contains { $0.contains("retrying in 1.0 s") }, "Retry-After: 1 is honoured: \(log.lines)") }
        }
    }

    func testHugeHeadersAreRefused() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["huge-headers"])
        let (error, seconds) = try await expectFailure(try pusher(LogRecorder(), connection: testConnection(plainHTTP: true)), try image(), to: "\(mock.host)/team/app:1")
        guard case .badResponse = error else { return XCTFail("\(error)") }
        XCTAssertTrue(error.description.contains("response headers"), error.description)
        XCTAssertLessThan(seconds, 5)
    }

    func testSlowDripEndsAtTheWholeRequestLimit() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["drip"])
        let (error, seconds) = try await expectFailure(try pusher(LogRecorder(), connection: testConnection(plainHTTP: true, timeout: 1)),
                                                       try image(), to: "\(mock.host)/team/app:1")
        guard case let .timedOut(host, what, _) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(host, mock.host)
        XCTAssertTrue(what.contains("GET /v2"), what)
        XCTAssertTrue(what.contains("the whole request"), "5 bytes a second dodge the inactivity check, not the whole-request limit: \(what)")
        XCTAssertLessThan(seconds, 8, "connect 1 s + twice the inactivity time of 1 s, whatever the drip")
    }

    func testShortBodyIsAConnectionProblemThatIsRetriedThenReported() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["short-body"])
        let (error, seconds) = try await expectFailure(try pusher(LogRecorder(), connection: testConnection(plainHTTP: true)),
                                                       try image(), to: "\(mock.host)/team/app:1")
        guard case let .unreachable(_, attempts, problem) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(attempts, 3)
        XCTAssertTrue(problem.contains("lost"), problem)
        XCTAssertLessThan(seconds, 5)
    }

    func testAChallengeFromAnotherOriginIsNotAnswered() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["redirect-head", "sink-challenge"], auth: "basic", password: password)
        let log = LogRecorder()
        let (error, _) = try await expectFailure(try pusher(log), try image(), to: "\(mock.host)/team/app:1")
        guard case .unauthorized = error else { return XCTFail("\(error)") }
        let sink = mock.requests.filter { $0.origin == "sink" }
        XCTAssertTrue(sink.contains { $0.method == "HEAD" }, "\(mock.requests)")
        XCTAssertFalse(sink.contains { $0.path.hasPrefix("/token") }, "the sink's realm must not be asked for a token: \(sink)")
        XCTAssertTrue(sink.allSatisfy { $0.authorization == nil }, "\(sink)")
        assertNoSecrets(log.lines + [error.description], [password])
    }

    /// The password echoed alone, base64- or percent-encoded, is redacted too.
    func testEncodedPasswordEchoedBackIsRedacted() async throws {
        let password = "Pa55/Secret+XyZ"
        let client = try RegistryClient(reference: RegistryReference(parsing: "registry.example.com/app:1"), connection: testConnection(),
                                        credential: Credential(username: "usr", password: password, source: "test"), retryPolicy: .standard, log: { _ in })
        let echoed = "plain \(password) base64 \(Data(password.utf8).base64EncodedString()) url Pa55%2FSecret%2BXyZ"
        let shown = await client.redacted(echoed)
        XCTAssertFalse(shown.contains(password) || shown.contains("UGE1NS9TZWNyZXQrWHla") || shown.contains("Pa55%2FSecret%2BXyZ"), shown)
    }

    func testSecretsEchoedBackInAnErrorBodyAreRedacted() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["echo-auth"], auth: "basic", password: password)
        let log = LogRecorder()
        let (error, _) = try await expectFailure(try pusher(log), try image(), to: "\(mock.host)/team/app:1")
        XCTAssertTrue(error.description.contains("you sent: [redacted]"), error.description)
        assertNoSecrets(log.lines + [error.description, String(reflecting: error)], [password])
    }
}
