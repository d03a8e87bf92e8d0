import Foundation
import TestSupport
import XCTest

/// `containertool provenance`: SLSA Provenance v1 in an in-toto Statement v1, checked by the
/// in-toto-attestation Python bindings (scripts/lib/validate-provenance.py), not by our own reader.
final class ProvenanceTests: XCTestCase {
    static let digest = String(repeating: "ab", count: 32)
    static let validator = TestSupport.packageRoot + "/scripts/lib/validate-provenance.py"

    var directory = ""

    /// Two pins: a tagged release and a branch.
    static let packageResolved = """
        {"pins":[{"identity":"swift-nio","kind":"remoteSourceControl","location":"https://github.com/apple/swift-nio.git",
                  "state":{"revision":"fc63f0cf4e55a4597407a9fc95b16a2bc44b4982","version":"2.64.0"}},
                 {"identity":"async-kit","kind":"remoteSourceControl","location":"https://github.com/vapor/async-kit",
                  "state":{"branch":"main","revision":"7ece208cd401687641c88367a00e3ea2b04311f1"}}],"version":2}
        """

    override func setUpWithError() throws {
        try Prerequisite.requireTools("python3")
        let probe = try TestSupport.run("python3", ["-c", "import in_toto_attestation, google.protobuf"])
        try Prerequisite.require(probe.status == 0, "the in-toto-attestation Python bindings are missing (pip install in-toto-attestation)")
        directory = try TestSupport.makeTemporaryDirectory("provenance")
        try Self.packageResolved.write(toFile: directory + "/Package.resolved", atomically: true, encoding: .utf8)
    }

    override func tearDown() { TestSupport.remove(directory) }

    private func write(_ extra: [String] = []) throws -> ProcessResult {
        try TestSupport.containertool(["provenance", "--subject", "helloweb:1.0.0@sha256:\(Self.digest)", "--output", directory + "/p.json",
                                       "--package-path", directory, "--swift-version", "6.3.1",
                                       "--parameter", "product=HelloWeb", "--parameter", "swiftBuildFlag=--static-swift-stdlib",
                                       "--parameter", "swiftBuildFlag=-Xswiftc", "--source", "https://example.com/hello.git",
                                       "--revision", String(repeating: "1", count: 40), "--started", "2026-12-06T04:00:00Z"] + extra)
    }

    func testTheStatementIsValidSLSAProvenanceAndNamesEveryInput() throws {
        let result = try write(["--base", "127.0.0.1:5000/base:1@sha256:" + String(repeating: "cd", count: 32)])
        XCTAssertEqual(result.status, 0, result.stderr)
        let validated = try TestSupport.run("python3", [Self.validator, directory + "/p.json", Self.digest])
        XCTAssertEqual(validated.status, 0, validated.stderr)
        XCTAssertTrue(validated.stdout.contains("provenance: 1 subject(s), build type urn:swift-containerize:buildtype:containerize:v1, 5 resolved dependencies"), validated.stdout)

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/p.json"))) as? [String: Any])
        let predicate = try XCTUnwrap(json["predicate"] as? [String: Any])
        let definition = try XCTUnwrap(predicate["buildDefinition"] as? [String: Any])
        let parameters = try XCTUnwrap(definition["externalParameters"] as? [String: Any])
        XCTAssertEqual(parameters["product"] as? String, "HelloWeb")
        XCTAssertEqual(parameters["swiftBuildFlag"] as? [String], ["--static-swift-stdlib", "-Xswiftc"], "a repeated key is a list, in order")
        let dependencies = try XCTUnwrap(definition["resolvedDependencies"] as? [[String: Any]])
        let uris = dependencies.compactMap { $0["uri"] as? String }
        XCTAssertEqual(uris, ["git+https://example.com/hello.git@" + String(repeating: "1", count: 40),
                              "git+https://github.com/vapor/async-kit@main", "git+https://github.com/apple/swift-nio.git@2.64.0",
                              "pkg:generic/swift@6.3.1", "oci://127.0.0.1:5000/base:1"])
        XCTAssertEqual(dependencies[2]["digest"] as? [String: String], ["gitCommit": "fc63f0cf4e55a4597407a9fc95b16a2bc44b4982"])
        XCTAssertEqual(dependencies[4]["digest"] as? [String: String], ["sha256": String(repeating: "cd", count: 32)])
    }

    /// The validator is a real check: a statement without a subject, or with a field the
    /// Provenance schema does not have, fails it.
    func testTheValidatorRefusesABrokenStatement() throws {
        XCTAssertEqual(try write().status, 0)
        let path = directory + "/p.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for (label, broken) in [("no subject", text.replacingOccurrences(of: #""subject":["#, with: #""subject":[],"ignored":["#)),
                                ("unknown field", text.replacingOccurrences(of: #""buildType""#, with: #""buildKind""#))] {
            try broken.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertNotEqual(try TestSupport.run("python3", [Self.validator, path]).status, 0, label)
        }
    }

    func testMistakesAreUsageErrors() throws {
        for (arguments, message) in [
            (["--output", "x.json"], "--subject NAME@sha256:HEX is required"),
            (["--subject", "helloweb@sha256:ABC", "--output", "x.json"], "must be NAME@sha256:HEX with 64 lowercase hex digits"),
            (["--subject", "helloweb@sha256:\(Self.digest)", "--output", "x.json", "--started", "yesterday"], "must be an RFC 3339 time"),
            (["--subject", "helloweb@sha256:\(Self.digest)", "--output", "x.json", "--parameter", "novalue"], "must be KEY=VALUE"),
        ] {
            let result = try TestSupport.containertool(["provenance"] + arguments, in: directory)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/x.json"))
    }
}
