@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Issue 21, row 1: no value a tar header holds can trap, in the base reader (`TarHeaderStream`)
/// or in `inspect`'s readers (`TarReader`, `TarFileImageSource`), which share `TarFields`.
final class ForeignTarHeaderTests: XCTestCase {
    /// A PAX `size` of Int.max used to trap (overflow adding the padding): now a one-line refusal
    /// naming the layer's digest, plain or gzip-compressed.
    func testAPAXSizeOfIntMaxRefusesTheBaseNamingTheLayer() throws {
        let directory = try temporaryDirectory(self, "pax-size").path
        let tar = ForeignBytes.pax(TarWriter.paxBody([("size", String(Int.max))])) + ForeignBytes.file("big", [1, 2, 3]) + ForeignBytes.end
        for gzip in [false, true] {
            let base = try ForeignBytes.base([(tar, gzip)], in: directory)
            do {
                _ = try base.fileTree()
                XCTFail("accepted")
            } catch {
                XCTAssertTrue("\(error)".contains(base.layers[0].blob.digest), "\(error)")
                XCTAssertTrue("\(error)".contains("more than any archive holds"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
        assertThrows(TarError.self) { try TarReader.read(tar) }
        // inspect's indexed reader of a plain archive.
        let file = directory + "/archive.tar"
        try Data(tar).write(to: URL(fileURLWithPath: file))
        assertThrows(ImageReadError.self) { try TarFileImageSource(path: file) }
    }

    /// Every other way a header can hold a huge or broken number: a base-256 size past Int.max or
    /// negative, a PAX record whose length overflows or points before its own text, a negative PAX
    /// size, garbage in an octal field. Each is a thrown TarError in every reader, never a trap.
    func testNoHeaderValueTraps() throws {
        let base256Huge: [UInt8] = [0x80] + Array(repeating: 0xff, count: 11)
        let base256Negative: [UInt8] = [0xff] + Array(repeating: 0xff, count: 11)
        let cases: [(String, [UInt8])] = [
            ("base-256 size past Int.max", ForeignBytes.header("a", sizeField: base256Huge) + ForeignBytes.end),
            ("negative base-256 size", ForeignBytes.header("a", sizeField: base256Negative) + ForeignBytes.end),
            ("PAX length Int.max", ForeignBytes.pax(Array("9223372036854775807 path=a\n".utf8)) + ForeignBytes.file("a", []) + ForeignBytes.end),
            ("PAX length before its text", ForeignBytes.pax(Array("1 path=a\n".utf8)) + ForeignBytes.file("a", []) + ForeignBytes.end),
            ("PAX length 6 on a longer record", ForeignBytes.pax(Array("6 path=abcdef\n".utf8)) + ForeignBytes.file("a", []) + ForeignBytes.end),
            ("negative PAX size", ForeignBytes.pax(TarWriter.paxBody([("size", "-5")])) + ForeignBytes.file("a", []) + ForeignBytes.end),
            ("PAX size past Int.max", ForeignBytes.pax(TarWriter.paxBody([("size", "99999999999999999999")])) + ForeignBytes.file("a", []) + ForeignBytes.end),
            ("octal garbage", ForeignBytes.header("a", sizeField: Array("12x4".utf8)) + ForeignBytes.end),
        ]
        for (label, tar) in cases {
            assertThrows(TarError.self, label) { try TarReader.read(tar) }
            let stream = TarHeaderStream { _ in }
            assertThrows(TarError.self, label) { try tar.withUnsafeBytes { try stream.write($0) }; try stream.finish() }
        }
    }

    /// What Go's archive/tar accepts still reads: base-256 sizes (GNU, for files of 8 GiB and more),
    /// fields padded with spaces or NULs, PAX records of every valid length.
    func testValidNumbersAndRecordsAreRead() throws {
        XCTAssertEqual(try TarFields.number(ArraySlice([0x80] + Array(repeating: 0, count: 9) + [0x01, 0x02]), name: "size"), 258)
        XCTAssertEqual(try TarFields.number(ArraySlice(" 0644 \u{0}".utf8), name: "mode"), 0o644)
        XCTAssertEqual(try TarFields.number(ArraySlice([UInt8](repeating: 0, count: 8)), name: "uid"), 0)
        XCTAssertEqual(try TarFields.number(ArraySlice("77777777777\u{0}".utf8), name: "size"), 0o77777777777)
        let records = try TarFields.paxRecords(TarWriter.paxBody([("path", String(repeating: "p", count: 300)), ("mtime", "1.5")]))
        XCTAssertEqual(records.map(\.0), ["path", "mtime"])
        XCTAssertEqual(records[0].1.count, 300)
        let tar = ForeignBytes.header("big", sizeField: [0x80] + Array(repeating: 0, count: 10) + [3]) + ForeignBytes.padded([9, 9, 9]) + ForeignBytes.end
        XCTAssertEqual(try TarReader.read(tar).first?.contents, [9, 9, 9])
    }
}
