import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// Pushes to a real Debian `docker-registry` on 127.0.0.1 and checks the result with skopeo.
final class RegistryPushTests: XCTestCase {
    /// Pushes with no ambient credentials (an empty HOME) unless a test passes its own environment.
    func pusher(home: URL, environment: [String: String] = [:], chunkSize: Int = 8 << 20,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxTotalDelay: 0.5),
                log: LogRecorder) -> RegistryPusher {
        RegistryPusher(chunkSize: chunkSize, retryPolicy: retry,
                       credentials: CredentialStore(environment: ["HOME": home.path].merging(environment) { $1 }),
                       connection: testConnection(), log: { log.append($0) })
    }

    func skopeoDigest(_ reference: String) throws -> String {
        let output = try runChecked("skopeo", ["inspect", "--tls-verify=false", "--no-tags", "docker://\(reference)"])
        let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return json?["Digest"] as? String ?? ""
    }

    func testPushedImageIsVisibleToSkopeoWithOurDigest() async throws {
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [2048, 70_000])
        let log = LogRecorder()

        let report = try await pusher(home: work, log: log).push(layout: image.directory, to: "\(registry.host)/demo/hello:1.0")

        XCTAssertEqual(report.digest, image.manifestDigest)
        XCTAssertEqual(report.pinnedReference, "\(registry.host)/demo/hello@\(image.manifestDigest)")
        XCTAssertEqual(report.uploadedBlobs, 3, "config and two layers")
        XCTAssertEqual(report.skippedBlobs, 0)
        XCTAssertEqual(try skopeoDigest("\(registry.host)/demo/hello:1.0"), image.manifestDigest)
        XCTAssertTrue(log.lines.contains { $0.contains("uploaded 3 blobs, skipped 0") }, "\(log.lines)")
        XCTAssertTrue(log.lines.contains { $0.contains("does not speak TLS; using plain HTTP") }, "the loopback registry was found to speak plain HTTP: \(log.lines)")
    }

    func testSecondPushUploadsNoBlob() async throws {
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [4096])
        let log = LogRecorder()
        let first = try await pusher(home: work, log: log).push(layout: image.directory, to: "\(registry.host)/twice")
        let second = try await pusher(home: work, log: log).push(layout: image.directory, to: "\(registry.host)/twice")

        XCTAssertEqual(first.uploadedBlobs, 2)
        XCTAssertEqual(second.uploadedBlobs, 0)
        XCTAssertEqual(second.skippedBlobs, 2)
        XCTAssertEqual(second.digest, first.digest)
        XCTAssertTrue(log.lines.contains { $0.contains("uploaded 0 blobs, skipped 2 already present") }, "\(log.lines)")
        XCTAssertEqual(try skopeoDigest("\(registry.host)/twice:latest"), image.manifestDigest)
    }

    func testLargeBlobGoesUpInChunksAndRoundTrips() async throws {
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        let size = 10 << 20 // random bytes do not compress: the layer stays just over 10 MiB
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [size])
        let log = LogRecorder()

        let report = try await pusher(home: work, chunkSize: 4 << 20, log: log)
            .push(layout: image.directory, to: "\(registry.host)/big:v1")

        XCTAssertEqual(report.digest, image.manifestDigest)
        XCTAssertTrue(log.lines.contains { $0.contains("sent blob \(image.layerDigests[0].shortDigest) in 3 chunks") }, "\(log.lines)")

        let copy = work.appendingPathComponent("copy")
        try runChecked("skopeo", ["copy", "--src-tls-verify=false", "docker://\(registry.host)/big:v1", "oci:\(copy.path):v1"])
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: copy.appendingPathComponent("index.json"))) as? [String: Any]
        let manifests = index?["manifests"] as? [[String: Any]] ?? []
        XCTAssertEqual(manifests.first?["digest"] as? String, image.manifestDigest)
        let layer = copy.appendingPathComponent("blobs/sha256/" + image.layerDigests[0].dropFirst("sha256:".count))
        XCTAssertEqual(try LayoutBuilder.sha256(of: layer), image.layerDigests[0], "the chunked layer came back byte for byte")
    }

    func testWrongPasswordGivesAClearErrorThatNeverShowsThePassword() async throws {
        let password = "s3cret-Pa55word-that-must-not-leak"
        let registry = try LocalRegistry(testCase: self, user: "pusher", password: password)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1024])
        let wrong = "wrong-\(password)"
        let log = LogRecorder()
        let environment = ["CONTAINERIZE_REGISTRY_USERNAME": "pusher", "CONTAINERIZE_REGISTRY_PASSWORD": wrong]

        do {
            _ = try await pusher(home: work, environment: environment, log: log).push(layout: image.directory, to: "\(registry.host)/private:1")
            XCTFail("the push must fail with a wrong password")
        } catch let error as RegistryError {
            XCTAssertEqual(error, .unauthorized(registry: registry.host, username: "pusher"))
            let text = "\(error) \(error.localizedDescription) \(String(reflecting: error)) " + log.lines.joined(separator: "\n")
            XCTAssertTrue(text.contains("rejected the credentials of user 'pusher'"), text)
            for secret in [wrong, password, Data("pusher:\(wrong)".utf8).base64EncodedString()] {
                XCTAssertFalse(text.contains(secret), "a credential leaked into: \(text)")
            }
        }
    }

    func testMissingCredentialsSayWhereToPutThem() async throws {
        let registry = try LocalRegistry(testCase: self, user: "pusher", password: "pw")
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1024])
        do {
            _ = try await pusher(home: work, log: LogRecorder()).push(layout: image.directory, to: "\(registry.host)/private:1")
            XCTFail("the push must fail without credentials")
        } catch let error as RegistryError {
            XCTAssertEqual(error, .unauthorized(registry: registry.host, username: nil))
            XCTAssertTrue(error.description.contains("docker login"), error.description)
        }
    }

    func testRightPasswordFromDockerConfigPushes() async throws {
        let password = "right-Pa55word"
        let registry = try LocalRegistry(testCase: self, user: "pusher", password: password)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1024])
        let dockerConfig = work.appendingPathComponent("docker-config")
        try FileManager.default.createDirectory(at: dockerConfig, withIntermediateDirectories: true)
        let auth = Data("pusher:\(password)".utf8).base64EncodedString()
        try Data(#"{"auths":{"\#(registry.host)":{"auth":"\#(auth)"}}}"#.utf8).write(to: dockerConfig.appendingPathComponent("config.json"))
        let log = LogRecorder()

        let report = try await pusher(home: work, environment: ["DOCKER_CONFIG": dockerConfig.path], log: log)
            .push(layout: image.directory, to: "\(registry.host)/private:1")

        XCTAssertEqual(report.digest, image.manifestDigest)
        XCTAssertEqual(report.uploadedBlobs, 2)
        let inspected = try runChecked("skopeo", ["inspect", "--tls-verify=false", "--creds", "pusher:\(password)", "docker://\(registry.host)/private:1"])
        XCTAssertTrue(inspected.contains(image.manifestDigest))
        XCTAssertFalse(log.lines.joined().contains(password))
        XCTAssertFalse(log.lines.joined().contains(auth))
    }

    func testRegistryStoppedMidPushFailsAfterBoundedRetriesThenARetrySucceeds() async throws {
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [1024, 2048])
        let stopped = OnceFlag()
        let log = LogRecorder()
        // Stop the registry the moment the first blob upload starts: a real mid-push failure.
        let killer = RegistryPusher(chunkSize: 8 << 20, retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: 0.1, maxTotalDelay: 1),
                                    credentials: CredentialStore(environment: ["HOME": work.path]), connection: testConnection(timeout: 5)) { line in
            log.append(line)
            if line.hasPrefix("uploading blob"), stopped.set() {
                try? registry.stop()
            }
        }
        let started = Date()
        do {
            _ = try await killer.push(layout: image.directory, to: "\(registry.host)/flaky:1")
            XCTFail("the push must fail while the registry is down")
        } catch let error as RegistryError {
            guard case let .unreachable(host, attempts, problem) = error else { return XCTFail("unexpected error: \(error)") }
            XCTAssertEqual(host, registry.host)
            XCTAssertEqual(attempts, 3)
            XCTAssertTrue(problem.contains("refused") || problem.contains("lost"), problem)
            XCTAssertTrue(error.description.contains("Check that the registry is running"), error.description)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "retries are bounded")
        XCTAssertEqual(log.lines.filter { $0.contains("retrying in") }.count, 2, "\(log.lines)")

        try registry.start()
        let report = try await pusher(home: work, log: log).push(layout: image.directory, to: "\(registry.host)/flaky:1")
        XCTAssertEqual(report.digest, image.manifestDigest)
        XCTAssertEqual(report.uploadedBlobs + report.skippedBlobs, 3)
        XCTAssertEqual(try skopeoDigest("\(registry.host)/flaky:1"), image.manifestDigest)
    }

    func testPushByDigestAndRejectsAForeignDigest() async throws {
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [512])
        let report = try await pusher(home: work, log: LogRecorder()).push(layout: image.directory, to: "\(registry.host)/pinned@\(image.manifestDigest)")
        XCTAssertEqual(report.pinnedReference, "\(registry.host)/pinned@\(image.manifestDigest)")
        XCTAssertEqual(try skopeoDigest("\(registry.host)/pinned@\(image.manifestDigest)"), image.manifestDigest)

        let foreign = "sha256:" + String(repeating: "0", count: 64)
        do {
            _ = try await pusher(home: work, log: LogRecorder()).push(layout: image.directory, to: "\(registry.host)/pinned@\(foreign)")
            XCTFail("a digest that is not the image's must be refused")
        } catch let error as RegistryError {
            XCTAssertTrue(error.description.contains("but the image's digest is \(image.manifestDigest)"), error.description)
        }
    }

    func testBrokenLayoutIsReportedBeforeAnyNetworkUse() async throws {
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [512])
        try FileManager.default.removeItem(at: image.directory.appendingPathComponent("blobs/sha256/" + image.layerDigests[0].dropFirst(7)))
        do {
            _ = try await pusher(home: work, log: LogRecorder()).push(layout: image.directory, to: "127.0.0.1:1/nothing:1")
            XCTFail("a layout with a missing blob must be refused")
        } catch let error as RegistryError {
            XCTAssertEqual(error, .invalidLayout(path: image.directory.path, reason: "the blob \(image.layerDigests[0]) is missing"))
        }
    }
}
