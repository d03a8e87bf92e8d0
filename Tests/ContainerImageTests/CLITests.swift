import ContainerImage
import Foundation
import TestSupport
import XCTest

/// `containertool` as users and scripts run it: exit codes, one-line errors, nothing left behind.
final class CLITests: XCTestCase {
    /// Runs a build expected to fail, in a fresh directory, and checks the directory stays empty.
    static func expectFailure(_ arguments: (String) -> [String], status: Int32, mentioning fragments: [String], singleLine: Bool = true,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.containertool(["build"] + arguments(directory), in: directory)
        XCTAssertEqual(result.status, status, "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, file: file, line: line)
        let firstLine = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        for fragment in fragments {
            XCTAssertTrue(firstLine.contains(fragment), "'\(fragment)' not in: \(firstLine)", file: file, line: line)
        }
        if status == 1 && singleLine {
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line expected: \(result.stderr)", file: file, line: line)
        }
        XCTAssertEqual(TestSupport.listing(directory), [], "left behind: \(TestSupport.listing(directory))", file: file, line: line)
    }

    func testMissingExecutable() throws {
        try Self.expectFailure({ ["--executable", $0 + "/nope", "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["not found", "swift build"])
    }

    func testDirectoryAsExecutable() throws {
        try Self.expectFailure({ ["--executable", "/usr/bin", "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["is a directory"])
    }

    func testNotAnExecutable() throws {
        try Self.expectFailure({ ["--executable", "/etc/hostname", "--output", "oci-layout:\($0)/layout"] },
                               status: 1, mentioning: ["not an ELF executable"])
    }

    func testUnwritableOutputPaths() throws {
        try Prerequisite.requireTools("gcc")
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
    func testFailedPushLeavesNoLocalOutputs() throws {
        try Prerequisite.requireTools("gcc")
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.staticBinary, "--insecure-registry",
                                  "--output", "registry:127.0.0.1:1/cit/hello:1", "--output", "docker-archive:\($0)/image.tar",
                                  "--output", "oci-layout:\($0)/layout"] },
                               status: 1, mentioning: [], singleLine: false) // the pusher may log progress first
    }

    func testDynamicExecutableWithoutBundling() throws {
        try Prerequisite.requireTools("gcc")
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.dynamicBinary, "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["dynamically linked", "-static-executable", "--bundle-shared-libraries"])
    }

    /// A --ca-file holding a private key is refused in one line that does not echo the key, before
    /// any output is written.
    func testACAFileHoldingAPrivateKeyIsRefused() throws {
        try Prerequisite.requireTools("gcc")
        let keys = try TestSupport.makeTemporaryDirectory("cit-ca-key")
        defer { TestSupport.remove(keys) }
        let key = keys + "/ca.key"
        try "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
            .write(toFile: key, atomically: true, encoding: .utf8)
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.staticBinary, "--ca-file", key, "--output", "docker-archive:\($0)/image.tar"] },
                               status: 1, mentioning: ["private key", key])
        let result = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--ca-file", key,
                                                    "--output", "docker-archive:\(keys)/image.tar"])
        XCTAssertFalse(result.stderr.contains("MIGH"), "the key is not echoed: \(result.stderr)")
    }

    func testMalformedOptions() throws {
        for (extra, message) in [
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
    ] {
            try malformedOptions(extra: extra, message: message)
        }
    }

    func malformedOptions(extra: [String], message: String) throws {
        try Prerequisite.requireTools("gcc")
        try Self.expectFailure({ ["--executable", TestSupport.fixtures.staticBinary, "--output", "docker-archive:\($0)/image.tar"] + extra },
                               status: 2, mentioning: [message])
    }

