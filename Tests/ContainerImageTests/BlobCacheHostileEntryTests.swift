import Foundation
import Glibc
import OCIModel
import XCTest

/// Issue 21 row 7: the cache opens only regular files it owns; a FIFO is a miss, never a hang, and a
/// symlinked temp folder is refused instead of deleting files outside the cache.
final class BlobCacheHostileEntryTests: XCTestCase {
    func testFIFOInPlaceOfABlobIsAMissNotAHang() throws {
        let root = try TestSupport.makeTemporaryDirectory("cache-fifo")
        defer { TestSupport.remove(root) }
        let cache = BlobCache(root: root)
        let digest = "sha256:" + String(repeating: "c", count: 64)
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(try cache.path(of: digest), 0o644), 0)
        XCTAssertNil(try cache.verifiedFile(for: Descriptor(mediaType: MediaType.layerTarGzip, digest: digest, size: 0)))
    }

    func testSymlinkedTempFolderIsRefusedAndOutsideFilesSurvive() throws {
        let root = try TestSupport.makeTemporaryDirectory("cache-tmp-link")
        let outside = try TestSupport.makeTemporaryDirectory("cache-outside")
        defer { TestSupport.remove(root); TestSupport.remove(outside) }
        let victim = outside + "/precious"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: victim))
        let old = Date().addingTimeInterval(-3 * 86_400)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: victim)
        XCTAssertEqual(symlink(outside, root + "/tmp"), 0)
        XCTAssertThrowsError(try BlobCache(root: root).createTemporaryFile(for: "sha256:" + String(repeating: "d", count: 64)))
        XCTAssertTrue(FileManager.default.fileExists(atPath: victim), "the cache deleted a file outside it")
    }
}
