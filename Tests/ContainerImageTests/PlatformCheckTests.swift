import OCIModel
import ContainerImage
import Foundation
import TestSupport
import XCTest

final class PlatformCheckTests: XCTestCase {
    func testParsesWhatUsersWrite() throws {
        XCTAssertEqual(try Platform(parsing: "linux/arm64"), Platform(architecture: "arm64", os: "linux"))
        XCTAssertEqual(try Platform(parsing: "linux/amd64"), Platform(architecture: "amd64", os: "linux"))
        XCTAssertEqual(try Platform(parsing: "linux/arm64/v8"), Platform(architecture: "arm64", os: "linux", variant: "v8"))
        XCTAssertEqual(try Platform(parsing: "Linux/AArch64"), Platform(architecture: "arm64", os: "linux"))
        XCTAssertEqual(try Platform(parsing: "linux/x86_64"), Platform(architecture: "amd64", os: "linux"))
        XCTAssertEqual(try Platform(parsing: "linux/arm/v7").name, "linux/arm/v7")
    }

    func testRefusesMalformedPlatforms() {
        for text in ["", "linux", "linux/", "/arm64", "linux//v8", "linux/arm64/v8/x", "linux/arm 64", "linux/arm64\n", "linux/ärm64"] {
            refusesMalformedPlatforms(text: text)
        }
    }

    func refusesMalformedPlatforms(text: String) {
        assertThrows(PlatformError.malformed(text)) { try Platform(parsing: text) }
    }

    func testRefusesOtherOperatingSystems() {
        assertThrows(PlatformError.unsupportedOS("windows/amd64")) { try Platform(parsing: "windows/amd64") }
        assertThrows(PlatformError.unsupportedOS("darwin/arm64")) { try Platform(parsing: "darwin/arm64") }
    }

    /// Minimal ELF executables (header only) for each machine, so the check needs no cross compiler.
    func testMatchesTheELFMachine() throws {
        for (machine, architecture) in [(0x3e, "amd64"), (0xb7, "arm64"), (0xf3, "riscv64")] {
            try matchesTheELFMachine(machine: machine, architecture: architecture)
        }
    }

    func matchesTheELFMachine(machine: Int, architecture: String) throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let path = directory + "/server"
        try Data(Self.elfHeader(machine: machine)).write(to: URL(fileURLWithPath: path))
        let executable = try ELFExecutable(path: path)
        try PlatformCheck.check(executable, at: path, declaredAs: Platform(parsing: "linux/\(architecture)"))
        let other = architecture == "arm64" ? "linux/amd64" : "linux/arm64"
        assertThrows(PlatformError.mismatch(path: path, declared: other, actual: "linux/\(architecture)")) {
            try PlatformCheck.check(executable, at: path, declaredAs: Platform(parsing: other))
        }
    }

    func testAnAmd64BinaryDeclaredAsArm64IsRefused() throws {
        try Prerequisite.requireTools("gcc")
        let path = TestSupport.fixtures.staticBinary
        let executable = try ELFExecutable(path: path)
        try PlatformCheck.check(executable, at: path, declaredAs: Platform(parsing: "linux/amd64"))
        let error = assertThrows(PlatformError.self) {
            try PlatformCheck.check(executable, at: path, declaredAs: Platform(parsing: "linux/arm64"))
        }
        let message = try XCTUnwrap(error).description
        XCTAssertEqual(message, "\(path) is a linux/amd64 executable but is declared as linux/arm64; build it for linux/arm64 (Embedded Swift: scripts/make-swift-sdk.sh, then swift build --swift-sdk embedded-linux-arm64) or declare it as linux/amd64")
        XCTAssertTrue(!message.contains("\n"))
    }

    func testAnArm64BinaryFromTheCrossCompilerMatchesArm64Only() throws {
        try Prerequisite.requireTools("aarch64-linux-gnu-gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try TestSupport.helloSource.write(toFile: directory + "/hello.c", atomically: true, encoding: .utf8)
        let compiled = try TestSupport.run("aarch64-linux-gnu-gcc", ["-static", "-O2", "-s", "-o", directory + "/hello", directory + "/hello.c"])
        XCTAssertEqual(compiled.status, 0, "\(compiled.stderr)")
        let executable = try ELFExecutable(path: directory + "/hello")
        XCTAssertEqual(executable.architecture, "arm64")
        XCTAssertTrue(executable.isStatic)
        try PlatformCheck.check(executable, at: directory + "/hello", declaredAs: Platform(parsing: "linux/arm64/v8"))
        assertThrows(PlatformError.mismatch(path: directory + "/hello", declared: "linux/amd64", actual: "linux/arm64")) {
            try PlatformCheck.check(executable, at: directory + "/hello", declaredAs: Platform(parsing: "linux/amd64"))
        }
    }

    /// A 64-bit little-endian ELF header of an executable (`ET_EXEC`) for `machine`, with no program headers.
    static func elfHeader(machine: Int) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 64)
        header[0...6] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]
        header[16] = 2                      // e_type: ET_EXEC
        header[18] = UInt8(machine & 0xff)  // e_machine
        header[19] = UInt8(machine >> 8)
        header[52] = 64                     // e_ehsize
        header[54] = 56                     // e_phentsize; e_phnum stays 0
        return header
    }
}