    func testMissingRequiredOptions() throws {
        try Self.expectFailure({ ["--output", "docker-archive:\($0)/image.tar"] }, status: 2, mentioning: ["missing --executable"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true"] }, status: 2, mentioning: ["missing --output"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "tarball:x.tar"] }, status: 2, mentioning: ["kind 'tarball' is unknown"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "docker-archive"] }, status: 2, mentioning: ["must be KIND:DEST"])
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "registry:nohost"] }, status: 2, mentioning: ["registry:HOST[:PORT]/REPO"])
        // Credentials typed into a reference are never echoed, with or without a repository part.
        for output in ["registry:pusher:S3cret-pw@localhost", "registry:pusher:S3cret-pw@localhost:5000/app:1"] {
            let result = try TestSupport.containertool(["build", "--executable", "/bin/true", "--output", output])
            XCTAssertEqual(result.status, 2, "\(result.stderr)")
            XCTAssertFalse(result.stderr.isEmpty, "\(result.stderr)")
            XCTAssertFalse(result.stderr.contains("S3cret-pw"), "\(result.stderr)")
        }
        try Self.expectFailure({ _ in ["--executable", "/bin/true", "--output", "docker-archive:a.tar", "--output", "oci-archive:./a.tar"] },
                               status: 2, mentioning: ["is given twice"])
    }

    func testHelpAndUnknownSubcommand() throws {
        let help = try TestSupport.containertool(["build", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--executable PATH") && help.stdout.contains("--bundle-shared-libraries"))
        let inspectHelp = try TestSupport.containertool(["inspect", "-h"])
        XCTAssertEqual(inspectHelp.status, 0, inspectHelp.stderr)
        XCTAssertTrue(inspectHelp.stdout.contains("usage: containertool inspect"), inspectHelp.stdout)
        let unknown = try TestSupport.containertool(["frobnicate"])
        XCTAssertEqual(unknown.status, 2, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("unknown subcommand"), unknown.stderr)
        let inspectMissing = try TestSupport.containertool(["inspect", "/nonexistent/image.tar"])
        XCTAssertEqual(inspectMissing.status, 1, inspectMissing.stderr)
        XCTAssertTrue(inspectMissing.stderr.contains("does not exist"), inspectMissing.stderr)
        let inspectNothing = try TestSupport.containertool(["inspect"])
        XCTAssertEqual(inspectNothing.status, 2)
    }

    /// `--json` prints exactly one JSON object with the documented keys, and inspect agrees.
    func testJsonResultAndInspect() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.containertool([
            "build", "--executable", TestSupport.fixtures.staticBinary, "--name", "Hello", "--json",
            "--output", "docker-archive:image.tar", "--output", "oci-layout:layout", "--output", "oci-archive:oci.tar",
            "--expose", "8080", "--env", "A=1", "--label", "org.opencontainers.image.version=1.2.3",
        ], in: directory)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["digest", "configDigest", "compressedSize", "uncompressedSize", "tag", "outputs", "pushed", "addOns", "layers", "platform"])
        XCTAssertEqual(object["tag"] as? String, "hello:latest")
        #if arch(x86_64)
        XCTAssertEqual(object["platform"] as? String, "linux/amd64", "the one image's platform: the executable's")
        #endif
        let outputs = try XCTUnwrap(object["outputs"] as? [[String: Any]])
        XCTAssertEqual(outputs.map { $0["kind"] as? String ?? "" }, ["docker-archive", "oci-layout", "oci-archive"])
        XCTAssertEqual(outputs.map { $0["destination"] as? String ?? "" }, [directory + "/image.tar", directory + "/layout", directory + "/oci.tar"])
        XCTAssertEqual(TestSupport.listing(directory), ["image.tar", "layout", "oci.tar"])
        // The docker archive keeps plain tar layers (like docker save), the OCI outputs gzip them:
        // one config (image ID), two manifests. The top-level digest is the one a registry would
        // show: the first gzip output's, even though the docker archive came first.
        let digests = outputs.map { $0["digest"] as? String ?? "" }
        XCTAssertEqual(object["digest"] as? String, digests[1])
        XCTAssertEqual(object["compressedSize"] as? Int, outputs[1]["size"] as? Int)
        XCTAssertEqual(digests[1], digests[2])
        XCTAssertNotEqual(digests[0], digests[1])
        XCTAssertTrue((outputs[0]["size"] as? Int ?? 0) > (outputs[1]["size"] as? Int ?? 0))

        for (index, target) in ["image.tar", "layout", "oci.tar", "docker-archive:image.tar", "oci-layout:layout", "oci-archive:oci.tar"].enumerated() {
            let inspected = try TestSupport.containertool(["inspect", target, "--json"], in: directory)
            XCTAssertEqual(inspected.status, 0, "\(inspected.stderr)")
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspected.stdoutBytes)) as? [String: Any])
            XCTAssertEqual(report["digest"] as? String, digests[index % 3], "\(target)")
            XCTAssertEqual(report["configDigest"] as? String, object["configDigest"] as? String)
            XCTAssertEqual(report["compressedSize"] as? Int, outputs[index % 3]["size"] as? Int)
            XCTAssertEqual(report["uncompressedSize"] as? Int, object["uncompressedSize"] as? Int)
            let config = try XCTUnwrap(report["config"] as? [String: Any])
            XCTAssertEqual(config["Entrypoint"] as? [String], ["/Hello"])
            XCTAssertEqual((config["Labels"] as? [String: String])?["org.opencontainers.image.version"], "1.2.3")
        }
        let human = try TestSupport.containertool(["inspect", "image.tar"], in: directory)
        XCTAssertTrue(human.stdout.contains(digests[0]) && human.stdout.contains("65532:65532") && human.stdout.contains("8080/tcp"))
    }

    /// SIGINT in the middle of a build: exit 130, no image and no temporary file left.
    func testInterruptedBuildLeavesNothing() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        let output = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory); TestSupport.remove(output) }
        // A large resource keeps the build busy for a while (sparse file, read back as zeros).
        XCTAssertTrue(FileManager.default.createFile(atPath: directory + "/big.bin", contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: directory + "/big.bin"))
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
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(TestSupport.listing(output), [])
    }

    /// Building again over an existing layout replaces it; over a non-layout directory it refuses.
    func testReplacesOnlyOCILayouts() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let arguments = ["build", "--executable", TestSupport.fixtures.staticBinary, "--output", "oci-layout:layout"]
        XCTAssertEqual(try TestSupport.containertool(arguments, in: directory).status, 0)
        XCTAssertEqual(try TestSupport.containertool(arguments + ["--cmd", "x"], in: directory).status, 0)
        XCTAssertEqual(TestSupport.listing(directory), ["layout"])
        try FileManager.default.createDirectory(atPath: directory + "/precious", withIntermediateDirectories: true)
        try "keep".write(toFile: directory + "/precious/file", atomically: true, encoding: .utf8)
        let refused = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--output", "oci-layout:precious"], in: directory)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("refusing to replace"), refused.stderr)
        XCTAssertEqual(TestSupport.listing(directory + "/precious"), ["file"])
    }
}
