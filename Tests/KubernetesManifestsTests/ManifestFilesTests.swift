import Foundation
@testable import KubernetesManifests
import XCTest

/// Which files a folder contributes, and the limits on them.
final class ManifestFilesTests: XCTestCase {
    func testFolderWalkTakesManifestsInNameOrderAndFollowsLinksToFilesOnly() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fm = FileManager.default
        func write(_ name: String, _ text: String) throws {
            let url = folder.appendingPathComponent(name)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try write("b.yaml", "image: swift://b\n")
        try write("a.yml", "image: swift://a\n")
        try write("sub/c.json", "{\"image\": \"swift://c\"}")
        try write("notes.txt", "image: swift://not-yaml\n")
        try write(".git/config.yaml", "image: swift://hidden\n")
        try write("outside/d.yaml", "image: swift://d\n")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("link.yaml").path, withDestinationPath: "b.yaml")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("loop").path, withDestinationPath: ".")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("dir-link").path, withDestinationPath: "outside")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("dangling.yaml").path, withDestinationPath: "nowhere.yaml")

        let files = try ManifestFiles.collect(folder.path).map { String($0.dropFirst(folder.path.count + 1)) }
        XCTAssertEqual(files, ["a.yml", "b.yaml", "link.yaml", "outside/d.yaml", "sub/c.json"])
        XCTAssertEqual(try ManifestSet.load([folder.path]).products, ["a", "b", "d", "c"])
    }

    func testOneFileIsTakenWhateverItsName() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("manifest.txt")
        try Data("image: swift://a\n".utf8).write(to: file)
        XCTAssertEqual(try ManifestFiles.collect(file.path), [file.path])
    }

    func testEmptyFolderMissingPathAndHugeFileAreRefused() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertEqual(Support.error { _ = try ManifestFiles.collect(folder.path) }, .noManifests(path: folder.path))
        let missing = folder.appendingPathComponent("nope.yaml").path
        XCTAssertEqual(Support.error { _ = try ManifestFiles.collect(missing) }, .unreadable(path: missing, reason: "no such file or folder"))

        let huge = folder.appendingPathComponent("huge.yaml")
        XCTAssertTrue(FileManager.default.createFile(atPath: huge.path, contents: nil))
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: UInt64(ManifestFiles.sizeLimit + 1))  // sparse: no real disk use
        try handle.close()
        XCTAssertEqual(Support.error { _ = try ManifestFiles.read(huge.path) },
                       .tooLarge(path: huge.path, bytes: ManifestFiles.sizeLimit + 1, limit: ManifestFiles.sizeLimit))
    }

    func testAFileThatIsNotUTF8IsRefusedWithItsLine() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let latin1 = folder.appendingPathComponent("latin1.yaml")
        // "# caf\u{e9}" in ISO 8859-1 on line 2: kubectl refuses it, and a rewrite must never pass it on.
        try Data("a: 1\n# caf".utf8 + [0xE9] + Data("\nimage: swift://app\n".utf8)).write(to: latin1)
        XCTAssertEqual(Support.error { _ = try ManifestFiles.read(latin1.path) }, .notUTF8(file: latin1.path, line: 2))
        XCTAssertEqual(ManifestError.notUTF8(file: "x.yaml", line: 2).description,
                       "x.yaml:2: not valid UTF-8, which YAML and Kubernetes require; save the file as UTF-8")
        let truncated = folder.appendingPathComponent("truncated.yaml")
        try Data("image: swift://app # \u{e9}".utf8.dropLast()).write(to: truncated)  // half of a two-byte sequence
        XCTAssertEqual(Support.error { _ = try ManifestFiles.read(truncated.path) }, .notUTF8(file: truncated.path, line: 1))
        let fine = folder.appendingPathComponent("fine.yaml")
        let text = "\u{FEFF}# caf\u{e9} \u{1F600}\nimage: swift://app\n"
        try Data(text.utf8).write(to: fine)
        XCTAssertEqual(try ManifestFiles.read(fine.path), Array(text.utf8))
    }

    func testSeveralFilesAreJoinedWithDocumentMarkers() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("a: 1".utf8).write(to: folder.appendingPathComponent("1.yaml"))  // no final newline
        try Data("image: swift://x\n".utf8).write(to: folder.appendingPathComponent("2.yaml"))
        let resolved = try ManifestSet.load([folder.path]).resolved(images: ["x": "r.example/t/x@" + Support.digestA])
        XCTAssertEqual(String(decoding: resolved, as: UTF8.self), "a: 1\n---\nimage: r.example/t/x@\(Support.digestA)\n")

        // Byte order marks: kept at the start of the stream, dropped inside it.
        try Data("\u{FEFF}a: 1\n".utf8).write(to: folder.appendingPathComponent("1.yaml"))
        try Data("\u{FEFF}image: swift://x\r\n".utf8).write(to: folder.appendingPathComponent("2.yaml"))
        let joined = try ManifestSet.load([folder.path]).resolved(images: ["x": "r.example/t/x@" + Support.digestA])
        XCTAssertEqual(String(decoding: joined, as: UTF8.self), "\u{FEFF}a: 1\n---\nimage: r.example/t/x@\(Support.digestA)\r\n")
    }

    func testImageMappings() throws {
        let mapping = try ImageMapping(parsing: "HelloWeb=127.0.0.1:5000/team/helloweb@" + Support.digestA)
        XCTAssertEqual(mapping.product, "HelloWeb")
        XCTAssertEqual(mapping.reference, "127.0.0.1:5000/team/helloweb@" + Support.digestA)
        for bad in ["HelloWeb", "=r/x@" + Support.digestA, "a=r/x:1", "a=r/x@sha256:abc", "a=x@" + Support.digestA,
                    "a=r/x@" + Support.digestA.uppercased(), "a=r/x y@" + Support.digestA, "a=r/\"x@" + Support.digestA] {
            XCTAssertEqual(Support.error { _ = try ImageMapping(parsing: bad) }, .invalidImageMapping(bad), bad)
        }
        XCTAssertEqual(ImageMapping.repository(prefix: "127.0.0.1:5000/team/", product: "HelloWeb"), "127.0.0.1:5000/team/helloweb")
    }
}
