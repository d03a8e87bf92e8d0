import Foundation
import TestSupport
import XCTest

/// `--output engine:…` and `containertool run` against the real Docker and Podman engines: what
/// the plugin's `--load` and `--run` are made of. Each case runs once per engine.
final class EngineTests: XCTestCase {
    /// A static program that prints `ready`, then waits for SIGTERM/SIGINT and says which came;
    /// `exit` as its argument makes it end at once with status 3; `serve PORT WORD` makes it answer
    /// every connection on PORT with an HTTP response whose body is WORD.
    static let waiterSource = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <signal.h>
        #include <string.h>
        #include <unistd.h>
        #include <netinet/in.h>
        #include <sys/socket.h>
        static void on(int s) { printf("stopping on signal %d\\n", s); fflush(stdout); _exit(0); }
        int main(int argc, char **argv) {
            if (argc > 1 && strcmp(argv[1], "exit") == 0) { printf("exiting 3\\n"); return 3; }
            signal(SIGTERM, on); signal(SIGINT, on);
            int server = -1, one = 1;
            if (argc > 3 && strcmp(argv[1], "serve") == 0) {
                server = socket(AF_INET, SOCK_STREAM, 0);
                setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
                if (bind(server, (struct sockaddr *)&address, sizeof address) || listen(server, 16)) { perror("listen"); return 1; }
            }
            printf("ready %s\\n", argc > 1 ? argv[1] : ""); fflush(stdout);
            for (;;) {
                if (server < 0) { pause(); continue; }
                int client = accept(server, 0, 0);
                if (client < 0) continue;
                char request[512], reply[256];
                (void)read(client, request, sizeof request);
                int length = snprintf(reply, sizeof reply, "HTTP/1.0 200 OK\\r\\nContent-Length: %zu\\r\\n\\r\\n%s", strlen(argv[3]), argv[3]);
                (void)write(client, reply, length);
                close(client);
            }
        }
        """

    /// Podman refuses to raise a container's rlimits in some sandboxes (CI's included); the test
    /// gives it a config of its own through `CONTAINERS_CONF` instead of touching the user's
    /// (an engine-environment matter: containertool passes the environment on, nothing more).
    static let podmanConfiguration = """
        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

