import CSHA256
import Foundation
import OCIModel
import TestSupport
import XCTest

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST CAVP example vectors.
    func testNistVectors() {
        for (message, expected) in [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ] {
            nistVectors(message: message, expected: expected)
        }
    }

    func nistVectors(message: String, expected: String) {
        XCTAssertEqual(SHA256.hash(Array(message.utf8)).hexString, expected)
    }

    func testMillionAs() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        XCTAssertEqual(hasher.finalize().hexString, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Streaming in chunk sizes that straddle block boundaries gives the one-shot digest.
    func testStreamingMatchesOneShot() {
        var generator = SystemRandomNumberGenerator()
        let message = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let expected = SHA256.hash(message)
        for chunkSize in [1, 3, 55, 56, 63, 64, 65, 127, 128, 1000, 4096, 4097] {
            var hasher = SHA256()
            var offset = 0
            while offset < message.count {
                let end = min(offset + chunkSize, message.count)
                message[offset..<end].withUnsafeBytes { hasher.update($0) }
                offset = end
            }
            XCTAssertEqual(hasher.finalize(), expected, "chunk size \(chunkSize)")
        }
    }

    /// Every padding length (0…130 bytes) agrees with the system's sha256sum.
    func testAgreesWithSha256sum() throws {
        try Prerequisite.requireTools("sha256sum")
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 130, 1 << 20] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let system = try runProcess("sha256sum", [], input: message)
            XCTAssertEqual(String(system.stdout.prefix(64)), SHA256.hash(message).hexString, "length \(length)")
        }
    }

    /// The dispatched compression (SHA extensions on CPUs that have them) and the portable C one
    /// agree on random blocks, one block at a time and in long runs.
    func testDispatchedAndPortableCompressionAgree() {
        var generator = SystemRandomNumberGenerator()
        for blockCount in [1, 2, 3, 4, 7, 16, 63, 64, 65, 1000] {
            let blocks = (0..<blockCount * 64).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let start = (0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
            var dispatched = start
            var portable = start
            csha256_compress(&dispatched, blocks, blockCount)
            csha256_compress_portable(&portable, blocks, blockCount)
            XCTAssertEqual(dispatched, portable, "\(blockCount) blocks")
            XCTAssertTrue(dispatched != start)
        }
    }

    /// On a CPU that advertises the SHA extensions, they are the path taken.
    func testUsesSHAExtensionsWhenTheCPUHasThem() throws {
        let cpuFlags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        #if arch(x86_64)
        let expected: Int32 = cpuFlags.contains("sha_ni") ? 1 : 0
        #else
        let expected: Int32 = 0
        #endif
        XCTAssertEqual(csha256_uses_sha_extensions(), expected)
    }
}
