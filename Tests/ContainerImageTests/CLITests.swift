import ContainerImage
import Foundation
import Testing

/// `containertool` as users and scripts run it: exit codes, one-line errors, nothing left behind.
@Suite("containertool command line")
struct CLITests {
    /// Runs a build expected to fail, in a fresh directory, and checks the directory stays empty.
    static func expectFailure(_ arguments: (String) -> [String], status: Int32, mentioning fragments: [String], singleLine: Bool = true,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.containertool(["build"] + arguments(directory), in: directory)
        #expect(result.status == status, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        let firstLine = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        for fragment in fragments {
            #expect(firstLine.contains(fragment), "'\(fragment)' not in: \(firstLine)", sourceLocation: sourceLocation)
        }
        if status == 1 && singleLine {
            #expect(result.stderr.split(separator: "\n").count == 1, "one line expected: \(result.stderr)", sourceLocation: sourceLocation)
        }
        #expect(TestSupport.listing(directory) == [], "left behind: \(TestSupport.listing(directory))", sourceLocation: sourceLocation)
    }

    @Test func missingExecutable() throws {
        try Self.expectFailure({ ["--executable", $0 + "/nope", "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["not found", "swift build"])
    }

    @Test func directoryAsExecutable() throws {
        try Self.expectFailure({ ["--executable", "/usr/bin", "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["is a directory"])
    }

    @Test func notAnExecutable() throws {
        try Self.expectFailure({ ["--executable", "/etc/hostname", "--output", "oci-layout:\($0)/layout"] },
                               status: 1, mentioning: ["not an ELF executable"])
    }

    @Test func unwritableOutputPaths() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let binary = TestSupport.fixtures.staticBinary
        try Self.expectFailure({ ["--executable", binary, "--output", "docker-archive:\($0)/missing/image.tar"] },
                               status: 1, mentioning: ["does not exist", "mkdir -p"])
        try Self.expectFailure({ _ in ["--executable", binary, "--output", "docker-archive:/proc/containertool-test.tar"] },
                               status: 1, mentioning: ["/proc/containertool-test.tar"])
        try Self.expectFailure({ ["--executable", binary, "--output", "docker-archive:\($0)"] },
                               status: 1, mentioning: ["is a directory"])
        // One bad output stops the build before any output is written.
        try Self.expectFailure({ ["--executable", binary, "--output", "docker-archive:\($0)/good.tar", "--output", "oci-layout:\($0)/no/layout"] },
                               status: 1, mentioning: ["does not exist"])
    }

    /// A failing registry push (nothing listens on port 1) discards the local outputs staged before it.
    @Test func failedPushLeavesNoLocalOutputs() throws {
        guard TestSupport.requireTool("gcc") else { return }
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.staticBinary, "--insecure-registry",
                                  "--output", "registry:127.0.0.1:1/cit/hello:1", "--output", "docker-archive:\($0)/image.tar",
                                  "--output", "oci-layout:\($0)/layout"] },
                               status: 1, mentioning: [], singleLine: false) // the pusher may log progress first
    }

    @Test func dynamicExecutableWithoutBundling() throws {
        guard TestSupport.requireTool("gcc") else { return }
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.dynamicBinary, "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["dynamically linked", "-static-executable", "--bundle-shared-libraries"])
    }

    @Test(arguments: [
        (["--label", "novalue"], "--label 'novalue' must be KEY=VALUE"),
        (["--env", "=x"], "--env '=x' must be KEY=VALUE"),
        (["--expose", "http"], "--expose 'http' must be PORT"),
        (["--expose", "70000/tcp"], "--expose '70000/tcp' must be PORT"),
        (["--workdir", "relative"], "must be an absolute path"),
        (["--tag", "Upper:1"], "invalid image reference 'Upper:1'"),
        (["--frobnicate"], "unknown option '--frobnicate'"),
        (["--tag"], "--tag needs a value"),
        (["--json=yes"], "--json takes no value"),
        // An empty value (an unset shell variable) would copy the current folder into the image.
        (["--resource", ""], "--resource '' must be SRC[:DEST]"),
        (["--resource="], "--resource '' must be SRC[:DEST]"),
    ])
    func malformedOptions(extra: [String], message: String) throws {
        guard TestSupport.requireTool("gcc") else { return }
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.staticBinary, "--output", "docker-archive:\($0)/image.tar"] + extra },
                               status: 2, mentioning: [message])
    }

    @Test func missingRequiredOptions() throws {
        try Self.expectFailure({ ["--output", "docker-archive:\($0)/image.tar"] }, status: 2, mentioning: ["missing --executable"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true"] }, status: 2, mentioning: ["missing --output"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "tarball:x.tar"] }, status: 2, mentioning: ["kind 'tarball' is unknown"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "docker-archive"] }, status: 2, mentioning: ["must be KIND:DEST"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "registry:nohost"] }, status: 2, mentioning: ["registry:HOST[:PORT]/REPO"])
        // Credentials typed into a reference are never echoed, with or without a repository part.
        for output in ["registry:pusher:S3cret-pw@localhost", "registry:pusher:S3cret-pw@localhost:5000/app:1"] {
            let result = try TestSupport.containertool(["build", "--executable", "/bin/true", "--output", output])
            #expect(result.status == 2 && !result.stderr.isEmpty && !result.stderr.contains("S3cret-pw"), "\(result.stderr)")
        }
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "docker-archive:a.tar", "--output", "oci-archive:./a.tar"] },
                               status: 2, mentioning: ["is given twice"])
    }

    @Test func helpAndUnknownSubcommand() throws {
        let help = try TestSupport.containertool(["build", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--executable PATH") && help.stdout.contains("--bundle-shared-libraries"))
        let inspectHelp = try TestSupport.containertool(["inspect", "-h"])
        #expect(inspectHelp.status == 0 && inspectHelp.stdout.contains("usage: containertool inspect"))
        let unknown = try TestSupport.containertool(["frobnicate"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown subcommand"))
        let inspectMissing = try TestSupport.containertool(["inspect", "/nonexistent/image.tar"])
        #expect(inspectMissing.status == 1 && inspectMissing.stderr.contains("does not exist"))
        let inspectNothing = try TestSupport.containertool(["inspect"])
        #expect(inspectNothing.status == 2)
    }

    /// `--json` prints exactly one JSON object with the documented keys, and inspect agrees.
    @Test func jsonResultAndInspect() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.containertool([
            "build", "--executable", TestSupport.fixtures.staticBinary, "--name", "Hello", "--json",
            "--output", "docker-archive:image.tar", "--output", "oci-layout:layout", "--output", "oci-archive:oci.tar",
            "--expose", "8080", "--env", "A=1", "--label", "org.opencontainers.image.version=1.2.3",
        ], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any])
        #expect(Set(object.keys) == ["digest", "configDigest", "compressedSize", "uncompressedSize", "tag", "outputs", "pushed", "addOns", "layers"])
        #expect(object["tag"] as? String == "hello:latest")
        let outputs = try #require(object["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["kind"] as? String ?? "" } == ["docker-archive", "oci-layout", "oci-archive"])
        #expect(outputs.map { $0["destination"] as? String ?? "" } == [directory + "/image.tar", directory + "/layout", directory + "/oci.tar"])
        #expect(TestSupport.listing(directory) == ["image.tar", "layout", "oci.tar"])
        // The docker archive keeps plain tar layers (like docker save), the OCI outputs gzip them:
        // one config (image ID), two manifests. The top-level digest is the one a registry would
        // show: the first gzip output's, even though the docker archive came first.
        let digests = outputs.map { $0["digest"] as? String ?? "" }
        #expect(object["digest"] as? String == digests[1])
        #expect(object["compressedSize"] as? Int == outputs[1]["size"] as? Int)
        #expect(digests[1] == digests[2] && digests[0] != digests[1])
        #expect((outputs[0]["size"] as? Int ?? 0) > (outputs[1]["size"] as? Int ?? 0))

        for (index, target) in ["image.tar", "layout", "oci.tar", "docker-archive:image.tar", "oci-layout:layout", "oci-archive:oci.tar"].enumerated() {
            let inspected = try TestSupport.containertool(["inspect", target, "--json"], in: directory)
            #expect(inspected.status == 0, "\(inspected.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(inspected.stdoutBytes)) as? [String: Any])
            #expect(report["digest"] as? String == digests[index % 3], "\(target)")
            #expect(report["configDigest"] as? String == object["configDigest"] as? String)
            #expect(report["compressedSize"] as? Int == outputs[index % 3]["size"] as? Int)
            #expect(report["uncompressedSize"] as? Int == object["uncompressedSize"] as? Int)
            let config = try #require(report["config"] as? [String: Any])
            #expect(config["Entrypoint"] as? [String] == ["/Hello"])
            #expect((config["Labels"] as? [String: String])?["org.opencontainers.image.version"] == "1.2.3")
        }
        let human = try TestSupport.containertool(["inspect", "image.tar"], in: directory)
        #expect(human.stdout.contains(digests[0]) && human.stdout.contains("65532:65532") && human.stdout.contains("8080/tcp"))
    }

    /// SIGINT in the middle of a build: exit 130, no image and no temporary file left.
    @Test func interruptedBuildLeavesNothing() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let directory = try TestSupport.makeTemporaryDirectory()
        let output = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory); TestSupport.remove(output) }
        // A large resource keeps the build busy for a while (sparse file, read back as zeros).
        #expect(FileManager.default.createFile(atPath: directory + "/big.bin", contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: directory + "/big.bin"))
        try handle.truncate(atOffset: 400_000_000)
        try handle.close()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.containertool)
        process.arguments = ["build", "--executable", TestSupport.fixtures.staticBinary, "--resource", directory + "/big.bin:/big.bin",
                             "--output", "oci-archive:\(output)/image.tar", "--output", "oci-layout:\(output)/layout"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.4)
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(TestSupport.listing(output) == [])
    }

    /// Building again over an existing layout replaces it; over a non-layout directory it refuses.
    @Test func replacesOnlyOCILayouts() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let arguments = ["build", "--executable", TestSupport.fixtures.staticBinary, "--output", "oci-layout:layout"]
        #expect(try TestSupport.containertool(arguments, in: directory).status == 0)
        #expect(try TestSupport.containertool(arguments + ["--cmd", "x"], in: directory).status == 0)
        #expect(TestSupport.listing(directory) == ["layout"])
        try FileManager.default.createDirectory(atPath: directory + "/precious", withIntermediateDirectories: true)
        try "keep".write(toFile: directory + "/precious/file", atomically: true, encoding: .utf8)
        let refused = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--output", "oci-layout:precious"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("refusing to replace"))
        #expect(TestSupport.listing(directory + "/precious") == ["file"])
    }
}
