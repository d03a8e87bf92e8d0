import ContainerImage
import Foundation
import TestSupport
import XCTest

final class GzipTests: XCTestCase {
    static let sample = Array(String(repeating: "Hello, container world! 0123456789\n", count: 2000).utf8)

    func testRoundTripThroughGunzip() throws {
        try Prerequisite.requireTools("gunzip")
        let compressed = try Gzip.compress(Self.sample)
        XCTAssertTrue(compressed.count < Self.sample.count / 10)
        let result = try TestSupport.run("gunzip", ["-c"], input: compressed)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        XCTAssertEqual(result.stdoutBytes, Self.sample)
        XCTAssertEqual(try Gzip.decompress(compressed), Self.sample)
    }

    func testRoundTripOfRandomBytesInManyWrites() throws {
        var generator = SystemRandomNumberGenerator()
        let message = (0..<700_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var compressed = [UInt8]()
        let compressor = try GzipCompressor { compressed.append(contentsOf: $0) }
        var offset = 0
        while offset < message.count {
            let end = min(offset + 12_345, message.count)
            try message[offset..<end].withUnsafeBytes { try compressor.write($0) }
            offset = end
        }
        try compressor.finish()
        XCTAssertEqual(try Gzip.decompress(compressed), message)
    }

    /// RFC 1952 header: magic, deflate, no flags (no name/comment), mtime 0, OS 255.
    func testDeterministicHeader() throws {
        let compressed = try Gzip.compress(Self.sample)
        XCTAssertEqual(Array(compressed.prefix(4)), [0x1f, 0x8b, 8, 0])
        XCTAssertEqual(Array(compressed[4..<8]), [0, 0, 0, 0])
        XCTAssertEqual(compressed[9], 255)
    }

    /// The same input gives the same bytes, pinned to a fixed digest (system zlib, level 1).
    func testFixedDigest() throws {
        let first = try Gzip.compress(Self.sample)
        let second = try Gzip.compress(Self.sample)
        XCTAssertEqual(first, second)
        XCTAssertEqual(sha256Digest(first), "sha256:4f3290ee84d8753435610844a65386e9900c4501dc26ba230781b9ed7ad9083c")
    }

    func testTruncatedStreamIsAnError() throws {
        let compressed = try Gzip.compress(Self.sample)
        assertThrows(GzipError.self) { try Gzip.decompress(Array(compressed.prefix(compressed.count / 2))) }
    }

    /// Parallel gzip: one valid member whatever the block boundaries, the same bytes with 1, 2 or
    /// 4 threads (so digests do not depend on the machine), and `gzip -t` agrees.
    func testParallelGzipIsDeterministicAndValid() throws {
        for size in [0, 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345] {
            try parallelGzipIsDeterministicAndValid(size: size)
        }
    }

    func parallelGzipIsDeterministicAndValid(size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size))
        // Half random, half repetitive: both stored-like and well-compressed blocks.
        let input = (0..<size).map { index in index % 4096 < 2048 ? UInt8(truncatingIfNeeded: generator.next()) : UInt8(index % 7) }
        var outputs: [[UInt8]] = []
        for threads in [1, 2, 4] {
            var output: [UInt8] = []
            let compressor = try ParallelGzipCompressor(threads: threads) { output.append(contentsOf: $0) }
            // Odd write sizes cross block boundaries.
            var offset = 0
            while offset < input.count {
                let end = min(input.count, offset + 333_333)
                try input[offset..<end].withUnsafeBytes { try compressor.write($0) }
                offset = end
            }
            try compressor.finish()
            outputs.append(output)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[1], outputs[2])
        XCTAssertEqual(try Gzip.decompress(outputs[0]), input)
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try Data(outputs[0]).write(to: URL(fileURLWithPath: directory + "/x.gz"))
        XCTAssertEqual(try TestSupport.run("gzip", ["-t", directory + "/x.gz"]).status, 0)
    }
}

/// Issue 21, row 2: a gzip stream of several members (`cat a.gz b.gz`, eStargz, pigz) is read
/// whole, as Go's compress/gzip and zlib's gunzip read it; bytes after a member that are not
/// another member are refused, as Go refuses them.
final class GzipMembersTests: XCTestCase {
    func gunzip(_ bytes: [UInt8], chunk: Int) throws -> [UInt8] {
        var result: [UInt8] = []
        let decompressor = try GzipDecompressor { result.append(contentsOf: $0) }
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            try bytes[offset..<end].withUnsafeBytes { try decompressor.write($0) }
            offset = end
        }
        try decompressor.finish()
        return result
    }

    func testEveryMemberIsReadInAnyChunking() throws {
        let parts: [[UInt8]] = [Array("first member\n".utf8), (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }, [], Array("third\n".utf8)]
        let stream = try parts.flatMap { try Gzip.compress($0) }
        let whole = parts.flatMap { $0 }
        for chunk in [1, 2, 3, 17, 4096, 1 << 20] {
            XCTAssertEqual(try gunzip(stream, chunk: chunk), whole, "chunks of \(chunk)")
        }
        // zlib's gunzip reads the same bytes.
        let directory = try temporaryDirectory(self, "gzip-members").path
        try Data(stream).write(to: URL(fileURLWithPath: directory + "/members.gz"))
        let gunzip = try TestSupport.run("/bin/sh", ["-c", "gunzip -c '\(directory)/members.gz' | sha256sum"])
        XCTAssertEqual(gunzip.stdout.prefix(64), sha256Digest(whole).dropFirst(7))
    }

    func testBytesAfterTheLastMemberThatAreNotGzipAreRefused() throws {
        let member = try Gzip.compress(Array("data".utf8))
        for (label, trailer) in [("zeros", [UInt8](repeating: 0, count: 512)), ("text", Array("garbage".utf8)), ("half a magic", [0x1f]),
                                 ("magic then garbage", [0x1f, 0x8b, 0, 0, 0])] {
            for chunk in [1, 5, 100_000] {
                XCTAssertThrowsError(try gunzip(member + trailer, chunk: chunk), "\(label), chunks of \(chunk)") { error in
                    if label == "magic then garbage" {
                        XCTAssertTrue(error is GzipError, "\(error)")
                    } else {
                        XCTAssertEqual(error as? GzipError, .trailingData(offset: member.count), "\(label)")
                    }
                }
            }
        }
        // A member cut short is still truncated, after a whole one too.
        XCTAssertThrowsError(try gunzip(member + member.prefix(12), chunk: 7)) { XCTAssertEqual($0 as? GzipError, .truncated) }
    }
}
