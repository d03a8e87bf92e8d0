@testable import ContainerImage
import Foundation
import Glibc
import OCIModel
import XCTest

/// Issue 21 row 6: an `oci-layout:` blob taken from a file (a cached base layer) is a copy, never a
/// hard link, so editing or removing the output cannot corrupt the cache.
final class OCILayoutBlobCopyTests: XCTestCase {
    func inode(_ path: String) -> (device: UInt, inode: UInt) {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return (UInt(info.st_dev), UInt(info.st_ino))
    }

    func testLayoutBlobFromAFileSharesNoInodeWithIt() throws {
        let directory = try TestSupport.makeTemporaryDirectory("layout-copy")
        defer { TestSupport.remove(directory) }
        let cached = directory + "/cached-blob"
        let bytes = [UInt8](repeating: 0x5a, count: 300_000)
        try Data(bytes).write(to: URL(fileURLWithPath: cached))
        let blob = Blob(mediaType: MediaType.layerTarGzip, file: cached, digest: "sha256:" + String(repeating: "a", count: 64), size: bytes.count)
        let target = directory + "/output-blob"
        try OCILayoutDestination.write(blob, to: target)

        XCTAssertEqual(try TestSupport.readBytes(target), bytes)
        let (source, output) = (inode(cached), inode(target))
        XCTAssertFalse(source.device == output.device && source.inode == output.inode, "the output blob is a hard link to the cache")
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: target))
        XCTAssertEqual(try TestSupport.readBytes(cached), bytes, "editing the output changed the cache")
    }

    func testAFIFOInPlaceOfTheSourceIsRefusedWithoutHanging() throws {
        let directory = try TestSupport.makeTemporaryDirectory("layout-copy-fifo")
        defer { TestSupport.remove(directory) }
        XCTAssertEqual(mkfifo(directory + "/fifo", 0o644), 0)
        let blob = Blob(mediaType: MediaType.layerTarGzip, file: directory + "/fifo", digest: "sha256:" + String(repeating: "b", count: 64), size: 0)
        XCTAssertThrowsError(try OCILayoutDestination.write(blob, to: directory + "/out"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out"))
    }
}
