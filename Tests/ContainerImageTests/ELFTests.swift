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
