import Foundation
import TestSupport
import XCTest

/// The shared process runner under the conditions that hang or crash naive ones.
final class ProcessRunnerTests: XCTestCase {
    func testStatusAndBothOutputsAreKeptApart() throws {
        let result = try runProcess("sh", ["-c", "printf out; printf err >&2; exit 3"])
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(result.stdout, "out")
        XCTAssertEqual(result.stderr, "err")
        XCTAssertEqual(result.stdoutBytes, Array("out".utf8))
    }

    /// 4 MiB on stderr before anything on stdout: a stdout-then-stderr reader deadlocks here
    /// (the child blocks on a full stderr pipe while the reader waits for stdout's end).
    func testALotOnStderrFirstDoesNotDeadlock() throws {
        let result = try runProcess("sh", ["-c", "head -c 4194304 /dev/zero >&2; head -c 4194304 /dev/zero"], timeout: 60)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.stderr.utf8.count, 4 << 20)
        XCTAssertEqual(result.stdoutBytes.count, 4 << 20)
    }

    func testAHangingChildIsKilledAtTheTimeout() throws {
        let started = Date()
        XCTAssertThrowsError(try runProcess("sleep", ["30"], timeout: 1)) { error in
            XCTAssertTrue(error is ProcessTimedOut, "\(error)")
            XCTAssertTrue("\(error)".contains("sleep 30 did not finish within 1.0 s"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// A daemon the child leaves behind keeps the pipes open; the run still ends when the child does.
    func testRunsDoNotLeakDescriptors() throws {
        func openDescriptors() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count }
        _ = try runProcess("/bin/true", [])  // Foundation's own first-use descriptors
        let before = try openDescriptors()
        for _ in 0..<200 { XCTAssertEqual(try runProcess("/bin/sh", ["-c", "echo out; echo err >&2"]).status, 0) }
        // Two leaked per run before (400 here): a whole suite crossed FD_SETSIZE and crashed in Process.run.
        XCTAssertLessThan(try openDescriptors() - before, 20)
    }

    func testADaemonHoldingThePipesDoesNotHoldTheTest() throws {
        let started = Date()
        let result = try runProcess("sh", ["-c", "sleep 20 & echo $!; exit 4"], timeout: 15)
        if let daemon = Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(daemon, SIGKILL) }
        XCTAssertEqual(result.status, 4)
        XCTAssertNotNil(Int32(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), result.stdout)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    func testInputReachesTheChildAndAChildThatIgnoresItDoesNotKillTheTest() throws {
        let echoed = try runProcess("cat", [], input: Array("hello".utf8))
        XCTAssertEqual(echoed.stdout, "hello")
        // 8 MiB into a child that never reads: the write gets EPIPE instead of a SIGPIPE for us.
        let ignored = try runProcess("true", [], input: [UInt8](repeating: 1, count: 8 << 20), timeout: 30)
        XCTAssertEqual(ignored.status, 0)
    }

    func testWorkingDirectoryAndEnvironment() throws {
        let folder = try temporaryDirectory(self, "runner")
        let result = try runProcess("sh", ["-c", "pwd; echo $ONLY"], in: folder.path, environment: ["ONLY": "this", "PATH": "/usr/bin:/bin"])
        XCTAssertEqual(result.stdout, "\(folder.resolvingSymlinksInPath().path)\nthis\n")
    }

    func testAMissingToolIsStatus127ByNameAndAnErrorByPath() throws {
        XCTAssertEqual(try runProcess("no-such-tool-containerize", []).status, 127)
        XCTAssertThrowsError(try runProcess("/nonexistent/tool", []))
    }
}

/// The one rule for missing prerequisites, and the helpers every target shares.
final class PrerequisiteTests: XCTestCase {
    func testMissingSkipsLocallyAndFailsUnderCI() {
        XCTAssertTrue(Prerequisite.missing("no widget", isCI: false) is XCTSkip)
        let failure = Prerequisite.missing("no widget", isCI: true)
        XCTAssertTrue(failure is TestFailure)
        XCTAssertTrue("\(failure)".contains("no widget"), "\(failure)")
    }

    func testRequireToolFindsWhatIsOnPathAndRefusesWhatIsNot() throws {
        XCTAssertEqual(Prerequisite.locate("sh").map { URL(fileURLWithPath: $0).lastPathComponent }, "sh")
        XCTAssertNil(Prerequisite.locate("no-such-tool-containerize"))
        XCTAssertThrowsError(try Prerequisite.requireTool("no-such-tool-containerize"))
    }

    func testFreeLoopbackPortCanBeBound() throws {
        let port = try freeLoopbackPort()
        XCTAssertTrue((1024...65535).contains(port), "\(port)")
    }

    func testTemporaryFolderIsRemovedWithItsObject() throws {
        var folder: TemporaryFolder? = try TemporaryFolder("runner-test")
        let url = try XCTUnwrap(folder?.url)
        try folder?.write("a", "b")
        XCTAssertEqual(try folder?.contents(), ["a"])
        folder = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testBuiltProductsFindsThePackageAndTheTool() throws {
        XCTAssertTrue(FileManager.default.fileExists(atPath: BuiltProducts.packageRoot.appendingPathComponent("Package.swift").path))
        XCTAssertNotNil(BuiltProducts.containertool, "swift test builds containertool beside the tests")
    }
}
