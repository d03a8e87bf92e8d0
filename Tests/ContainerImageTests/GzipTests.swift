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