        """

    var directory = ""
    var tag = ""
    var loaded: [String] = []

    override func setUpWithError() throws {
        try Prerequisite.requireTools("gcc", "curl")
        directory = try TestSupport.makeTemporaryDirectory("engine")
        tag = DockerTests.uniqueTag("engine")
        try Self.waiterSource.write(toFile: directory + "/waiter.c", atomically: true, encoding: .utf8)
        try Self.podmanConfiguration.write(toFile: directory + "/containers.conf", atomically: true, encoding: .utf8)
        let compiled = try TestSupport.run("gcc", ["-static", "-O2", "-s", "-o", directory + "/waiter", directory + "/waiter.c"])
        XCTAssertEqual(compiled.status, 0, compiled.stderr)
    }

    override func tearDown() {
        for engine in loaded {
            for name in (try? containers(engine, startingWith: "containerize-" + imageName)) ?? [] {
                _ = try? engineRun(engine, ["rm", "-f", name])
            }
            _ = try? engineRun(engine, ["rmi", "-f", tag])
        }
        TestSupport.remove(directory)
    }

    private var imageName: String { String(tag.prefix { $0 != ":" }) }

    /// The environment every engine command and containertool get: the test's Podman config.
    private var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["CONTAINERS_CONF"] = directory + "/containers.conf"
        environment.removeValue(forKey: "SOURCE_DATE_EPOCH")
        return environment
    }

    @discardableResult
    private func engineRun(_ engine: String, _ arguments: [String]) throws -> ProcessResult {
        try TestSupport.run(engine, arguments, environment: environment)
    }

    @discardableResult
    private func load(into engine: String) throws -> [String: Any] {
        try Prerequisite.requireTool(engine)
        let build = try TestSupport.containertool(["build", "--executable", directory + "/waiter", "--tag", tag,
                                                   "--output", "engine:\(engine)", "--json"], in: directory, environment: environment)
        loaded.append(engine)
        XCTAssertEqual(build.status, 0, build.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(build.stdout.utf8)) as? [String: Any])
    }

    // MARK: - load

    func testBuildStreamsTheImageIntoDockerWithoutWritingAnArchive() throws { try checkLoad("docker") }
    func testBuildStreamsTheImageIntoPodmanWithoutWritingAnArchive() throws { try checkLoad("podman") }

    private func checkLoad(_ engine: String) throws {
        let report = try load(into: engine)
        let outputs = try XCTUnwrap(report["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.first?["kind"] as? String, "engine")
        XCTAssertEqual(outputs.first?["destination"] as? String, engine)
        XCTAssertEqual(report["pushed"] as? [String], [], "a load is not a registry push")
        // Podman keeps the archive's reference normalised the Docker way (docker.io/library/NAME:TAG)
        // and shows the ID without `sha256:`; the name as given finds it, which is what `run` is given.
        if engine == "podman" {
            let names = try engineRun(engine, ["image", "inspect", "--format", "{{json .RepoTags}}", tag]).stdout
            XCTAssertTrue(names.contains("\"docker.io/library/\(tag)\""), names)
        }
        let id = try engineRun(engine, ["image", "inspect", "--format", "{{.Id}}", tag]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let digest = try XCTUnwrap(report["configDigest"] as? String)
        XCTAssertEqual(id.hasPrefix("sha256:") ? id : "sha256:" + id, digest)
        XCTAssertEqual(TestSupport.listing(directory), ["containers.conf", "waiter", "waiter.c"], "nothing but the inputs in the folder")
    }

    // MARK: - run to the end

    func testDockerRunStreamsTheOutputAndEndsWithTheContainersStatus() throws { try checkRunToTheEnd("docker") }
    func testPodmanRunStreamsTheOutputAndEndsWithTheContainersStatus() throws { try checkRunToTheEnd("podman") }

    private func checkRunToTheEnd(_ engine: String) throws {
        try load(into: engine)
        let run = try TestSupport.containertool(["run", tag, "--engine", engine, "--", "exit"], environment: environment)
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertEqual(run.stdout, "exiting 3\n")
        let name = "containerize-" + imageName
        XCTAssertTrue(run.stderr.contains("as \(name),"), "the default name is the image's: \(run.stderr)")
        XCTAssertTrue(run.stderr.contains("\(name) ended with exit status 3"), run.stderr)
        XCTAssertEqual(try containers(engine, startingWith: name), [], "the run removed its container")
    }

    // MARK: - answer, then Ctrl-C

    func testDockerContainerAnswersAndAnInterruptStopsItGracefullyAndRemovesIt() throws { try checkInterrupt("docker") }
    func testPodmanContainerAnswersAndAnInterruptStopsItGracefullyAndRemovesIt() throws { try checkInterrupt("podman") }

    private func checkInterrupt(_ engine: String) throws {
        try load(into: engine)
        let port = try freeLoopbackPort()
        let log = URL(fileURLWithPath: directory + "/run.log")
        // Detached in its own session: SIGINT reaches containertool alone, not the engine CLI it
        // started, so what stops the container is containertool's own cleanup.
        let pid = try startRun(engine, port: port, word: "hello", log: log)
        defer { kill(pid, SIGKILL) }
        XCTAssertTrue(waitUntil(seconds: 60) { answer(port) == "hello" }, read(log))
        XCTAssertEqual(try containers(engine, startingWith: "containerize-" + imageName), ["containerize-" + imageName])
        kill(pid, SIGINT)
        XCTAssertTrue(waitUntil(seconds: 60) { kill(pid, 0) != 0 }, "containertool run did not end after SIGINT")
        let output = read(log)
        XCTAssertTrue(output.contains("stopping on signal 15"), "stopped with SIGTERM first: \(output)")
        XCTAssertTrue(output.contains("host network (no bridge): port \(port) is the host's") || output.contains("port \(port) published"), output)
        XCTAssertEqual(try containers(engine, startingWith: "containerize-" + imageName), [], "the container is removed")
    }

    /// A product whose port the plugin does not know (no `--port`): on an engine without a bridge
    /// (this Docker: `--bridge=none`) the container still gets the host's network, not none.
    func testDockerWithoutABridgeARunWithoutPortsStillReachesTheHostNetwork() throws {
        try load(into: "docker")
        let bridge = try TestSupport.run("docker", ["network", "inspect", "bridge"])
        try XCTSkipIf(bridge.status == 0, "this Docker has a bridge network; the case is an engine without one")
        let port = try freeLoopbackPort()
        let log = URL(fileURLWithPath: directory + "/run.log")
        let pid = try startDetached([TestSupport.containertool, "run", tag, "--engine", "docker", "--", "serve", String(port), "portless"], log: log)
        defer { kill(pid, SIGKILL) }
        XCTAssertTrue(waitUntil(seconds: 60) { answer(port) == "portless" }, read(log))
        XCTAssertTrue(read(log).contains("host network (no bridge);"), read(log))
        kill(pid, SIGINT)
        XCTAssertTrue(waitUntil(seconds: 60) { kill(pid, 0) != 0 }, "containertool run did not end after SIGINT")
    }

    // MARK: - a second run replaces the first

    func testDockerSecondRunReplacesTheFirst() throws { try checkReplacement("docker") }
    func testPodmanSecondRunReplacesTheFirst() throws { try checkReplacement("podman") }

    private func checkReplacement(_ engine: String) throws {
        try load(into: engine)
        let port = try freeLoopbackPort()
        let name = "containerize-" + imageName
        let firstLog = URL(fileURLWithPath: directory + "/first.log"), secondLog = URL(fileURLWithPath: directory + "/second.log")
        // The first run's exit status is written to its log by a shell around it (a detached run is not our child).
        let first = try startDetached(["sh", "-c", "\"$@\"; echo \"exit status $?\"", "run"]
                                      + runCommand(engine, port: port, word: "first"), log: firstLog)
        defer { kill(first, SIGKILL) }
        XCTAssertTrue(waitUntil(seconds: 60) { answer(port) == "first" }, read(firstLog))
        let firstID = try engineRun(engine, ["container", "inspect", "--format", "{{.Id}}", name]).stdout

        let started = Date()
        let second = try startRun(engine, port: port, word: "second", log: secondLog)
        defer { kill(second, SIGKILL) }
        XCTAssertTrue(waitUntil(seconds: 60) { answer(port) == "second" }, read(secondLog))
        let replacedAfter = Date().timeIntervalSince(started)
        print("EngineTests: \(engine): a second run answered \(Int(replacedAfter * 1000)) ms after it started")

        XCTAssertTrue(waitUntil(seconds: 30) { read(firstLog).contains("exit status") }, read(firstLog))
        let firstOutput = read(firstLog)
        XCTAssertTrue(firstOutput.contains("containertool: \(name) was replaced by a newer run; this one ends\nexit status 0\n"), firstOutput)
        XCTAssertFalse(firstOutput.lowercased().contains("error"), "no engine errors: \(firstOutput)")
        XCTAssertTrue(read(secondLog).contains("containertool: replacing \(name), started by an earlier containertool run"), read(secondLog))
        XCTAssertTrue(waitUntil(seconds: 10) { ((try? containers(engine, startingWith: name)) ?? []) == [name] },
                      "one container remains: \((try? containers(engine, startingWith: name)) ?? [])")
        let secondID = try engineRun(engine, ["container", "inspect", "--format", "{{.Id}}", name]).stdout
        XCTAssertNotEqual(firstID, secondID)
        XCTAssertEqual(answer(port), "second", "the first run's cleanup left the new container alone")

        kill(second, SIGINT)
        XCTAssertTrue(waitUntil(seconds: 60) { kill(second, 0) != 0 }, "the second run did not end after SIGINT")
        XCTAssertEqual(try containers(engine, startingWith: name), [])
    }

    func testDockerTwoRunsStartedAtOnceLeaveOneContainer() throws { try checkSimultaneousRuns("docker") }
    func testPodmanTwoRunsStartedAtOnceLeaveOneContainer() throws { try checkSimultaneousRuns("podman") }

    /// Both find the name free and race to create: the loser takes the name over from the winner,
    /// whose run then ends as replaced.
    private func checkSimultaneousRuns(_ engine: String) throws {
        try load(into: engine)
        let port = try freeLoopbackPort()
        let name = "containerize-" + imageName
        let logs = ["a", "b"].map { URL(fileURLWithPath: directory + "/\($0).log") }
        let pids = try zip(["a", "b"], logs).map { word, log in
            try startDetached(["sh", "-c", "\"$@\"; echo \"exit status $?\"", "run"] + runCommand(engine, port: port, word: word), log: log)
        }
        defer { pids.forEach { kill($0, SIGKILL) } }
        XCTAssertTrue(waitUntil(seconds: 60) { logs.contains { read($0).contains("exit status") } }, logs.map(read).joined())
        let (ended, running) = read(logs[0]).contains("exit status") ? (logs[0], logs[1]) : (logs[1], logs[0])
        XCTAssertTrue(read(ended).contains("\(name) was replaced by a newer run; this one ends\nexit status 0\n"), read(ended))
        let word = running == logs[0] ? "a" : "b"
        XCTAssertTrue(waitUntil(seconds: 30) { answer(port) == word }, read(running))
        XCTAssertTrue(waitUntil(seconds: 10) { ((try? containers(engine, startingWith: name)) ?? []) == [name] },
                      "one container remains: \((try? containers(engine, startingWith: name)) ?? [])")
        XCTAssertFalse(read(running).contains("exit status"), read(running))
    }

    func testDockerContainerRemovedByHandEndsTheRunQuietly() throws { try checkRemovedByHand("docker") }
    func testPodmanContainerRemovedByHandEndsTheRunQuietly() throws { try checkRemovedByHand("podman") }

    private func checkRemovedByHand(_ engine: String) throws {
        try load(into: engine)
        let port = try freeLoopbackPort()
        let name = "containerize-" + imageName
        let log = URL(fileURLWithPath: directory + "/run.log")
        let pid = try startDetached(["sh", "-c", "\"$@\"; echo \"exit status $?\"", "run"] + runCommand(engine, port: port, word: "hello"), log: log)
        defer { kill(pid, SIGKILL) }
        XCTAssertTrue(waitUntil(seconds: 60) { answer(port) == "hello" }, read(log))
        XCTAssertEqual(try engineRun(engine, ["rm", "-f", name]).status, 0)
        XCTAssertTrue(waitUntil(seconds: 30) { read(log).contains("exit status") }, read(log))
        // `rm -f` kills, then removes: the run sees the container gone (and says so), or, a moment
        // earlier, killed (and ends with its status); either way in one line, and nothing is left.
        let output = read(log)
        XCTAssertTrue(output.contains("containertool: \(name) was removed while it ran; this run ends\nexit status 0\n")
                      || output.contains("containertool run: \(name) ended with exit status 137\nexit status 137\n")
                      || output.hasSuffix("ready serve\nexit status 0\n"), output)
        XCTAssertFalse(output.contains("Error"), output)
        XCTAssertEqual(try containers(engine, startingWith: name), [])
    }

    // MARK: - a container started by hand is never replaced

    func testDockerContainerStartedByHandUnderTheNameIsRefused() throws { try checkHandStarted("docker") }
    func testPodmanContainerStartedByHandUnderTheNameIsRefused() throws { try checkHandStarted("podman") }

    private func checkHandStarted(_ engine: String) throws {
        try load(into: engine)
        let name = "containerize-" + imageName
        let created = try engineRun(engine, ["create", "--name", name, tag])
        XCTAssertEqual(created.status, 0, created.stderr)
        let run = try TestSupport.containertool(["run", tag, "--engine", engine], environment: environment)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").last.map(String.init),
                       "containertool run: a container named \(name) is there and containerize did not start it; remove it (`\(engine) rm -f \(name)`) or choose another name with --name")
        XCTAssertEqual(try containers(engine, startingWith: name), [name], "the hand-made container is left alone")
    }

    func testDockerNameThatIsAnotherContainersIDPrefixLeavesThatContainerAlone() throws { try checkIDPrefixName("docker") }
    func testPodmanNameThatIsAnotherContainersIDPrefixLeavesThatContainerAlone() throws { try checkIDPrefixName("podman") }

    /// `inspect NAME` also finds a container whose ID starts with NAME: an earlier run's container
    /// under another name is not the one `--name` asks for, and is neither replaced nor refused.
    private func checkIDPrefixName(_ engine: String) throws {
        try load(into: engine)
        let other = "containerize-" + imageName
        let created = try engineRun(engine, ["create", "--name", other, "--label", "org.swift-containerize.run=earlier", tag])
        XCTAssertEqual(created.status, 0, created.stderr)
        let prefix = String(created.stdout.trimmingCharacters(in: .whitespacesAndNewlines).suffix(64).prefix(12))
        defer { _ = try? engineRun(engine, ["rm", "-f", prefix]) }
        let run = try TestSupport.containertool(["run", tag, "--engine", engine, "--name", prefix, "--", "exit"], environment: environment)
        XCTAssertEqual(run.status, 3, run.stderr)
        XCTAssertFalse(run.stderr.contains("replacing"), run.stderr)
        XCTAssertEqual(try containers(engine, startingWith: other), [other], "the other name's container is still there, not renamed")
    }

    func testDockerImageRunByItsIDIsNamedAfterTheID() throws {
        try load(into: "docker")
        let id = try engineRun("docker", ["image", "inspect", "--format", "{{.Id}}", tag]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(id.hasPrefix("sha256:"), id)
        let run = try TestSupport.containertool(["run", id, "--engine", "docker", "--", "exit"], environment: environment)
        XCTAssertEqual(run.status, 3, run.stderr)
        let name = "containerize-" + id.dropFirst("sha256:".count).prefix(12)
        XCTAssertTrue(run.stderr.contains("as \(name),"), "not containerize-sha256, which every image run by ID would share: \(run.stderr)")
        XCTAssertEqual(try containers("docker", startingWith: name), [])
    }

    func testARunNameTheEnginesWouldNotTakeIsRefusedBeforeAskingThem() throws {
        // Without the check, `--name ""` let Docker pick a name, and the run ended with status 0
        // ("was replaced by a newer run") whatever its container's status.
        var environment = self.environment
        environment["CONTAINERIZE_DOCKER"] = "/bin/false"
        for name in ["", "-x", "a b", "_x"] {
            let run = try TestSupport.containertool(["run", "some:image", "--engine", "docker", "--name", name], environment: environment)
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").first.map(String.init),
                           "containertool run: --name needs a container name (a letter or digit, then letters, digits, _ . -), not '\(name)'")
        }
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

    // MARK: - helpers

    private func runCommand(_ engine: String, port: Int, word: String) -> [String] {
        ["env", "CONTAINERS_CONF=\(directory)/containers.conf", TestSupport.containertool, "run", tag, "--engine", engine,
         "--port", String(port), "--", "serve", String(port), word]
    }

    private func startRun(_ engine: String, port: Int, word: String, log: URL) throws -> Int32 {
        try startDetached(runCommand(engine, port: port, word: word), log: log)
    }

    /// The body the container answers on the loopback port with, or nil.
    private func answer(_ port: Int) -> String? {
        guard let result = try? TestSupport.run("curl", ["-s", "-m", "2", "http://127.0.0.1:\(port)/"]), result.status == 0 else { return nil }
        return result.stdout
    }

    private func read(_ log: URL) -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Names of the engine's containers (any state) named `name` or `name-…` (a replaced one is renamed so).
    private func containers(_ engine: String, startingWith name: String) throws -> [String] {
        try engineRun(engine, ["ps", "-a", "--format", "{{.Names}}"]).stdout.split(separator: "\n").map(String.init)
            .filter { $0 == name || $0.hasPrefix(name + "-") }.sorted()
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
