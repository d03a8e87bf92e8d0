import ContainerImage
import Foundation
import TestSupport
import XCTest

final class ELFTests: XCTestCase {
    func testStaticExecutable() throws {
        try Prerequisite.requireTools("gcc")
        let elf = try ELFExecutable(path: TestSupport.fixtures.staticBinary)
        XCTAssertTrue(elf.isStatic)
        XCTAssertEqual(elf.architecture, "amd64")
    }

    func testDynamicExecutableAndItsLibraries() throws {
        try Prerequisite.requireTools("gcc", "ldd")
        let elf = try ELFExecutable(path: TestSupport.fixtures.dynamicBinary)
        let interpreter = try XCTUnwrap(elf.interpreter)
        XCTAssertTrue(interpreter.hasPrefix("/lib"))
        let libraries = try ELFExecutable.sharedLibraryClosure(path: TestSupport.fixtures.dynamicBinary, interpreter: interpreter)
        XCTAssertEqual(libraries.first, interpreter)
        XCTAssertTrue(libraries.contains { $0.hasSuffix("/libc.so.6") })
        XCTAssertTrue(libraries.allSatisfy { $0.hasPrefix("/") })
    }

    func testNotAnELFFile() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try "#!/bin/sh\necho hi\n".write(toFile: directory + "/script", atomically: true, encoding: .utf8)
        assertThrows(ELFError.notELF(path: directory + "/script")) { try ELFExecutable(path: directory + "/script") }
    }
}

/// Issue 21, row 10: an executable cut short (a copy interrupted, a download cut) used to be
/// accepted, and the image segfaulted at start. Its segments must lie inside the file.
final class TruncatedELFTests: XCTestCase {
    func testAnExecutableTruncatedToItsFirst1000BytesIsRefused() throws {
        let directory = try temporaryDirectory(self, "truncated-elf").path
        for binary in [TestSupport.fixtures.staticBinary, TestSupport.fixtures.dynamicBinary] {
            XCTAssertNoThrow(try ELFExecutable(path: binary), "the whole file is fine")
            let cut = directory + "/cut"
            try Data(try TestSupport.readBytes(binary).prefix(1000)).write(to: URL(fileURLWithPath: cut))
            do {
                _ = try ELFExecutable(path: cut)
                XCTFail("\(binary) cut to 1000 bytes was accepted")
            } catch {
                XCTAssertTrue("\(error)".contains("truncated ELF file"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    /// Through the command line: the build refuses it, with that one line, and writes nothing.
    func testTheBuildRefusesATruncatedExecutable() throws {
        let directory = try temporaryDirectory(self, "truncated-elf-build").path
        let cut = directory + "/app"
        try Data(try TestSupport.readBytes(TestSupport.fixtures.staticBinary).prefix(1000)).write(to: URL(fileURLWithPath: cut))
        chmod(cut, 0o755)
        let result = try TestSupport.containertool(["build", "--executable", cut, "--output", "oci-layout:" + directory + "/out"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("truncated ELF file"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out"))
    }
}
