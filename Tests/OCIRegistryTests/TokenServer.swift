import Foundation
import TestSupport
import XCTest

/// A minimal bearer-token service (the `realm` of a `WWW-Authenticate: Bearer` challenge), run with
/// python3's standard library; tokens are JWTs signed RS256 by `openssl dgst` with a fresh self-signed
/// certificate that the registry trusts. It checks Basic credentials, grants pull+push on every
/// requested repository scope, and logs each request's scopes and user to `requests.log`.
final class TokenServer: @unchecked Sendable {
    let port: Int
    let directory: URL
    let pid: Int32
    var realm: String { "http://127.0.0.1:\(port)/token" }
    var certificate: URL { directory.appendingPathComponent("cert.pem") }
    var requestLog: String { (try? String(contentsOf: directory.appendingPathComponent("requests.log"), encoding: .utf8)) ?? "" }

    init(testCase: XCTestCase, user: String, password: String) throws {
        port = try freeLoopbackPort()
        directory = try temporaryDirectory(testCase, "token-server")
        try runChecked("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=containerize-test-token",
                                   "-keyout", directory.appendingPathComponent("key.pem").path, "-out", directory.appendingPathComponent("cert.pem").path])
        let script = try Self.source
        pid = try startDetached(["python3", script.path, String(port), directory.path, user, password],
                                log: directory.appendingPathComponent("server.log"))
        // SIGKILL: children of Foundation's Process inherit a signal mask that blocks SIGTERM,
        // and python (unlike Go's runtime) does not unblock it.
        testCase.addTeardownBlock { [pid] in kill(pid, SIGKILL) }
        for _ in 0..<100 {
            if (try? runTool("curl", ["-s", "-o", "/dev/null", "http://127.0.0.1:\(port)/ready"]))?.status == 0 { return }
            usleep(100_000)
        }
        throw TestFailure("the token server did not start on port \(port)")
    }

    /// The token service program, a resource file (python3's standard library only).
    static var source: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "token_server", withExtension: "py", subdirectory: "Resources") else {
                throw TestFailure("Resources/token_server.py is not in the test bundle")
            }
            return url
        }
    }
}
