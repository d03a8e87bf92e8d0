import Foundation
import TestSupport
import XCTest

/// What the plugin and the scripts read from `containertool`: JSON and exit codes, never human text.
final class ToolContractTests: XCTestCase {
    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any])
    }

    func testBuildFlagsAreTheOneOwnerOfCompilerFlags() throws {
        let standard = try TestSupport.containertool(["build-flags"])
        XCTAssertEqual(standard.status, 0)
        XCTAssertEqual(standard.stdout.split(separator: "\n"), ["--static-swift-stdlib", "-Xswiftc", "-static-executable", "-Xswiftc", "-use-ld=lld", "-Xlinker", "-s"])
        let dynamic = try Self.json(try TestSupport.containertool(["build-flags", "--link=dynamic-libc", "--json"]))
        XCTAssertEqual(dynamic["swiftBuildFlags"] as? [String], ["--static-swift-stdlib", "-Xswiftc", "-use-ld=lld", "-Xlinker", "-s"])
        XCTAssertEqual(dynamic["bundleSharedLibraries"] as? Bool, true)
        let embedded = try Self.json(try TestSupport.containertool(["build-flags", "--embedded", "--json"]))
        XCTAssertTrue((embedded["swiftBuildFlags"] as? [String] ?? []).contains("Embedded"))
        XCTAssertEqual(embedded["bundleSharedLibraries"] as? Bool, false)
        for bad in [["build-flags", "--embedded", "--link", "dynamic-libc"], ["build-flags", "--link", "musl"], ["build-flags", "--link"]] {
            let result = try TestSupport.containertool(bad)
            XCTAssertEqual(result.status, 2, "\(bad): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(bad): \(result.stderr)")
        }
    }

    func testBuildFlagsForAPlatformNameItsSwiftSDK() throws {
        #if arch(arm64)
        let other = "linux/amd64", host = "linux/arm64"
        #else
        let other = "linux/arm64", host = "linux/amd64"
        #endif
        let sdk = "embedded-" + other.replacingOccurrences(of: "/", with: "-")
        let cross = try Self.json(try TestSupport.containertool(["build-flags", "--embedded", "--platform", other, "--swift-sdks-path", "/sdks", "--json"]))
        XCTAssertEqual(cross["swiftBuildFlags"] as? [String], ["--swift-sdks-path", "/sdks", "--swift-sdk", sdk, "-Xlinker", "-s"])
        XCTAssertEqual(cross["swiftSDK"] as? String, sdk)
        XCTAssertEqual(cross["platform"] as? String, other)
        let native = try Self.json(try TestSupport.containertool(["build-flags", "--embedded", "--platform", host, "--json"]))
        XCTAssertTrue((native["swiftBuildFlags"] as? [String] ?? []).contains("Embedded") && native["swiftSDK"] == nil, "the host needs no SDK")
        let musl = try Self.json(try TestSupport.containertool(["build-flags", "--platform", other, "--swift-sdk", "musl-sdk", "--json"]))
        XCTAssertEqual(musl["swiftBuildFlags"] as? [String], ["--swift-sdk", "musl-sdk", "--static-swift-stdlib", "-Xlinker", "-s"])
        let standard = try TestSupport.containertool(["build-flags", "--platform", other])
        XCTAssertEqual(standard.status, 2, standard.stderr)
        XCTAssertEqual(standard.stdout, "")
        XCTAssertTrue(standard.stderr.hasPrefix("containertool build-flags: ") && standard.stderr.contains("--swift-sdk") && standard.stderr.contains("`swift sdk list`"), "\(standard.stderr)")
        let bad = try TestSupport.containertool(["build-flags", "--platform", "linux"])
        XCTAssertEqual(bad.status, 2, "\(bad.stderr)")
        XCTAssertTrue(bad.stderr.contains("not a platform"), "\(bad.stderr)")
    }

    func testDescribeOptionsListsEveryBuildOption() throws {
        let table = try Self.json(try TestSupport.containertool(["build", "--describe-options"]))
        let values = try XCTUnwrap(table["valueOptions"] as? [String])
        let flags = try XCTUnwrap(table["flags"] as? [String])
        XCTAssertTrue(values.contains("--label") && values.contains("--output") && values.contains("--cmd"))
        XCTAssertTrue(flags.contains("--bundle-shared-libraries") && flags.contains("--dry-run"))
        XCTAssertTrue(Set(values).isDisjoint(with: flags))
        // Every option in the help is in the table, so the plugin can pass it through.
        let help = try TestSupport.containertool(["build", "--help"]).stdout
        for option in values + flags { XCTAssertTrue(help.contains(option), "\(option) missing from build --help") }
    }

    /// `--dry-run` checks references and output paths before anything is built: the executable need not exist yet.
    func testDryRunRejectsABadPushReferenceAndWritesNothing() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let bad = try TestSupport.containertool(["build", "--dry-run", "--executable", "later/App",
                                                 "--output", "docker-archive:image.tar", "--output", "registry:127.0.0.1:5000/UX/App:1"], in: directory)
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr.split(separator: "\n").first?.contains("invalid image reference '127.0.0.1:5000/UX/App:1'"), true, "\(bad.stderr)")
        let good = try TestSupport.containertool(["build", "--dry-run", "--executable", "later/App",
                                                  "--output", "docker-archive:image.tar", "--output", "registry:127.0.0.1:5000/ux/app"], in: directory)
        XCTAssertEqual(good.status, 0, "\(good.stderr)")
        XCTAssertEqual(good.stdout, "", "\(good.stderr)")
        let unwritable = try TestSupport.containertool(["build", "--dry-run", "--executable", "later/App", "--output", "oci-layout:no/such/dir"], in: directory)
        XCTAssertEqual(unwritable.status, 1)
        XCTAssertEqual(TestSupport.listing(directory), [])
    }

    func testDockerfileJSONAndDryRun() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let dry = try Self.json(try TestSupport.containertool(["dockerfile", "--product=App", "--dry-run", "--json", "--output", "Dockerfile.App"], in: directory))
        XCTAssertEqual(dry["dryRun"] as? Bool, true)
        XCTAssertEqual(TestSupport.listing(directory), [])
        let written = try Self.json(try TestSupport.containertool(["dockerfile", "--product", "App", "--json", "--output", "Dockerfile.App"], in: directory))
        let files = try XCTUnwrap(written["files"] as? [[String: String]])
        XCTAssertEqual(files.map { $0["outcome"] }, ["created", "created"])
        XCTAssertEqual(files.map { URL(fileURLWithPath: $0["path"] ?? "").lastPathComponent }, ["Dockerfile.App", ".dockerignore"])
        // A hand-written Dockerfile fails the dry run too: the plugin learns it before compiling.
        try "FROM scratch\n".write(toFile: directory + "/Dockerfile", atomically: true, encoding: .utf8)
        let refused = try TestSupport.containertool(["dockerfile", "--product", "App", "--dry-run", "--json"], in: directory)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--force"), refused.stderr)
    }

    /// Every subcommand parses with the same rules and reports a mistake the same way.
    func testUsageErrorsAreExitCode2WithTheUsageLine() throws {
        for arguments in [
        ["sbom", "--product"], ["sbom", "--bogus", "x"], ["dockerfile", "--bogus"], ["dockerfile", "--port=0", "--product", "A"],
        ["inspect", "a", "b"], ["digest"], ["build-flags", "--json=1"],
    ] {
            try usageErrorsAreExitCode2WithTheUsageLine(arguments: arguments)
        }
    }

    func usageErrorsAreExitCode2WithTheUsageLine(arguments: [String]) throws {
        let result = try TestSupport.containertool(arguments)
        XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "\(result.stderr)")
        XCTAssertEqual(lines.first?.hasPrefix("containertool \(arguments[0]): "), true)
        XCTAssertEqual(lines.dropFirst().first?.hasPrefix("usage: containertool \(arguments[0])"), true)
    }

    func testOptionEqualsValueWorksEverywhere() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let sbom = try TestSupport.containertool(["sbom", "--product=App", "--output=sbom.json", "--swift-version=6.3", "--version=1.0"], in: directory)
        XCTAssertEqual(sbom.status, 0, "\(sbom.stderr)")
        XCTAssertEqual(TestSupport.listing(directory), ["sbom.json"])
        let digest = try TestSupport.containertool(["digest", "sbom.json", "missing"], in: directory)
        XCTAssertEqual(digest.status, 1, digest.stderr)
        XCTAssertTrue(digest.stdout.hasPrefix("sha256:"), digest.stdout)
        XCTAssertTrue(digest.stderr.contains("cannot read missing"), digest.stderr)
    }
}
