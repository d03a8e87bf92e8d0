import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// `containertool build` with registry outputs, as pipelines run it: the registry flags, two pushes on
/// one registry (mounted), a credential helper, and no secret in stdout, stderr or --json.
final class ContainertoolRegistryTests: XCTestCase {
    var binary: String!
    var home: URL!

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        binary = try staticHelloBinary(self)
        home = try temporaryDirectory(self, "home")
    }

    func build(_ outputs: [String], _ extra: [String] = [], environment: [String: String] = [:]) throws -> ToolResult {
        try runContainertool(["build", "--executable", binary, "--tag", "hello:1"] + outputs.flatMap { ["--output", "registry:" + $0] } + extra,
                             environment: ["HOME": home.path, "DOCKER_CONFIG": home.path + "/no-docker-config"].merging(environment) { $1 })
    }

    /// A `docker-credential-test` on PATH, named by `credHelpers` for `server`.
    func helperEnvironment(server: String, password: String, helper: String = "test") throws -> [String: String] {
        let bin = try temporaryDirectory(self, "bin")
        let script = """
            #!/bin/sh
            read -r url
            [ "$url" = "\(server)" ] && printf '{"ServerURL":"%s","Username":"pusher","Secret":"%s"}' "$url" '\(password)' && exit 0
            echo "credentials not found in native keychain"; exit 1
            """
        try Data(script.utf8).write(to: bin.appendingPathComponent("docker-credential-test"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("docker-credential-test").path)
        let config = try temporaryDirectory(self, "docker-config")
        try Data(#"{"credHelpers":{"\#(server)":"\#(helper)"}}"#.utf8).write(to: config.appendingPathComponent("config.json"))
        return ["PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "DOCKER_CONFIG": config.path]
    }

    func testTwoPushesOnOneRegistryUploadOnceWithAHelperPasswordThatIsNeverPrinted() throws {
        let password = "cli-Helper-Secret-77"
        let mock = try MockRegistry(testCase: self, auth: "basic", password: password)
        let result = try build(["\(mock.host)/team/one:1", "\(mock.host)/team/two:1"], ["--json"],
                               environment: try helperEnvironment(server: mock.host, password: password))
        XCTAssertEqual(result.status, 0, result.stderr)
        let uploads = mock.requests.filter { $0.method == "PUT" && $0.path.contains("/blobs/uploads/") }
        XCTAssertEqual(uploads.count, 2, "config and layer uploaded once: \(mock.requests.map { "\($0.method) \($0.path)" })")
        XCTAssertTrue(result.stderr.contains("mounted 2 from another repository"), result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((json?["pushed"] as? [String])?.count, 2, result.stdout)
        XCTAssertTrue(mock.requests.contains { $0.authorization?.hasPrefix("Basic ") == true }, "the helper's password was used")
        assertNoSecrets([result.stdout, result.stderr], [password])
    }

    func testMissingHelperIsAOneLineErrorNamingIt() throws {
        let mock = try MockRegistry(testCase: self, auth: "basic", password: "x")
        let result = try build(["\(mock.host)/team/one:1"], environment: try helperEnvironment(server: mock.host, password: "x", helper: "absent"))
        XCTAssertEqual(result.status, 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("docker-credential-absent") }
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(lines.first?.contains("not installed or not on PATH") == true, result.stderr)
    }

    func testHungRegistryFailsWithinFiveSecondsWithRegistryTimeout2() throws {
        let silent = try SilentServer(testCase: self)
        let started = Date()
        let result = try build(["\(silent.host)/hung/app:1"], ["--registry-timeout", "2"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(silent.host) did not answer in time") && result.stderr.contains("timed out after 2 s"), result.stderr)
    }

    func testHTTPSRegistryNeedsItsCAThenPushesWithRegistryCAOrWithoutVerification() throws {
        let ca = try TestCA(testCase: self)
        let registry = try LocalRegistry(testCase: self, tls: ca)
        let refused = try build(["\(registry.host)/tls/app:1"], environment: ["SSL_CERT_FILE": "", "CONTAINERIZE_CERTS_D": "/nonexistent"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("TLS certificate of \(registry.host) was rejected") && refused.stderr.contains("--registry-ca"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("retrying"), refused.stderr)

        let trusted = try build(["\(registry.host)/tls/app:1"], ["--registry-ca", ca.certificate.path])
        XCTAssertEqual(trusted.status, 0, trusted.stderr)
        XCTAssertTrue(trusted.stdout.contains("pushed: \(registry.host)/tls/app@sha256:"), trusted.stdout)

        let unverified = try build(["\(registry.host)/tls/other:1"], ["--tls-verify=false"])
        XCTAssertEqual(unverified.status, 0, unverified.stderr)
    }

    func testInsecureRegistryIsADeprecatedAliasAndBadValuesAreUsageErrors() throws {
        let mock = try MockRegistry(testCase: self)
        let deprecated = try build(["\(mock.host)/old/app:1"], ["--insecure-registry"])
        XCTAssertEqual(deprecated.status, 0, deprecated.stderr)
        XCTAssertTrue(deprecated.stderr.contains("--insecure-registry is deprecated and means --plain-http"), deprecated.stderr)
        XCTAssertFalse(deprecated.stderr.contains("does not speak TLS"), "plain HTTP from the first request, no TLS attempt: \(deprecated.stderr)")

        for (flags, message) in [(["--tls-verify=maybe"], "--tls-verify must be true or false"),
                                 (["--registry-timeout", "0"], "--registry-timeout '0' must be"),
                                 (["--plain-http", "--tls-verify=false"], "exclude each other"),
                                 (["--registry-ca", "/nonexistent/ca.pem"], "--registry-ca /nonexistent/ca.pem: no such readable file")] {
            let result = try build(["\(mock.host)/old/app:1"], flags)
            XCTAssertEqual(result.status, 2, "\(flags): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(flags): \(result.stderr)")
        }
    }
}
