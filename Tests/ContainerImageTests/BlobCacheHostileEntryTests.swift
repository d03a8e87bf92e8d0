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

    /// Temporaries are new files in the cache's own tmp/ (never an existing name, never through a
    /// link), registered for interrupt cleanup; `discard` and a failed `commit` remove them, `store` leaves none.
    func testTemporariesAreNewFilesInTheCacheTmpFolderAndNeverLeftBehind() throws {
        let root = try TestSupport.makeTemporaryDirectory("cache-temporaries")
        defer { TestSupport.remove(root) }
        let cache = BlobCache(root: root)
        let digest = "sha256:" + String(repeating: "e", count: 64)
        let (first, firstDescriptor) = try cache.createTemporaryFile(for: digest)
        let (second, secondDescriptor) = try cache.createTemporaryFile(for: digest)
        defer { close(firstDescriptor); close(secondDescriptor) }
        XCTAssertNotEqual(first, second)
        for path in [first, second] {
            XCTAssertEqual(URL(fileURLWithPath: path).deletingLastPathComponent().path, root + "/tmp")
            var info = stat()
            XCTAssertEqual(lstat(path, &info), 0)
            XCTAssertEqual(info.st_mode & S_IFMT, S_IFREG)
            XCTAssertEqual(info.st_size, 0)
        }
        // Exclusive: the same name again (a planted file or symlink) is refused, not opened.
        XCTAssertEqual(open(first, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644), -1)
        cache.discard(temporary: first)
        XCTAssertFalse(FileManager.default.fileExists(atPath: first))
        // A commit that cannot rename (a directory is in the blob's place) removes the temporary.
        try FileManager.default.createDirectory(atPath: try cache.path(of: digest) + "/x", withIntermediateDirectories: true)
        XCTAssertThrowsError(try cache.commit(temporary: second, digest: digest))
        XCTAssertFalse(FileManager.default.fileExists(atPath: second))
        let bytes: [UInt8] = Array("blob".utf8)
        let stored = try cache.store(bytes, digest: "sha256:" + SHA256.hash(bytes).hexString)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: stored)), Data(bytes))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp"), [])
    }
}
