import OCIModel
import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// The adversarial pass over pulling a base (`adv-base`): what a hostile registry tries beyond `BasePullTests`.
extension BasePullTests {
    /// An index entry must name its manifest by digest: a tag (or a path) there would fetch a manifest
    /// nothing verifies, so a base pinned by `@sha256:` of its index could still change under us.
    func testAnIndexEntryThatIsNotADigestIsRefused() async throws {
        let (mock, built) = try registryWithBase()
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:real")
        let work = try temporaryDirectory(self)
        let cache = BlobCache(root: work.appendingPathComponent("cache").path)
        for (tag, digest) in [("bytag", "real"), ("bypath", "../../base/manifests/real")] {
            let index = work.appendingPathComponent(tag)
            try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "mediaType": MediaType.imageIndex, "manifests": [
                ["mediaType": MediaType.imageManifest, "digest": digest, "size": 10, "platform": ["os": "linux", "architecture": "amd64"]]]]).write(to: index)
            try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageIndex)", "--data-binary", "@\(index.path)",
                                    "http://\(mock.host)/v2/base/manifests/\(tag)"])
            do {
                let pulled = try await puller().pull("\(mock.host)/base:\(tag)", platform: amd64, cache: cache)
                XCTFail("\(tag): an index entry without a digest was followed to \(pulled.pinnedReference)")
            } catch let error as RegistryError {
                XCTAssertTrue(error.description.contains("not a sha256 digest"), "\(tag): \(error)")
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
        XCTAssertEqual(cachedFiles(cache), [])
    }

    /// A cache directory that cannot be made (a file in the way, a read-only place): one line that says
    /// what to do, not Foundation's error dump; nothing fetched is kept.
    func testAnUnusableCacheDirectoryIsOneLineNamingTheFix() async throws {
        let (mock, built) = try registryWithBase()
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let file = try temporaryDirectory(self).appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        for root in [file.path, "/proc/containerize-cache"] {
            do {
                _ = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: BlobCache(root: root))
                XCTFail("\(root): a cache that cannot be written was used")
            } catch {
                let message = "\(error)"
                XCTAssertTrue(message.contains("CONTAINERIZE_CACHE_DIR"), message)
                XCTAssertFalse(message.contains("NSCocoaErrorDomain") || message.contains("\n"), message)
            }
        }
    }

    /// The manifest's bytes must be what was asked for: the `@sha256:` of the reference, and the
    /// registry's own `Docker-Content-Digest`; either mismatch is refused and nothing is fetched further.
    func testAManifestThatIsNotTheDigestAskedOrStatedIsRefused() async throws {
        for fault in ["lying-manifest-digest", ""] {
            let (mock, built) = try registryWithBase(faults: fault.isEmpty ? [] : [fault])
            _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
            let other = "sha256:" + String(repeating: "f", count: 64)
            // The real manifest's bytes stored under another digest (a registry serving other bytes for a digest).
            let manifest = built.directory.path + "/blobs/sha256/" + built.manifestDigest.dropFirst(7)
            try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)", "--data-binary", "@\(manifest)",
                                    "http://\(mock.host)/v2/base/manifests/\(other)"])
            let cache = BlobCache(root: try temporaryDirectory(self).path)
            for reference in fault.isEmpty ? ["\(mock.host)/base@\(other)"] : ["\(mock.host)/base:1", "\(mock.host)/base@\(built.manifestDigest)"] {
                do {
                    _ = try await puller().pull(reference, platform: amd64, cache: cache)
                    XCTFail("\(reference) (\(fault)): a manifest that is not the digest was accepted")
                } catch let error as RegistryError {
                    guard case .contentMismatch = error else { return XCTFail("\(reference): \(error)") }
                    XCTAssertTrue(error.description.contains("hash to \(built.manifestDigest)"), error.description)
                }
            }
            XCTAssertEqual(blobGETs(mock).count, 0)
            XCTAssertEqual(cachedFiles(cache), [])
        }
    }

    /// A blob one byte short of its descriptor's size (with a Content-Length that agrees, so HTTP sees no error).
    func testABlobShorterThanItsSizeIsRefusedAndNothingIsCached() async throws {
        let (mock, built) = try registryWithBase(faults: ["short-blob-get"])
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let cache = BlobCache(root: try temporaryDirectory(self).path)
        do {
            _ = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
            XCTFail("a short blob was accepted")
        } catch let error as RegistryError {
            guard case let .contentMismatch(_, digest, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(digest, built.configDigest)
            XCTAssertTrue(error.description.contains("the manifest says"), error.description)
        }
        XCTAssertEqual(cachedFiles(cache), [])
    }

    /// A mock registry with Basic auth (`password`) holding a one-layer base at `base:1`, and a puller
    /// with those credentials whose log is recorded.
    func authenticatedBase(faults: Set<String>, password: String) async throws -> (MockRegistry, RegistryPuller, LogRecorder, URL) {
        let mock = try MockRegistry(testCase: self, faults: faults, auth: "basic", password: password)
        let work = try temporaryDirectory(self)
        let built = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [2000])
        let credentials = CredentialStore(environment: ["HOME": work.path, "CONTAINERIZE_REGISTRY_USERNAME": "pusher", "CONTAINERIZE_REGISTRY_PASSWORD": password])
        let retry = RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1)
        _ = try await RegistryPusher(retryPolicy: retry, credentials: credentials, connection: testConnection(plainHTTP: true)).push(layout: built.directory, to: "\(mock.host)/base:1")
        let log = LogRecorder()
        return (mock, RegistryPuller(connection: testConnection(plainHTTP: true), credentials: credentials, retryPolicy: retry, log: { log.append($0) }), log, work)
    }

    /// A blob GET redirected to another origin (a storage backend) is followed without the registry's
    /// credentials, and neither the log nor the error holds them.
    func testABlobRedirectedToAnotherOriginGetsNoCredentials() async throws {
        let (mock, puller, log, work) = try await authenticatedBase(faults: ["redirect-blob-get"], password: "pull-pw-7")
        let pulled = try await puller.pull("\(mock.host)/base:1", platform: amd64, cache: BlobCache(root: work.appendingPathComponent("cache").path))
        XCTAssertEqual(pulled.downloadedBlobs, 2)
        let sink = mock.requests.filter { $0.origin == "sink" && $0.path.contains("/blobs/") }
        XCTAssertEqual(sink.count, 2)
        XCTAssertEqual(sink.compactMap(\.authorization), [], "credentials followed the redirect to another origin")
        XCTAssertFalse(mock.requests.filter { $0.origin == "main" && $0.path.contains("/manifests/") }.compactMap(\.authorization).isEmpty)
        XCTAssertFalse(log.lines.joined().contains("pull-pw-7"))
    }

    /// The storage a blob GET is redirected to answers 401 with a token realm of its own: not answered
    /// (no token asked there, no credential sent), the pull fails, nothing is cached, no secret shown.
    func testAChallengeFromTheBlobStorageOriginIsNotAnswered() async throws {
        let (mock, puller, log, work) = try await authenticatedBase(faults: ["redirect-blob-get", "sink-challenge"], password: "pull-pw-8")
        let cache = BlobCache(root: work.appendingPathComponent("cache").path)
        do {
            _ = try await puller.pull("\(mock.host)/base:1", platform: amd64, cache: cache)
            XCTFail("a blob the storage origin refused was accepted")
        } catch {
            XCTAssertFalse("\(error)".contains("pull-pw-8") || "\(error)".contains("\n"), "\(error)")
        }
        let sink = mock.requests.filter { $0.origin == "sink" }
        XCTAssertTrue(sink.contains { $0.path.contains("/blobs/") }, "\(mock.requests)")
        XCTAssertFalse(sink.contains { $0.path.hasPrefix("/token") }, "the storage's realm must not be asked for a token: \(sink)")
        XCTAssertTrue(sink.allSatisfy { $0.authorization == nil }, "\(sink)")
        XCTAssertFalse(log.lines.joined().contains("pull-pw-8"))
        XCTAssertEqual(cachedFiles(cache), [])
    }
}
