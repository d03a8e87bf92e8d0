import OCIModel
@testable import ContainerImage
import Foundation
import XCTest

/// The adversarial pass over `BaseImage` (`adv-base`): a base whose config does not describe its layers.
final class BaseImageAdversarialTests: XCTestCase {
    let tar = [UInt8](repeating: 7, count: 2048)
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "adv-base-image-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func base(diffIDs: [String], history: [HistoryEntry]?, layers: Int = 1) throws -> BaseImage {
        let file = directory + "/layer.tar"
        try Data(tar).write(to: URL(fileURLWithPath: file))
        let config = ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil, rootfs: RootFS(diffIDs: diffIDs), history: history)
        let descriptor = Descriptor(mediaType: MediaType.layerTar, digest: sha256Digest(tar), size: Int64(tar.count))
        return try BaseImage(reference: "base:1", configBytes: try CanonicalJSON.encode(config),
                             layers: Array(repeating: descriptor, count: layers), layerFiles: Array(repeating: file, count: layers))
    }

    /// A plain tar layer's diff_id is its digest; another one would give an image `docker load` rejects.
    func testAPlainLayerWhoseDiffIDIsNotItsDigestIsRefused() throws {
        XCTAssertNoThrow(try base(diffIDs: [sha256Digest(tar)], history: nil))
        XCTAssertThrowsError(try base(diffIDs: ["sha256:" + String(repeating: "0", count: 64)], history: nil)) { error in
            XCTAssertTrue("\(error)".contains("diff_id"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func ours() -> ImageConfig {
        ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil,
                    rootfs: RootFS(diffIDs: ["sha256:" + String(repeating: "1", count: 64)]), history: [HistoryEntry(created: nil, createdBy: "ours")])
    }

    /// A base without history (or with too little) still gives one non-empty history entry per layer,
    /// so ours describe our layers (`docker history`), not the base's.
    func testABaseWithoutHistoryKeepsOurHistoryOnOurLayers() throws {
        for history in [nil, [HistoryEntry(created: nil, createdBy: "empty", emptyLayer: true)]] as [[HistoryEntry]?] {
            let merged = try base(diffIDs: [sha256Digest(tar), sha256Digest(tar)], history: history, layers: 2).inherit(into: ours(), userIsExplicit: false)
            let nonEmpty = (merged.history ?? []).filter { $0.emptyLayer != true }
            XCTAssertEqual(nonEmpty.count, merged.rootfs.diffIDs.count)
            XCTAssertEqual(nonEmpty.last?.createdBy, "ours")
        }
    }

    /// More non-empty history entries than layers: `docker load` refuses such a config ("too many non-empty layers").
    func testABaseWithMoreLayerHistoryThanLayersIsRefused() throws {
        let history = [HistoryEntry(created: nil, createdBy: "a"), HistoryEntry(created: nil, createdBy: "b")]
        XCTAssertThrowsError(try base(diffIDs: [sha256Digest(tar)], history: history)) { error in
            XCTAssertTrue("\(error)".contains("history"), "\(error)")
        }
    }
}
