import Foundation
import TestSupport
import XCTest

/// `--output engine:…` and `containertool run` against the real Docker engine: what the plugin's
/// `--load` and `--run` are made of.
final class EngineTests: XCTestCase {
    /// A static program that prints `ready`, then waits for SIGTERM/SIGINT and says which came;
    /// `exit` as its argument makes it end at once with status 3.
    static let waiterSource = """
        #include <stdio.h>
        #include <signal.h>
        #include <string.h>
        #include <unistd.h>
        static void on(int s) { printf("stopping on signal %d\\n", s); fflush(stdout); _exit(0); }
        int main(int argc, char **argv) {
            if (argc > 1 && strcmp(argv[1], "exit") == 0) { printf("exiting 3\\n"); return 3; }
            signal(SIGTERM, on); signal(SIGINT, on);
            printf("ready %s\\n", argc > 1 ? argv[1] : ""); fflush(stdout);
            for (;;) pause();
        }
        """

    var directory = ""
    var tag = ""

    override func setUpWithError() throws {
        try Prerequisite.requireTools("gcc", "docker")
        directory = try TestSupport.makeTemporaryDirectory("engine")
        tag = DockerTests.uniqueTag("engine")
        try Self.waiterSource.write(toFile: directory + "/waiter.c", atomically: true, encoding: .utf8)
        let compiled = try TestSupport.run("gcc", ["-static", "-O2", "-s", "-o", directory + "/waiter", directory + "/waiter.c"])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
    }

    override func tearDown() {
        DockerTests.removeImage(tag)
        TestSupport.remove(directory)
    }

    private func loadIntoDocker() throws -> [String: Any] {
        let build = try TestSupport.containertool(["build", "--executable", directory + "/waiter", "--tag", tag,
                                                   "--output", "engine:docker", "--json"], in: directory)
        XCTAssertEqual(build.status, 0, build.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(build.stdout.utf8)) as? [String: Any])
    }

    func testBuildStreamsTheImageIntoDockerWithoutWritingAnArchive() throws {
        let report = try loadIntoDocker()
        let outputs = try XCTUnwrap(report["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.first?["kind"] as? String, "engine")
        XCTAssertEqual(outputs.first?["destination"] as? String, "docker")
        XCTAssertEqual(report["pushed"] as? [String], [], "a load is not a registry push")
        let id = try TestSupport.run("docker", ["image", "inspect", "--format", "{{.Id}}", tag])
        XCTAssertEqual(id.stdout.trimmingCharacters(in: .whitespacesAndNewlines), report["configDigest"] as? String)
        XCTAssertEqual(TestSupport.listing(directory), ["waiter", "waiter.c"], "nothing but the inputs in the folder")
    }

    func testRunStreamsTheOutputAndEndsWithTheContainersStatus() throws {
        _ = try loadIntoDocker()
        let name = "cit-run-\(UInt32.random(in: 0...UInt32.max))"
        let run = try TestSupport.containertool(["run", tag, "--engine", "docker", "--name", name, "--", "exit"])
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertEqual(run.stdout, "exiting 3\n")
        XCTAssertTrue(run.stderr.contains("\(name) ended with exit status 3"), run.stderr)
        XCTAssertEqual(try containers(named: name), "", "--rm removed it")
    }

    func testAnInterruptStopsTheContainerGracefullyAndRemovesIt() throws {
        _ = try loadIntoDocker()
        let name = "cit-run-\(UInt32.random(in: 0...UInt32.max))"
        let log = URL(fileURLWithPath: directory + "/run.log")
        // Detached in its own session: SIGINT reaches containertool alone, not the docker CLI it
        // started, so what stops the container is containertool's own cleanup.
        let pid = try startDetached([TestSupport.containertool, "run", tag, "--engine", "docker", "--port", "18099", "--name", name, "--", "loop"], log: log)
        defer { kill(pid, SIGKILL) }
        XCTAssertTrue(waitUntil(seconds: 60) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("ready loop") },
                      (try? String(contentsOf: log, encoding: .utf8)) ?? "")
        XCTAssertEqual(try containers(named: name), name)
        kill(pid, SIGINT)
        XCTAssertTrue(waitUntil(seconds: 60) { kill(pid, 0) != 0 }, "containertool run did not end after SIGINT")
        let output = try String(contentsOf: log, encoding: .utf8)
        XCTAssertTrue(output.contains("stopping on signal 15"), "stopped with SIGTERM first: \(output)")
        XCTAssertTrue(output.contains("host network (no bridge): port 18099 is the host's") || output.contains("port 18099 published"), output)
        XCTAssertEqual(try containers(named: name), "", "the container is removed")
    }

    func testEngineMistakesAreOneLineAndCaughtBeforeBuilding() throws {
        let unknown = try TestSupport.containertool(["build", "--executable", directory + "/waiter", "--output", "engine:containerd", "--dry-run"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("--output engine:containerd: engine 'containerd' is unknown; use docker, podman or auto"), unknown.stderr)

        var environment = ProcessInfo.processInfo.environment
        environment["CONTAINERIZE_DOCKER"] = "/bin/false"
        let silent = try TestSupport.containertool(["build", "--executable", directory + "/waiter", "--output", "engine:docker", "--dry-run"],
                                                   environment: environment)
        XCTAssertEqual(silent.status, 1)
        XCTAssertTrue(silent.stderr.contains("no container engine answers (docker: daemon not answering (exit status 1)); start one"), silent.stderr)
        XCTAssertEqual(silent.stderr.split(separator: "\n").count, 1, silent.stderr)
    }

    private func containers(named name: String) throws -> String {
        try TestSupport.run("docker", ["ps", "-a", "--filter", "name=^\(name)$", "--format", "{{.Names}}"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
