import TestSupport
import XCTest
@testable import OCIRegistry

final class AuthAndRetryTests: XCTestCase {
    func testBearerChallengeWithQuotedCommas() throws {
        let challenge = try XCTUnwrap(AuthChallenge(header: #"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/app:pull,push""#))
        XCTAssertEqual(challenge.scheme, .bearer)
        XCTAssertEqual(challenge.realm, "https://auth.example.com/token")
        XCTAssertEqual(challenge.service, "registry.example.com")
        XCTAssertEqual(challenge.scope, "repository:team/app:pull,push")
    }

    func testBasicChallenge() throws {
        let challenge = try XCTUnwrap(AuthChallenge(header: #"Basic realm="containerize-test""#))
        XCTAssertEqual(challenge.scheme, .basic)
        XCTAssertEqual(challenge.realm, "containerize-test")
        XCTAssertNil(AuthChallenge(header: "Negotiate abc"))
    }

    func testBackoffDoublesAndIsBoundedInTotal() {
        XCTAssertEqual(RetryPolicy(maxAttempts: 4, initialDelay: 0.5, maxTotalDelay: 15).delays, [0.5, 1, 2])
        XCTAssertEqual(RetryPolicy(maxAttempts: 6, initialDelay: 1, maxTotalDelay: 5).delays, [1, 2, 2, 0, 0])
        XCTAssertEqual(RetryPolicy(maxAttempts: 1).delays, [])
    }

    func testJitterStaysBetweenHalfAndAllOfTheBackoffAndRetryAfterIsCapped() {
        let policy = RetryPolicy(maxAttempts: 3, initialDelay: 2, maxTotalDelay: 10, maxRetryAfter: 5)
        XCTAssertEqual(policy.delay(beforeAttempt: 2, retryAfter: nil, random: 0), 1)
        XCTAssertEqual(policy.delay(beforeAttempt: 2, retryAfter: nil, random: 1), 2)
        XCTAssertEqual(policy.delay(beforeAttempt: 3, retryAfter: nil, random: 0.5), 3)
        XCTAssertNil(policy.delay(beforeAttempt: 4, retryAfter: nil, random: 0), "no attempts left")
        XCTAssertEqual(policy.delay(beforeAttempt: 2, retryAfter: 1.5, random: 0), 1.5, "Retry-After replaces the backoff")
        XCTAssertEqual(policy.delay(beforeAttempt: 2, retryAfter: 3600, random: 0), 5, "but a huge one is capped")
        XCTAssertNil(policy.delay(beforeAttempt: 4, retryAfter: 1, random: 0), "Retry-After does not add attempts")
    }

    func testCredentialDescriptionHidesThePassword() {
        let credential = Credential(username: "me", password: "hunter2", source: "test")
        XCTAssertEqual("\(credential)", "user 'me' (from test)")
        XCTAssertFalse(String(reflecting: credential).contains("hunter2"))
        XCTAssertFalse(credential.basicAuthorization.contains("hunter2"), "base64, not plain")
    }
}
