import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// A registry that never answers fails within bounded time; several pushes to one registry upload each
/// blob once and mount it elsewhere; credential helpers supply passwords and fail clearly.
final class TimeoutMountAndHelperTests: XCTestCase {
    func image(_ sizes: [Int] = [3000]) throws -> LayoutBuilder.Built {
        try LayoutBuilder.build(at: try temporaryDirectory(self, "layout").appendingPathComponent("layout"), layerSizes: sizes)
    }

    func pusher(connection: ConnectionOptions = testConnection(), environment: [String: String] = [:], ledger: BlobLedger = BlobLedger(),
                helperTimeout: Double = 10, log: LogRecorder) throws -> RegistryPusher {
        let home = try temporaryDirectory(self, "home")
        return RegistryPusher(retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxTotalDelay: 0.5),
                              credentials: CredentialStore(environment: ["HOME": home.path].merging(environment) { $1 }, helperTimeout: helperTimeout),
                              connection: connection, ledger: ledger, log: { log.append($0) })
    }

    // MARK: Timeouts

    func testNeverAnsweringRegistryFailsWithinTheDefaultBoundNamingHostAndWhat() async throws {
        let silent = try SilentServer(testCase: self)
        let connection = testConnection(timeout: ConnectionOptions.defaultTimeout)
        let started = Date()
        do {
            _ = try await pusher(connection: connection, log: LogRecorder()).push(layout: try image().directory, to: "\(silent.host)/hung/app:1")
            XCTFail("a registry that never answers must fail")
        } catch let error as RegistryError {
            guard case let .tlsHandshakeTimedOut(host, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(host, silent.host)
            XCTAssertTrue(error.description.contains("--registry-timeout"), error.description)
            XCTAssertTrue(error.description.contains("pass --plain-http"), error.description)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
    }

    func testShortTimeoutFailsWithinFiveSecondsForEachPhase() async throws {
        let silent = try SilentServer(testCase: self)
        for plainHTTP in [false, true] {
            let started = Date()
            do {
                _ = try await pusher(connection: testConnection(plainHTTP: plainHTTP, timeout: 2), log: LogRecorder())
                    .push(layout: try image().directory, to: "\(silent.host)/hung/app:1")
                XCTFail("a registry that never answers must fail")
            } catch let error as RegistryError {
                switch error {
                case let .timedOut(host, what, seconds) where plainHTTP:
                    XCTAssertEqual(host, silent.host)
                    XCTAssertEqual(seconds, 2)
                    XCTAssertTrue(what.contains("waiting for an answer to GET /v2"), what)
                case let .tlsHandshakeTimedOut(host, seconds) where !plainHTTP:
                    XCTAssertEqual(host, silent.host)
                    XCTAssertEqual(seconds, 2)
                default:
                    XCTFail("plain HTTP \(plainHTTP): \(error)")
                }
            }
            XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        }
    }

    // MARK: Cross-repository mount

    func testSecondRepositoryOnOneRegistryMountsEveryBlob() async throws {
        let mock = try MockRegistry(testCase: self)
        let built = try image([3000, 5000])
        let ledger = BlobLedger()
        let log = LogRecorder()
        let first = try await pusher(ledger: ledger, log: log).push(layout: built.directory, to: "\(mock.host)/team/one:1")
        let uploadsAfterFirst = mock.requests.filter { $0.method == "PUT" && $0.path.contains("/blobs/uploads/") }.count
        let second = try await pusher(ledger: ledger, log: log).push(layout: built.directory, to: "\(mock.host)/team/two:1")
        let uploads = mock.requests.filter { $0.method == "PUT" && $0.path.contains("/blobs/uploads/") }.count
        XCTAssertEqual(first.uploadedBlobs, 3)
        XCTAssertEqual(uploadsAfterFirst, 3)
        XCTAssertEqual(second.uploadedBlobs, 0)
        XCTAssertEqual(second.mountedBlobs, 3)
        XCTAssertEqual(uploads, 3, "the second repository got no blob upload: \(mock.requests.map { "\($0.method) \($0.path)" })")
        XCTAssertEqual(mock.requests.filter { $0.path.contains("mount=") && $0.path.contains("from=team%2Fone") || $0.path.contains("from=team/one") }.count, 3)
        XCTAssertTrue(log.lines.contains { $0.contains("mounted 3 from another repository") }, "\(log.lines)")
    }

    func testDeclinedMountFallsBackToUploadInTheSessionItOpened() async throws {
        let mock = try MockRegistry(testCase: self, faults: ["no-mount"])
        let built = try image()
        let ledger = BlobLedger()
        _ = try await pusher(ledger: ledger, log: LogRecorder()).push(layout: built.directory, to: "\(mock.host)/team/one:1")
        let postsBefore = mock.requests.filter { $0.method == "POST" }.count
        let log = LogRecorder()
        let second = try await pusher(ledger: ledger, log: log).push(layout: built.directory, to: "\(mock.host)/team/two:1")
        XCTAssertEqual(second.uploadedBlobs, 2)
        XCTAssertEqual(second.mountedBlobs, 0)
        XCTAssertEqual(mock.requests.filter { $0.method == "POST" }.count - postsBefore, 2, "one mount POST per blob, whose session is reused")
        XCTAssertTrue(log.lines.contains { $0.contains("declined to mount") }, "\(log.lines)")
    }

    func testMountOnARealRegistryIsVisibleToSkopeo() async throws {
        let registry = try LocalRegistry(testCase: self)
        let built = try image()
        let ledger = BlobLedger()
        _ = try await pusher(ledger: ledger, log: LogRecorder()).push(layout: built.directory, to: "\(registry.host)/team/one:1")
        let second = try await pusher(ledger: ledger, log: LogRecorder()).push(layout: built.directory, to: "\(registry.host)/team/two:1")
        XCTAssertEqual(second.uploadedBlobs, 0)
        XCTAssertEqual(second.mountedBlobs, 2)
        let copy = try temporaryDirectory(self, "copy").appendingPathComponent("oci")
        try runChecked("skopeo", ["copy", "--src-tls-verify=false", "docker://\(registry.host)/team/two:1", "oci:\(copy.path):1"])
        let layer = copy.appendingPathComponent("blobs/sha256/" + built.layerDigests[0].dropFirst("sha256:".count))
        XCTAssertEqual(try LayoutBuilder.sha256(of: layer), built.layerDigests[0], "the mounted layer is really there")
    }

    // MARK: Credential helpers

    /// A `docker-credential-test` that answers for `server` only, and a config naming it in `credHelpers`.
    func helperSetup(server: String, password: String, body: String? = nil) throws -> [String: String] {
        let bin = try temporaryDirectory(self, "bin")
        let script = body ?? """
            #!/bin/sh
            [ "$1" = get ] || exit 2
            read -r url
            if [ "$url" = "\(server)" ]; then printf '{"ServerURL":"%s","Username":"pusher","Secret":"%s"}\\n' "$url" '\(password)'; exit 0; fi
            echo "credentials not found in native keychain"; exit 1
            """
        let helper = bin.appendingPathComponent("docker-credential-test")
        try Data(script.utf8).write(to: helper)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper.path)
        let config = try temporaryDirectory(self, "docker-config")
        try Data(#"{"auths":{},"credHelpers":{"\#(server)":"test"}}"#.utf8).write(to: config.appendingPathComponent("config.json"))
        return ["PATH": bin.path + ":/usr/bin:/bin", "DOCKER_CONFIG": config.path]
    }

    func testCredentialHelperSuppliesThePasswordForAnHtpasswdRegistry() async throws {
        let password = "helper-Secret-Pa55"
        let registry = try LocalRegistry(testCase: self, user: "pusher", password: password)
        let built = try image()
        let log = LogRecorder()
        let report = try await pusher(environment: try helperSetup(server: registry.host, password: password), log: log)
            .push(layout: built.directory, to: "\(registry.host)/private/app:1")
        XCTAssertEqual(report.digest, built.manifestDigest)
        XCTAssertTrue(log.lines.contains { $0.contains("docker-credential-test") }, "the log names where the credential came from: \(log.lines)")
        assertNoSecrets(log.lines, [password])
    }

    func testHelperWithoutAnEntryFallsThroughAndStoreSettingIsUsed() throws {
        var environment = try helperSetup(server: "other.example.com", password: "pw")
        environment["HOME"] = try temporaryDirectory(self, "home").path
        environment["CONTAINERIZE_REGISTRY_USERNAME"] = "env-user"
        environment["CONTAINERIZE_REGISTRY_PASSWORD"] = "env-pw"
        XCTAssertEqual(try CredentialStore(environment: environment).credential(for: "other.example.com")?.username, "pusher")
        XCTAssertEqual(try CredentialStore(environment: environment).credential(for: "127.0.0.1:5000")?.username, "env-user",
                       "a registry the helper is not named for uses the usual lookup")
        // credsStore: the helper is asked for every registry; "credentials not found" falls through to auths.
        let config = try XCTUnwrap(environment["DOCKER_CONFIG"])
        let auth = Data("auths-user:pw".utf8).base64EncodedString()
        try Data(#"{"credsStore":"test","auths":{"127.0.0.1:5000":{"auth":"\#(auth)"}}}"#.utf8).write(to: URL(fileURLWithPath: config + "/config.json"))
        XCTAssertEqual(try CredentialStore(environment: environment).credential(for: "other.example.com")?.username, "pusher")
        XCTAssertEqual(try CredentialStore(environment: environment).credential(for: "127.0.0.1:5000")?.username, "auths-user")
    }

    func testMissingFailingOrHangingHelperIsAOneLineErrorNamingIt() throws {
        var environment = try helperSetup(server: "r.example.com", password: "pw")
        environment["HOME"] = try temporaryDirectory(self, "home").path
        let config = try XCTUnwrap(environment["DOCKER_CONFIG"])
        try Data(#"{"credHelpers":{"r.example.com":"nonexistent"}}"#.utf8).write(to: URL(fileURLWithPath: config + "/config.json"))
        XCTAssertThrowsError(try CredentialStore(environment: environment).credential(for: "r.example.com")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("docker-credential-nonexistent") && text.contains("not installed or not on PATH") && text.contains("credHelpers"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }

        // A failing helper's output is never shown: it may hold the secret.
        let failing = try helperSetup(server: "r.example.com", password: "pw", body: "#!/bin/sh\necho 'keychain locked: s3cret-from-helper' >&1\nexit 3\n")
        XCTAssertThrowsError(try CredentialStore(environment: failing.merging(["HOME": "/nonexistent"]) { $1 }).credential(for: "r.example.com")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("exited with status 3") && text.contains("docker-credential-"), text)
            XCTAssertFalse(text.contains("s3cret-from-helper") || text.contains("keychain locked"), text)
        }

        let hanging = try helperSetup(server: "r.example.com", password: "pw", body: "#!/bin/sh\nexec sleep 30\n")
        let started = Date()
        XCTAssertThrowsError(try CredentialStore(environment: hanging.merging(["HOME": "/nonexistent"]) { $1 }, helperTimeout: 1).credential(for: "r.example.com")) { error in
            XCTAssertTrue("\(error)".contains("did not answer within 1 s"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    /// Issue 21 row 11: a helper that forks and then times out is ended with everything it forked
    /// (its own process group), not just the helper itself.
    func testTimedOutHelperIsEndedWithItsWholeProcessGroup() throws {
        let pidFile = try temporaryDirectory(self, "grandchild").appendingPathComponent("pid").path
        let script = "#!/bin/sh\nsleep 300 >/dev/null 2>&1 </dev/null &\necho $! > \(pidFile)\nsleep 300\n"
        let environment = try helperSetup(server: "r.example.com", password: "", body: script).merging(["HOME": "/nonexistent"]) { $1 }
        XCTAssertThrowsError(try CredentialStore(environment: environment, helperTimeout: 1).credential(for: "r.example.com")) { error in
            XCTAssertTrue("\(error)".contains("did not answer within 1 s"), "\(error)")
        }
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let grandchild = try XCTUnwrap(pid_t(text), text)
        defer { kill(grandchild, SIGKILL) }
        // Gone, or a zombie waiting for init to reap it: either way no longer running.
        func running() -> Bool {
            guard kill(grandchild, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(grandchild)/stat", encoding: .utf8) else { return false }
            return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
        }
        let deadline = Date().addingTimeInterval(3)
        while running() && Date() < deadline { usleep(50_000) }
        XCTAssertFalse(running(), "the helper's child \(grandchild) survived the timeout")
    }

    /// A helper that answers and exits but leaves a background process behind (an agent it started)
    /// still answers at once: its exit, not the end of every process that inherited its descriptors, counts.
    func testHelperThatLeavesABackgroundProcessStillAnswersPromptly() throws {
        let script = """
            #!/bin/sh
            read -r url
            sleep 20 >/dev/null 2>&1 </dev/null &
            sleep 20 &
            printf '{"ServerURL":"%s","Username":"pusher","Secret":"pw-bg"}\\n' "$url"
            """
        let environment = try helperSetup(server: "r.example.com", password: "", body: script).merging(["HOME": "/nonexistent"]) { $1 }
        let started = Date()
        let credential = try CredentialStore(environment: environment, helperTimeout: 8).credential(for: "r.example.com")
        XCTAssertEqual(credential?.username, "pusher")
        XCTAssertEqual(credential?.password, "pw-bg")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    /// The helper starts with no signal blocked or ignored, whatever the calling thread blocks: Ctrl-C and kill still end it.
    func testHelperStartsWithNoSignalBlockedOrIgnored() throws {
        let script = """
            #!/bin/sh
            read -r url
            masks=$(grep -E '^Sig(Blk|Ign):' /proc/$$/status | awk '{print $2}' | tr '\\n' ' ')
            printf '{"ServerURL":"%s","Username":"pusher","Secret":"%s"}\\n' "$url" "$masks"
            """
        let environment = try helperSetup(server: "r.example.com", password: "", body: script).merging(["HOME": "/nonexistent"]) { $1 }
        var blocked = sigset_t()
        var previous = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        sigaddset(&blocked, SIGINT)
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let credential = try CredentialStore(environment: environment).credential(for: "r.example.com")
        // SigBlk and SigIgn as hex masks; the standard signals 1-31 are the low 31 bits (glibc keeps its own from 32).
        let masks = (credential?.password ?? "").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        XCTAssertEqual(masks.count, 2, credential?.password ?? "")
        XCTAssertEqual(masks.map { $0 & 0x7fff_ffff }, [0, 0], credential?.password ?? "")
    }

    func testIdentityTokenFromAHelperIsTradedAtTheRealmByPOST() async throws {
        let identityToken = "identity-Refresh-token+/=secret"
        let mock = try MockRegistry(testCase: self, auth: "bearer", password: identityToken)
        let script = """
            #!/bin/sh
            read -r url
            printf '{"ServerURL":"%s","Username":"<token>","Secret":"%s"}' "$url" '\(identityToken)'
            """
        let built = try image()
        let log = LogRecorder()
        let report = try await pusher(environment: try helperSetup(server: mock.host, password: "", body: script), log: log)
            .push(layout: built.directory, to: "\(mock.host)/team/app:1")
        XCTAssertEqual(report.digest, built.manifestDigest)
        let tokenRequests = mock.requests.filter { $0.path.hasPrefix("/token") }
        XCTAssertFalse(tokenRequests.isEmpty)
        XCTAssertTrue(tokenRequests.allSatisfy { $0.method == "POST" && $0.authorization == nil }, "\(tokenRequests)")
        XCTAssertTrue(log.lines.contains { $0.contains("exchanging an identity token (from docker-credential-test)") }, "\(log.lines)")
        assertNoSecrets(log.lines, [identityToken])
    }

    func testIdentityTokenInAuthsIsRead() throws {
        let config = try temporaryDirectory(self, "docker-config")
        try Data(#"{"auths":{"r.example.com":{"auth":"","identitytoken":"tok-1"}}}"#.utf8).write(to: config.appendingPathComponent("config.json"))
        let credential = try CredentialStore(environment: ["DOCKER_CONFIG": config.path]).credential(for: "r.example.com")
        XCTAssertEqual(credential?.isIdentityToken, true)
        XCTAssertEqual(credential?.password, "tok-1")
        XCTAssertFalse("\(credential!)".contains("tok-1"))
    }
}
