@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// The ELF reader never traps: every truncation and mutation of a real binary gives a clean
/// error or an answer; shared libraries are refused as executables, static-PIE is accepted.
final class ELFFuzzTests: XCTestCase {
    /// 20,000 inputs: 4,000 truncations, 16,000 runs of random byte and field mutations of the headers.
    func testTruncationsAndMutationsNeverCrash() throws {
        try Prerequisite.requireTools("gcc")
        let original = try TestSupport.readBytes(TestSupport.fixtures.staticBinary)
        var generator = SplitMix64(seed: 0x5eed)
        var answers = 0, errors = 0
        /// Inputs shorter than the 64-byte ELF64 header that were answered: there must be none.
        var answeredWithoutHeader: [Int] = []
        func parse(_ bytes: [UInt8], size: Int) {
            do {
                let elf = try ELFExecutable(source: MemoryByteSource(bytes: bytes, size: size), path: "fuzz")
                XCTAssertFalse(elf.architecture.isEmpty)
                if size < 64 { answeredWithoutHeader.append(size) }
                answers += 1
            } catch is ELFError {
                errors += 1
            } catch {
                XCTFail("unexpected error type: \(error)")
            }
        }
        for index in 0..<4_000 {
            // Every length up to 2 KiB, then random lengths across the file.
            let length = index < 2_048 ? index : Int(generator.next() % UInt64(original.count))
            parse(original, size: length)
        }
        var mutated = original
        let headerSpan = min(original.count, 4_096)
        for _ in 0..<16_000 {
            var changes: [(Int, UInt8)] = []
            for _ in 0..<(1 + Int(generator.next() % 8)) {
                // Mostly the ELF header and program headers, sometimes anywhere.
                let position = generator.next() % 4 == 0 ? Int(generator.next() % UInt64(original.count)) : Int(generator.next() % UInt64(headerSpan))
                changes.append((position, mutated[position]))
                let choice = generator.next() % 4
                mutated[position] = choice == 0 ? 0xff : choice == 1 ? 0 : UInt8(truncatingIfNeeded: generator.next())
            }
            parse(mutated, size: mutated.count)
            for (position, byte) in changes.reversed() { mutated[position] = byte }
        }
        XCTAssertEqual(answeredWithoutHeader, [], "truncated below the ELF header, yet answered")
        // Both outcomes must occur, or the mutations no longer reach the reader's checks.
        XCTAssertGreaterThan(errors, 500, "answers \(answers), errors \(errors)")
        XCTAssertGreaterThan(answers, 1_000, "answers \(answers), errors \(errors)")
    }

    func testCrafted() throws {
        try Prerequisite.requireTools("gcc")
        let original = try TestSupport.readBytes(TestSupport.fixtures.staticBinary)
        func attempt(_ change: (inout [UInt8]) -> Void) -> Result<ELFExecutable, Error> {
            var bytes = original
            change(&bytes)
            return Result { try ELFExecutable(source: MemoryByteSource(bytes: bytes, size: bytes.count), path: "x") }
        }
        // 55 bytes, e_phentsize = 0, a huge e_phoff, a huge e_phnum.
        assertThrows(ELFError.self) { try ELFExecutable(source: MemoryByteSource(bytes: original, size: 55), path: "x") }
        if case .success = attempt({ $0[54] = 0; $0[55] = 0 }) { XCTFail("e_phentsize 0 accepted") }
        if case .success = attempt({ for i in 32..<40 { $0[i] = 0xff } }) { XCTFail("huge e_phoff accepted") }
        if case .success = attempt({ $0[56] = 0xff; $0[57] = 0xff }) { XCTFail("e_phnum 0xffff accepted") }
    }

    func testSharedLibraryIsRefusedStaticPIEIsAccepted() throws {
        try Prerequisite.requireTools("gcc")
        let libz = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"].first { FileManager.default.fileExists(atPath: $0) }
        let library = try XCTUnwrap(libz, "libz.so.1 is installed with zlib1g")
        assertThrows(ImageBuildError.self) { try ImageAssembler.inspectExecutable(library) }
        XCTAssertTrue(try ELFExecutable(path: library).notRunnableReason != nil)

        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.helloSource.write(toFile: directory + "/hello.c", atomically: true, encoding: .utf8)
        let built = try TestSupport.run("gcc", ["-static-pie", "-O2", "-o", directory + "/pie", directory + "/hello.c"])
        XCTAssertEqual(built.status, 0, "\(built.stderr)")
        let pie = try ImageAssembler.inspectExecutable(directory + "/pie")
        XCTAssertTrue(pie.isStatic)
        XCTAssertNil(pie.notRunnableReason)
        let shared = try TestSupport.run("gcc", ["-shared", "-fPIC", "-o", directory + "/libx.so", directory + "/hello.c"])
        XCTAssertEqual(shared.status, 0)
        assertThrows(ImageBuildError.self) { try ImageAssembler.inspectExecutable(directory + "/libx.so") }
        // The dynamic PIE fixture is an executable (it needs a loader, handled separately).
        XCTAssertEqual(try ELFExecutable(path: TestSupport.fixtures.dynamicBinary).notRunnableReason, nil)
    }
}

/// A small deterministic generator, so a failing input can be reproduced.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
