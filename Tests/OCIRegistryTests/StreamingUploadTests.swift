import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// Blob uploads stream from the layout's files: a dropped connection mid-upload restarts the upload
/// from the file's start and the registry still gets the right bytes; a blob file that shrinks or
/// grows during the push fails with `RegistryError.blobChanged` and nothing is committed under its digest.
final class StreamingUploadTests: XCTestCase {
    func pusher(chunkSize: Int, log: LogRecorder, home: URL) -> RegistryPusher {
        RegistryPusher(chunkSize: chunkSize, retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxTotalDelay: 0.5),
                       credentials: CredentialStore(environment: ["HOME": home.path]), connection: testConnection(), log: { log.append($0) })
    }

    func headStatus(_ mock: MockRegistry, _ repository: String, _ digest: String) throws -> String {
        try runChecked("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-I", "http://\(mock.host)/v2/\(repository)/blobs/\(digest)"])
    }

    func testConnectionClosedMidUploadRetriesFromTheStartAndTheDigestIsRight() async throws {
        // Chunked (10 MiB layer in 4 MiB PATCHes: the first PATCH is cut) and monolithic (one PUT cut).
        for (chunkSize, name) in [(4 << 20, "chunked"), (16 << 20, "monolithic")] {
            let mock = try MockRegistry(testCase: self, faults: ["drop-upload"])
            let work = try temporaryDirectory(self)
            let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [10 << 20])
            let log = LogRecorder()

            let report = try await pusher(chunkSize: chunkSize, log: log, home: work).push(layout: image.directory, to: "\(mock.host)/\(name):1")

            XCTAssertEqual(report.digest, image.manifestDigest, name)
            XCTAssertEqual(report.uploadedBlobs, 2, name)
            // The mock checks each blob's SHA-256 against the digest on the final PUT (400 otherwise).
            XCTAssertEqual(try headStatus(mock, name, image.layerDigests[0]), "200", name)
            // The cut request was resent: by libcurl on a fresh connection (rewinding the file through its
            // seek callback) when the cut one was reused, else by our retry with a new upload session.
            let bodies = mock.requests.filter { $0.path.contains("/blobs/uploads/") && ($0.method == "PATCH" || $0.method == "PUT") }
            XCTAssertEqual(bodies.count, name == "chunked" ? 1 + 3 + 1 + 1 : 1 + 2, "\(name): \(bodies.map { "\($0.method) \($0.path)" })")
            let retried = log.lines.contains { $0.contains("uploading blob \(image.layerDigests[0].shortDigest)") && $0.contains("retrying") }
            print("\(name): the cut upload was resent by \(retried ? "a retry with a new session" : "libcurl on a fresh connection")")
        }
    }

    func testBlobFileThatShrinksOrGrowsDuringThePushFailsAndCommitsNothing() async throws {
        for fault in ["shrink-blob-file", "grow-blob-file"] {
            let work = try temporaryDirectory(self)
            // 40 MiB of random bytes in one 32 MiB chunk and one 8 MiB chunk: more than loopback socket buffers hold,
            // so the change usually lands while the first chunk is still being read from the file.
            let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [40 << 20])
            let layer = image.directory.appendingPathComponent("blobs/sha256/" + image.layerDigests[0].dropFirst("sha256:".count))
            let mock = try MockRegistry(testCase: self, faults: [fault], blobFile: layer)
            let log = LogRecorder()

            do {
                _ = try await pusher(chunkSize: 32 << 20, log: log, home: work).push(layout: image.directory, to: "\(mock.host)/changing:1")
                XCTFail("\(fault): the push succeeded")
            } catch let error as RegistryError {
                guard case let .blobChanged(path, digest, detail) = error else { return XCTFail("\(fault): \(error)") }
                XCTAssertEqual(path, layer.path)
                XCTAssertEqual(digest, image.layerDigests[0])
                XCTAssertTrue(detail.contains("bytes"), detail)
                XCTAssertEqual(error.description.split(separator: "\n").count, 1, error.description)
                print("\(fault): \(error.description)")
            }
            XCTAssertEqual(try headStatus(mock, "changing", image.layerDigests[0]), "404", "\(fault): nothing under the layer's digest")
            XCTAssertFalse(mock.requests.contains { $0.method == "PUT" && $0.path.contains(image.layerDigests[0]) },
                           "\(fault): the upload was never completed")
            XCTAssertFalse(mock.requests.contains { $0.method == "PUT" && $0.path.contains("/manifests/") }, "\(fault): no manifest")
        }
    }

    func testBlobFileRewrittenInPlaceDuringThePushIsRefusedByTheDigestCheck() async throws {
        let work = try temporaryDirectory(self)
        let image = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [40 << 20])
        let layer = image.directory.appendingPathComponent("blobs/sha256/" + image.layerDigests[0].dropFirst("sha256:".count))
        let mock = try MockRegistry(testCase: self, faults: ["corrupt-blob-file"], blobFile: layer)
        do {
            _ = try await pusher(chunkSize: 32 << 20, log: LogRecorder(), home: work).push(layout: image.directory, to: "\(mock.host)/rewritten:1")
            XCTFail("the push succeeded")
        } catch let error as RegistryError {
            // Same size, other bytes: the registry's digest check on the final PUT refuses the upload.
            guard case let .unexpectedResponse(_, status, detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 400)
            XCTAssertTrue(detail.contains("DIGEST_INVALID"), detail)
        }
        XCTAssertEqual(try headStatus(mock, "rewritten", image.layerDigests[0]), "404", "nothing under the layer's digest")
        XCTAssertFalse(mock.requests.contains { $0.method == "PUT" && $0.path.contains("/manifests/") }, "no manifest")
    }
}
