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
        XCTAssertEqual(uploads.count, 3, "config and the two layers (add-ons, executable) uploaded once: \(mock.requests.map { "\($0.method) \($0.path)" })")
        XCTAssertTrue(result.stderr.contains("mounted 3 from another repository"), result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((json?["pushed"] as? [String])?.count, 2, result.stdout)
        XCTAssertTrue(mock.requests.contains { $0.authorization?.hasPrefix("Basic ") == true }, "the helper's password was used")
        assertNoSecrets([result.stdout, result.stderr], [password])
    }

    /// Layers by rate of change: after image A, an image B that differs only in the executable
    /// uploads exactly the executable layer and the config (plus its manifest); one that differs
    /// only in a resource uploads exactly the resources layer and the config.
    func testCodeOrResourceChangeUploadsOnlyItsLayer() throws {
        let mock = try MockRegistry(testCase: self)
        let work = try temporaryDirectory(self, "layers")
        let executable = work.appendingPathComponent("app").path, resource = work.appendingPathComponent("data.txt").path
        try FileManager.default.copyItem(atPath: binary, toPath: executable)
        try Data("v1".utf8).write(to: URL(fileURLWithPath: resource))
        func push(_ tag: String) throws -> (uploads: [String], manifests: Int) {
            let before = mock.requests.count
            let result = try runContainertool(["build", "--executable", executable, "--resource", resource + ":/data/data.txt",
                                               "--output", "registry:\(mock.host)/layers/app:\(tag)"],
                                              environment: ["HOME": home.path, "DOCKER_CONFIG": home.path + "/no-docker-config"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let requests = mock.requests.dropFirst(before)
            let uploads = requests.filter { $0.method == "PUT" && $0.path.contains("/blobs/uploads/") }.map(\.path)
            return (uploads, requests.filter { $0.method == "PUT" && $0.path.contains("/manifests/") }.count)
        }
        let first = try push("a")
        XCTAssertEqual(first.uploads.count, 4, "config, add-ons, resources and executable layers: \(first.uploads)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: executable))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("a code change".utf8))
        try handle.close()
        let codeChange = try push("b")
        XCTAssertEqual(codeChange.uploads.count, 2, "the executable layer and the config: \(codeChange.uploads)")
        XCTAssertEqual(codeChange.manifests, 1)
        try Data("v2".utf8).write(to: URL(fileURLWithPath: resource))
        let resourceChange = try push("c")
        XCTAssertEqual(resourceChange.uploads.count, 2, "the resources layer and the config: \(resourceChange.uploads)")
        XCTAssertEqual(resourceChange.manifests, 1)
    }

    /// The same against the real `docker-registry`: a code change pushes one layer and the config
    /// (the other layers are found already present), and skopeo sees the lower layers unchanged.
    func testCodeChangeOnARealRegistryUploadsOneLayerAndTheConfig() throws {
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self, "layers-real")
        let executable = work.appendingPathComponent("app").path, resource = work.appendingPathComponent("data.txt").path
        try FileManager.default.copyItem(atPath: binary, toPath: executable)
        try Data(repeating: 7, count: 100_000).write(to: URL(fileURLWithPath: resource))
        func push(_ tag: String) throws -> (stderr: String, layers: [String]) {
            let result = try runContainertool(["build", "--executable", executable, "--resource", resource + ":/data/data.bin",
                                               "--output", "registry:\(registry.host)/layers/app:\(tag)"],
                                              environment: ["HOME": home.path, "DOCKER_CONFIG": home.path + "/no-docker-config"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let inspected = try runChecked("skopeo", ["inspect", "--tls-verify=false", "--no-tags", "docker://\(registry.host)/layers/app:\(tag)"])
            let layers = (try JSONSerialization.jsonObject(with: Data(inspected.utf8)) as? [String: Any])?["Layers"] as? [String] ?? []
            return (result.stderr, layers)
        }
        let first = try push("a")
        XCTAssertTrue(first.stderr.contains("uploaded 4 blobs, skipped 0 already present"), first.stderr)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: executable))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("a code change".utf8))
        try handle.close()
        let second = try push("b")
        XCTAssertTrue(second.stderr.contains("uploaded 2 blobs, skipped 2 already present"), second.stderr)
        XCTAssertEqual(first.layers.count, 3)
        XCTAssertEqual(first.layers.prefix(2), second.layers.prefix(2), "add-ons and resources layers unchanged")
        XCTAssertNotEqual(first.layers.last, second.layers.last)
    }

    func testInterruptedPushEndsARunningCredentialHelper() throws {
        // `kill -INT` reaches containertool only (Ctrl-C would reach the whole process group).
        let mock = try MockRegistry(testCase: self, auth: "basic", password: "x")
        let bin = try temporaryDirectory(self, "slow-bin")
        let pidFile = bin.appendingPathComponent("helper.pid").path
        try Data("#!/bin/sh\necho $$ > \(pidFile)\nexec sleep 30\n".utf8).write(to: bin.appendingPathComponent("docker-credential-slow"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("docker-credential-slow").path)
        let config = try temporaryDirectory(self, "slow-config")
        try Data(#"{"credHelpers":{"\#(mock.host)":"slow"}}"#.utf8).write(to: config.appendingPathComponent("config.json"))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try XCTUnwrap(containertoolPath))
        process.arguments = ["build", "--executable", binary, "--tag", "hello:1", "--output", "registry:\(mock.host)/team/app:1"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["HOME": home.path, "DOCKER_CONFIG": config.path, "PATH": bin.path + ":/usr/bin:/bin"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var helper: pid_t = 0
        for _ in 0..<500 where helper == 0 {  // up to 10 s for the push to reach the helper
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                helper = pid
            } else { usleep(20_000) }
        }
        XCTAssertNotEqual(helper, 0, "the credential helper never started")
        kill(process.processIdentifier, SIGINT)
        // Polled before waitUntilExit: Process sees its child's end only once every inheritor of its
        // hidden socket is gone, and a leftover helper is one.
        var alive = true
        for _ in 0..<250 where alive {  // up to 5 s
            alive = kill(helper, 0) == 0 && !isZombie(helper)
            if alive { usleep(20_000) }
        }
        XCTAssertFalse(alive, "the credential helper \(helper) outlived the interrupted containertool")
        if alive { kill(helper, SIGKILL) }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)
    }

    /// True once `pid` has exited but not been reaped (an orphan waits for init to reap it).
    private func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
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
        XCTAssertTrue(result.stderr.contains("\(silent.host) did not answer in time"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the TLS handshake timed out after 2 s"), result.stderr)
        XCTAssertTrue(result.stderr.contains("A registry that serves plain HTTP waits silently like this: if \(silent.host) does, pass --plain-http"),
                      "a silent server is what a plain-HTTP registry looks like to a TLS client: say so, not only 'timed out'. \(result.stderr)")
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
