import ContainerImage
import Foundation
import TestSupport
import XCTest

final class TarTests: XCTestCase {
    static let longName = "deep/" + String(repeating: "directory-name/", count: 9) + "file-with-a-long-name.txt"

    static func archive(_ entries: [TarEntry], mtime: Int = 0) throws -> [UInt8] {
        var bytes = [UInt8]()
        try TarWriter(modificationTime: mtime) { bytes.append(contentsOf: $0) }.writeArchive(entries)
        return bytes
    }

    static let sampleEntries: [TarEntry] = [
        .file("b.txt", Array("bee\n".utf8)),
        .directory("deep"),
        .file(longName, Array("long\n".utf8)),
        TarEntry(path: "a-link", kind: .symlink(target: "b.txt"), mode: 0o777),
        .file("bin/tool", Array("#!\n".utf8), mode: 0o755),
        .directory("bin"),
        .directory("tmp", mode: 0o1777),
        .directory("home/nonroot", mode: 0o700, uid: 65532, gid: 65532),
    ]

    func testEntriesReadBackSortedWithFixedMetadata() throws {
        let records = try TarReader.read(try Self.archive(Self.sampleEntries, mtime: 1_234))
        XCTAssertEqual(records.map(\.path), ["a-link", "b.txt", "bin/", "bin/tool", "deep/", Self.longName, "home/nonroot/", "tmp/"])
        for record in records {
            XCTAssertEqual(record.modificationTime, 1_234)
            XCTAssertTrue(record.userName.isEmpty && record.groupName.isEmpty)
        }
        let byPath = Dictionary(uniqueKeysWithValues: records.map { ($0.path, $0) })
        XCTAssertEqual(byPath["a-link"]?.kind, .symlink)
        XCTAssertEqual(byPath["a-link"]?.linkName, "b.txt")
        XCTAssertEqual(byPath["bin/tool"]?.mode, 0o755)
        XCTAssertEqual(byPath["bin/tool"]?.contents, Array("#!\n".utf8))
        XCTAssertEqual(byPath["tmp/"]?.mode, 0o1777)
        XCTAssertEqual(byPath["tmp/"]?.kind, .directory)
        XCTAssertEqual(byPath["home/nonroot/"]?.uid, 65532)
        XCTAssertEqual(byPath["home/nonroot/"]?.gid, 65532)
        XCTAssertEqual(byPath["b.txt"]?.uid, 0)
        XCTAssertEqual(byPath["b.txt"]?.mode, 0o644)
        XCTAssertEqual(byPath[Self.longName]?.contents, Array("long\n".utf8))
    }

    /// GNU tar reads the archive: names (PAX long name included), modes, owners, link, times.
    func testGnuTarListsIt() throws {
        try Prerequisite.requireTools("tar")
        let listing = try TestSupport.run("tar", ["--numeric-owner", "--full-time", "-tvf", "-"], input: try Self.archive(Self.sampleEntries))
        XCTAssertEqual(listing.status, 0, "\(listing.stderr)")
        let lines = listing.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 8)
        XCTAssertTrue(lines.contains { $0.hasPrefix("lrwxrwxrwx 0/0") && $0.hasSuffix("a-link -> b.txt") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("drwxrwxrwt 0/0") && $0.hasSuffix(" tmp/") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("drwx------ 65532/65532") && $0.hasSuffix(" home/nonroot/") })
        XCTAssertTrue(lines.contains { $0.hasSuffix(" " + Self.longName) })
        XCTAssertTrue(lines.allSatisfy { $0.contains("1970-01-01 00:00:00") })
    }

    /// Extracting with GNU tar gives back the file contents.
    func testGnuTarExtractsIt() throws {
        try Prerequisite.requireTools("tar")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.run("tar", ["-xf", "-", "-C", directory], input: try Self.archive(Self.sampleEntries))
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        XCTAssertEqual(try String(contentsOfFile: directory + "/" + Self.longName, encoding: .utf8), "long\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/a-link"), "b.txt")
    }

    func testSameEntriesInAnyOrderGiveSameBytes() throws {
        XCTAssertEqual(try Self.archive(Self.sampleEntries), try Self.archive(Self.sampleEntries.reversed()))
    }

    func testHostFileThatChangesSizeIsAnError() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try "12345".write(toFile: directory + "/f", atomically: true, encoding: .utf8)
        let entry = TarEntry(path: "f", kind: .file(.hostFile(path: directory + "/f", size: 3)), mode: 0o644)
        assertThrows(TarError.fileChanged(path: directory + "/f")) { try Self.archive([entry]) }
    }
}
