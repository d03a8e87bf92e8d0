import OCIModel
@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// `inspect` and a local `--from` base read a layout through `OCILayoutReader`, with the policy
/// `push` has too: where `inspect` was laxer (a blob named by another algorithm read unverified, a
/// config whose size is not its descriptor's, a manifest of any size), both now refuse it.
final class LayoutReaderPolicyTests: XCTestCase {
    var directory = ""
    var manifestDigest = ""

    override func setUpWithError() throws {
        directory = try TestSupport.makeTemporaryDirectory("layout-policy")
        manifestDigest = try BaseLayoutFixture.write([[.file("etc/motd", Array("hi\n".utf8))]], to: directory + "/layout")
    }

    override func tearDown() { TestSupport.remove(directory) }

    /// Rewrites the layout's manifest through `edit` and points `index.json` at the new one.
    func editManifest(_ edit: (inout [String: Any]) throws -> Void) throws {
        let layout = directory + "/layout"
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + manifestDigest.dropFirst(7)))) as? [String: Any])
        try edit(&manifest)
        let bytes = [UInt8](try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]))
        try Data(bytes).write(to: URL(fileURLWithPath: layout + "/blobs/sha256/" + sha256Digest(bytes).dropFirst(7)))
        let index = ImageIndex(manifests: [Descriptor(mediaType: MediaType.imageManifest, digest: sha256Digest(bytes), size: Int64(bytes.count))])
        try Data(try CanonicalJSON.encode(index)).write(to: URL(fileURLWithPath: layout + "/index.json"))
    }

    /// Both readers refuse the layout, each in one line that says `expected`.
    func assertRefused(_ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let layout = directory + "/layout"
        XCTAssertThrowsError(try ImageReader.read(path: layout), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "inspect: \(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
        }
        XCTAssertThrowsError(try BaseLayoutFixture.load(layout, cache: directory + "/cache"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "base: \(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), file: file, line: line)
        }
    }

    func testTheFixtureReadsInBoth() throws {
        XCTAssertEqual(try ImageReader.read(path: directory + "/layout").digest, manifestDigest)
        XCTAssertEqual(try BaseLayoutFixture.load(directory + "/layout", cache: directory + "/cache").manifestDigest, manifestDigest)
    }

    func testABlobNamedByAnotherAlgorithmIsRefused() throws {
        try editManifest { manifest in
            var config = try XCTUnwrap(manifest["config"] as? [String: Any])
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/layout/blobs/sha256/" + (config["digest"] as? String ?? "").dropFirst(7)))
            let hex = String(repeating: "ab", count: 64)
            try FileManager.default.createDirectory(atPath: directory + "/layout/blobs/sha512", withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: directory + "/layout/blobs/sha512/" + hex))
            config["digest"] = "sha512:" + hex
            manifest["config"] = config
        }
        assertRefused("is named by 'sha512:abab")
    }

    func testAConfigWhoseSizeIsNotItsDescriptorsIsRefused() throws {
        try editManifest { manifest in
            var config = try XCTUnwrap(manifest["config"] as? [String: Any])
            config["size"] = (config["size"] as? Int ?? 0) + 1
            manifest["config"] = config
        }
        assertRefused("does not match its digest")
    }

    func testAManifestOverFourMiBIsRefused() throws {
        try editManifest { manifest in manifest["annotations"] = ["padding": String(repeating: "x", count: 4 << 20)] }
        assertRefused("more than the 4 MiB")
    }

    /// An archive path that is a FIFO (nothing ever writes it) is refused by `inspect`, `push` and
    /// `--from` in one line; before, the gzip check's open waited for a writer for ever.
    func testAFIFONamedAsAnArchiveIsRefusedNotWaitedOn() throws {
        let fifo = directory + "/image.tar"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        for arguments in [["inspect", fifo], ["push", "oci-archive:" + fifo, "127.0.0.1:1/a:1"],
                          ["build", "--executable", TestSupport.fixtures.staticBinary, "--from", "oci-archive:" + fifo, "--output", "oci-layout:" + directory + "/out"]] {
            let result = try runProcess(TestSupport.containertool, arguments, timeout: 60)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out"))
        }
    }
}
