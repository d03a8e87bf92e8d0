import OCIModel
import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// Pulling a base image (`--from`): manifests and indexes, blobs verified while streamed to disk,
/// the blob cache, and what a hostile registry cannot make us keep.
final class BasePullTests: XCTestCase {
    let amd64 = Platform(architecture: "amd64", os: "linux")

    func pusher() -> RegistryPusher { RegistryPusher(retryPolicy: RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1), credentials: CredentialStore(environment: [:]), connection: testConnection(plainHTTP: true)) }
    func puller() -> RegistryPuller { RegistryPuller(connection: testConnection(plainHTTP: true), credentials: CredentialStore(environment: [:]), retryPolicy: RetryPolicy(maxAttempts: 2, initialDelay: 0.05, maxTotalDelay: 0.1)) }

    /// A mock registry holding one pushed base at `base:1`.
    func registryWithBase(faults: Set<String> = [], architecture: String = "amd64") throws -> (MockRegistry, LayoutBuilder.Built) {
        let mock = try MockRegistry(testCase: self, faults: faults)
        let built = try LayoutBuilder.build(at: try temporaryDirectory(self).appendingPathComponent("layout"), layerSizes: [3000, 70_000],
                                            architecture: architecture, env: ["BASE=1"])
        return (mock, built)
    }

    func blobGETs(_ mock: MockRegistry) -> [MockRegistry.Request] { mock.requests.filter { $0.method == "GET" && $0.path.contains("/blobs/") } }
    func cachedFiles(_ cache: BlobCache) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.root + "/blobs/sha256")) ?? [])
            + ((try? FileManager.default.contentsOfDirectory(atPath: cache.root + "/tmp")) ?? [])
    }

    func testPullVerifiesCachesAndTheSecondPullDownloadsNoBlob() async throws {
        let (mock, built) = try registryWithBase()
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let cache = BlobCache(root: try temporaryDirectory(self).path)
        let before = mock.requests.count

        let first = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
        XCTAssertEqual(first.pinnedReference, "\(mock.host)/base@\(built.manifestDigest)")
        XCTAssertEqual(first.manifest.layers.map(\.digest), built.layerDigests)
        XCTAssertEqual(first.downloadedBlobs, 3)
        for (file, digest) in zip(first.layerFiles, built.layerDigests) {
            XCTAssertEqual(try LayoutBuilder.sha256(of: URL(fileURLWithPath: file)), digest)
        }
        XCTAssertEqual(blobGETs(mock).count, 3)

        let afterFirst = mock.requests.count
        let second = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
        XCTAssertEqual(second.downloadedBlobs, 0)
        XCTAssertEqual(blobGETs(mock).count, 3, "the second pull must not download any blob")
        let secondRequests = mock.requests[afterFirst...]
        XCTAssertEqual(secondRequests.filter { $0.path.contains("/manifests/") }.count, 1)
        XCTAssertGreaterThan(afterFirst, before)
    }

    func testAPoisonedCacheFileIsDetectedAndFetchedAgain() async throws {
        let (mock, built) = try registryWithBase()
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let cache = BlobCache(root: try temporaryDirectory(self).path)
        _ = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
        let poisoned = try cache.path(of: built.layerDigests[1])
        try Data("not the layer".utf8).write(to: URL(fileURLWithPath: poisoned))
        let again = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
        XCTAssertEqual(again.downloadedBlobs, 1)
        XCTAssertEqual(try LayoutBuilder.sha256(of: URL(fileURLWithPath: poisoned)), built.layerDigests[1])
    }

    func testCorruptedBlobIsRefusedNamingTheDigestAndNothingIsCached() async throws {
        for fault in ["corrupt-blob-get", "long-blob-get"] {
            let (mock, built) = try registryWithBase(faults: [fault])
            _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
            let cache = BlobCache(root: try temporaryDirectory(self).path)
            do {
                _ = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
                XCTFail("\(fault): a corrupted blob was accepted")
            } catch let error as RegistryError {
                guard case let .contentMismatch(_, digest, _) = error else { return XCTFail("\(fault): \(error)") }
                XCTAssertEqual(digest, built.configDigest, fault)
                XCTAssertTrue(error.description.contains(built.configDigest), error.description)
                XCTAssertFalse(error.description.contains("\n"))
            }
            XCTAssertEqual(cachedFiles(cache), [], "\(fault): nothing may be cached")
        }
    }

    func testAnEndlessBlobStopsAtItsDeclaredSize() async throws {
        let (mock, built) = try registryWithBase(faults: ["endless-blob-get"])
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let cache = BlobCache(root: try temporaryDirectory(self).path)
        do {
            _ = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
            XCTFail("an endless blob was accepted")
        } catch let error as RegistryError {
            XCTAssertTrue(error.description.contains("more than"), error.description)
        }
        XCTAssertEqual(cachedFiles(cache), [])
    }

    func testBlobGETRedirectedToStorageIsFollowedAndVerified() async throws {
        let (mock, built) = try registryWithBase(faults: ["redirect-blob-get"])
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let cache = BlobCache(root: try temporaryDirectory(self).path)
        let pulled = try await puller().pull("\(mock.host)/base:1", platform: amd64, cache: cache)
        XCTAssertEqual(pulled.downloadedBlobs, 3)
        XCTAssertEqual(mock.requests.filter { $0.origin == "sink" && $0.path.contains("/blobs/") }.count, 3)
    }

    func testAnIndexResolvesToThePlatformAndAMissingOneListsWhatExists() async throws {
        let mock = try MockRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        var entries: [[String: Any]] = []
        var digests: [String: String] = [:]
        for architecture in ["amd64", "arm64"] {
            let built = try LayoutBuilder.build(at: work.appendingPathComponent(architecture), layerSizes: [100], architecture: architecture)
            _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/multi:\(architecture)")
            let size = try FileManager.default.attributesOfItem(atPath: built.directory.path + "/blobs/sha256/" + built.manifestDigest.dropFirst(7))[.size] as! Int
            var platform = ["os": "linux", "architecture": architecture]
            if architecture == "arm64" { platform["variant"] = "v8" }
            entries.append(["mediaType": MediaType.imageManifest, "digest": built.manifestDigest, "size": size, "platform": platform])
            digests[architecture] = built.manifestDigest
        }
        let index = work.appendingPathComponent("index.json")
        try JSONSerialization.data(withJSONObject: ["schemaVersion": 2, "mediaType": MediaType.imageIndex, "manifests": entries]).write(to: index)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageIndex)", "--data-binary", "@\(index.path)",
                                "http://\(mock.host)/v2/multi/manifests/1"])
        let cache = BlobCache(root: try temporaryDirectory(self).path)

        let arm = try await puller().pull("\(mock.host)/multi:1", platform: Platform(architecture: "arm64", os: "linux"), cache: cache)
        XCTAssertEqual(arm.pinnedReference, "\(mock.host)/multi@\(digests["arm64"]!)")
        let amd = try await puller().pull("\(mock.host)/multi:1", platform: amd64, cache: cache)
        XCTAssertEqual(amd.pinnedReference, "\(mock.host)/multi@\(digests["amd64"]!)")
        do {
            _ = try await puller().pull("\(mock.host)/multi:1", platform: Platform(architecture: "s390x", os: "linux"), cache: cache)
            XCTFail("a missing platform was accepted")
        } catch let error as RegistryError {
            XCTAssertTrue(error.description.contains("no image for linux/s390x (available: linux/amd64, linux/arm64/v8)"), error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
    }

    func testHostileManifestsAreRefused() async throws {
        let mock = try MockRegistry(testCase: self)
        let work = try temporaryDirectory(self)
        func put(_ object: [String: Any], mediaType: String, tag: String) throws {
            let file = work.appendingPathComponent(tag)
            try JSONSerialization.data(withJSONObject: object).write(to: file)
            try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(mediaType)", "--data-binary", "@\(file.path)", "http://\(mock.host)/v2/evil/manifests/\(tag)"])
        }
        let config: [String: Any] = ["mediaType": MediaType.imageConfig, "digest": "sha256:" + String(repeating: "a", count: 64), "size": 10]
        try put(["schemaVersion": 2, "mediaType": MediaType.imageManifest, "config": config,
                 "layers": [["mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": "sha256:" + String(repeating: "b", count: 64), "size": 1]]],
                mediaType: MediaType.imageManifest, tag: "zstd")
        try put(["schemaVersion": 2, "mediaType": MediaType.imageManifest, "config": ["mediaType": MediaType.imageConfig, "digest": "sha256:../../../etc/passwd", "size": 10], "layers": []],
                mediaType: MediaType.imageManifest, tag: "traversal")
        try put(["schemaVersion": 2, "mediaType": MediaType.imageManifest, "config": ["mediaType": MediaType.imageConfig, "digest": "sha256:" + String(repeating: "c", count: 64), "size": 1 << 40], "layers": []],
                mediaType: MediaType.imageManifest, tag: "hugeconfig")
        // An index whose only entry is another index that is not there: followed (as containerd does), and the missing digest named.
        try put(["schemaVersion": 2, "mediaType": MediaType.imageIndex, "manifests": [["mediaType": MediaType.imageIndex, "digest": "sha256:" + String(repeating: "d", count: 64), "size": 10, "platform": ["os": "linux", "architecture": "amd64"]]]],
                mediaType: MediaType.imageIndex, tag: "loop")
        let cache = BlobCache(root: work.appendingPathComponent("cache").path)
        for (tag, expected) in [("zstd", "tar+zstd"), ("traversal", "not a sha256 digest"), ("hugeconfig", "claims"), ("loop", "manifest sha256:dddddddd")] {
            do {
                _ = try await puller().pull("\(mock.host)/evil:\(tag)", platform: amd64, cache: cache)
                XCTFail("\(tag) was accepted")
            } catch {
                XCTAssertTrue("\(error)".contains(expected), "\(tag): \(error)")
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/passwd.tmp"))
        XCTAssertEqual(cachedFiles(cache), [])
    }

    func testCacheRefusesDigestsThatAreNotPaths() throws {
        let cache = BlobCache(root: "/tmp/unused")
        for digest in ["sha256:../../x", "sha512:" + String(repeating: "a", count: 128), "sha256:" + String(repeating: "A", count: 64), ""] {
            XCTAssertThrowsError(try cache.path(of: digest), digest)
        }
    }

    func testConcurrentPullsIntoOneCacheBothSucceed() async throws {
        let (mock, built) = try registryWithBase()
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let cache = BlobCache(root: try temporaryDirectory(self).path)
        let (puller, reference, platform) = (puller(), "\(mock.host)/base:1", amd64)
        async let first = puller.pull(reference, platform: platform, cache: cache)
        async let second = puller.pull(reference, platform: platform, cache: cache)
        let (one, two) = try await (first, second)
        XCTAssertEqual(one.layerFiles, two.layerFiles)
        for (file, digest) in zip(one.layerFiles, built.layerDigests) {
            XCTAssertEqual(try LayoutBuilder.sha256(of: URL(fileURLWithPath: file)), digest)
        }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: cache.root + "/tmp")) ?? [], [])
    }

    func testAHugeManifestAndAManifestThatOverstatesASizeAreRefused() async throws {
        let (mock, built) = try registryWithBase()
        _ = try await pusher().push(layout: built.directory, to: "\(mock.host)/base:1")
        let work = try temporaryDirectory(self)
        let huge = work.appendingPathComponent("huge.json")
        try Data(("{\"schemaVersion\":2,\"padding\":\"" + String(repeating: "x", count: 5 << 20) + "\"}").utf8).write(to: huge)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)", "--data-binary", "@\(huge.path)", "http://\(mock.host)/v2/base/manifests/huge"])
        // The real manifest with the first layer's size raised by one byte.
        let manifestPath = built.directory.path + "/blobs/sha256/" + built.manifestDigest.dropFirst(7)
        var manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
        var layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
        layers[0]["size"] = (layers[0]["size"] as! Int) + 1
        manifest["layers"] = layers
        let lying = work.appendingPathComponent("lying.json")
        try JSONSerialization.data(withJSONObject: manifest).write(to: lying)
        try runChecked("curl", ["-sf", "-X", "PUT", "-H", "Content-Type: \(MediaType.imageManifest)", "--data-binary", "@\(lying.path)", "http://\(mock.host)/v2/base/manifests/lying"])
        let cache = BlobCache(root: work.appendingPathComponent("cache").path)
        for (tag, expected) in [("huge", "exceeded"), ("lying", "the manifest says")] {
            do {
                _ = try await puller().pull("\(mock.host)/base:\(tag)", platform: amd64, cache: cache)
                XCTFail("\(tag) was accepted")
            } catch {
                XCTAssertTrue("\(error)".contains(expected), "\(tag): \(error)")
            }
        }
        XCTAssertNil(try cache.verifiedFile(for: Descriptor(mediaType: "", digest: built.layerDigests[0], size: 1)))
    }
}
