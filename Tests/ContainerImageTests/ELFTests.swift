import ContainerImage
import Foundation
import Testing

@Suite("ELF inspection")
struct ELFTests {
    @Test func staticExecutable() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let elf = try ELFExecutable(path: TestSupport.fixtures.staticBinary)
        #expect(elf.isStatic)
        #expect(elf.architecture == "amd64")
    }

    @Test func dynamicExecutableAndItsLibraries() throws {
        guard TestSupport.requireTool("gcc"), TestSupport.requireTool("ldd") else { return }
        let elf = try ELFExecutable(path: TestSupport.fixtures.dynamicBinary)
        let interpreter = try #require(elf.interpreter)
        #expect(interpreter.hasPrefix("/lib"))
        let libraries = try ELFExecutable.sharedLibraryClosure(path: TestSupport.fixtures.dynamicBinary, interpreter: interpreter)
        #expect(libraries.first == interpreter)
        #expect(libraries.contains { $0.hasSuffix("/libc.so.6") })
        #expect(libraries.allSatisfy { $0.hasPrefix("/") })
    }

    @Test func notAnELFFile() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try "#!/bin/sh\necho hi\n".write(toFile: directory + "/script", atomically: true, encoding: .utf8)
        #expect(throws: ELFError.notELF(path: directory + "/script")) { try ELFExecutable(path: directory + "/script") }
    }
}
