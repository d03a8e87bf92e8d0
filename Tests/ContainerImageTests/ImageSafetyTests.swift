import OCIModel
@testable import ContainerImage
import Foundation
import Synchronization
import TestSupport
import XCTest

/// Inputs that could produce a broken image are refused before anything is written; outputs
/// never follow planted links, never overwrite inputs, and merge into existing OCI layouts.
final class ImageSafetyTests: XCTestCase {
    static var binary: String { TestSupport.fixtures.staticBinary }

    /// Each conflict: exit 1, one line naming both paths, nothing written.
    func testPathConflictsFailWithBothPathsAndNoOutput() throws {
        try Prerequisite.requireTools("gcc")
        let fixtures = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(fixtures) }
        try "x".write(toFile: fixtures + "/f.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: fixtures + "/r", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixtures + "/r/link", withDestinationPath: "/etc")
        try FileManager.default.createDirectory(atPath: fixtures + "/rel", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixtures + "/rel/sub", withDestinationPath: "dir")
        try FileManager.default.createDirectory(atPath: fixtures + "/up", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixtures + "/up/escape", withDestinationPath: "../../etc/shadow")
        let cases: [([String], [String])] = [
            (["--name", "etc"], ["/etc", "/etc/passwd"]),
            (["--name", "HelloWeb", "--resource", fixtures + "/f.txt:/HelloWeb/x"], ["/HelloWeb", "/HelloWeb/x"]),
            (["--resource", fixtures + "/f.txt:/etc/passwd"], ["/etc/passwd", fixtures + "/f.txt"]),
            (["--resource", fixtures + "/f.txt:/data/a", "--resource", fixtures + "/f.txt:/data/a"], ["/data/a"]),
            (["--resource", fixtures + "/r:/r"], ["/r/link", "/etc"]),
            (["--resource", fixtures + "/rel:/rel", "--resource", fixtures + "/f.txt:/rel/sub/injected"], ["/rel/sub", "/rel/sub/injected"]),
            (["--resource", fixtures + "/f.txt:/rel/sub/injected", "--resource", fixtures + "/rel:/rel"], ["/rel/sub", "/rel/sub/injected"]),
            (["--resource", fixtures + "/up:/up"], ["/up/escape", "../../etc/shadow"]),
        ]
        for (extra, fragments) in cases {
            try CLITests.expectFailure({ ["--executable", Self.binary, "--output", "oci-layout:\($0)/layout", "--output", "docker-archive:\($0)/d.tar"] + extra },
                                       status: 1, mentioning: fragments)
        }
        // A relative link that stays inside its resource directory is fine.
        let fine = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(fine) }
        try FileManager.default.createDirectory(atPath: fine + "/site/v2", withIntermediateDirectories: true)
        try "v2".write(toFile: fine + "/site/v2/index.html", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: fine + "/site/current", withDestinationPath: "v2")
        let ok = try TestSupport.containertool(["build", "--executable", Self.binary, "--resource", fine + "/site:/srv/site", "--output", "oci-archive:o.tar"], in: fine)
        XCTAssertEqual(ok.status, 0, "\(ok.stderr)")
    }

    /// skopeo writes two tags into a layout, containertool a third: all three stay listed.
    func testLayoutOutputMergesWithOtherTags() throws {
        try Prerequisite.requireTools("gcc", "skopeo")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let first = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "oci-archive:seed.tar", "--cmd", "seed"], in: directory)
        XCTAssertEqual(first.status, 0, "\(first.stderr)")
        for tag in ["one", "two"] {
            let copy = try TestSupport.run("skopeo", ["copy", "-q", "oci-archive:seed.tar", "oci:layout:\(tag)"], in: directory)
            XCTAssertEqual(copy.status, 0, "\(copy.stderr)")
        }
        let ours = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "oci-layout:layout", "--tag", "app:three"], in: directory)
        XCTAssertEqual(ours.status, 0, "\(ours.stderr)")
        var digests: [String: String] = [:]
        for tag in ["one", "two", "three"] {
            let inspect = try TestSupport.run("skopeo", ["inspect", "oci:\(directory)/layout:\(tag)"])
            XCTAssertEqual(inspect.status, 0, "\(tag): \(inspect.stderr)")
            let object = try? JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
            digests[tag] = object?["Digest"] as? String
        }
        XCTAssertEqual(digests["one"], digests["two"])
        XCTAssertNotEqual(digests["one"], digests["three"])
        // The same tag again replaces its entry (with different content), the others stay.
        let again = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "oci-layout:layout", "--tag", "app:three", "--cmd", "x"], in: directory)
        XCTAssertEqual(again.status, 0)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/layout/index.json"))) as? [String: Any]
        let names = ((index?["manifests"] as? [[String: Any]]) ?? []).compactMap { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] }
        XCTAssertEqual(names.sorted(), ["one", "three", "two"])
        XCTAssertTrue(!TestSupport.listing(directory).contains { $0.hasPrefix(".") } && !TestSupport.listing(directory + "/layout").contains { $0.hasPrefix(".") })
    }

    /// Layouts are locked in one order (path order), whatever the order of the --output options, so two
    /// runs naming the same layouts in opposite orders cannot deadlock. The other run is played by
    /// flock(1): it holds `one`, then wants `two` (for at most 15 s) while this run stages `two, one`.
    func testLayoutsAreLockedInPathOrderSoOppositeOrdersDoNotDeadlock() throws {
        try Prerequisite.requireTools("flock", "timeout")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        for layout in ["one", "two"] {
            let seed = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "oci-layout:\(layout)"], in: directory)
            XCTAssertEqual(seed.status, 0, "\(seed.stderr)")
        }
        let other = Process()
        other.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        other.arguments = ["flock", "one", "sh", "-c", "sleep 3; flock -w 15 two true"]
        other.currentDirectoryURL = URL(fileURLWithPath: directory)
        try other.run()
        usleep(500_000)
        let ours = try TestSupport.run("timeout", ["60", TestSupport.containertool, "build", "--executable", Self.binary, "--tag", "app:ours",
                                                   "--output", "oci-layout:two", "--output", "oci-layout:one"], in: directory)
        other.waitUntilExit()
        XCTAssertEqual(other.terminationStatus, 0, "the other run could not lock 'two' within 15 s: this run held it while waiting for 'one'")
        XCTAssertEqual(ours.status, 0, "\(ours.stderr)")
    }

    /// An archive output that is a FIFO (or a device such as /dev/null) is refused, not replaced by a regular file.
    func testSpecialFileOutputIsRefusedNotReplaced() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        let fifo = directory + "/fifo"
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        for kind in ["oci-archive", "docker-archive"] {
            let result = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "\(kind):\(fifo)"], in: directory)
            XCTAssertEqual(result.status, 1, "\(result.stderr)")
            XCTAssertTrue(result.stderr.contains("not a regular file"), "\(result.stderr)")
            var info = stat()
            XCTAssertEqual(lstat(fifo, &info), 0, "the FIFO was replaced")
            XCTAssertEqual((info.st_mode & S_IFMT), S_IFIFO, "the FIFO was replaced")
        }
        XCTAssertEqual(TestSupport.listing(directory), ["fifo"])
    }

    /// Runs merging into one layout at the same time each keep their tag: the layout is locked from
    /// reading index.json to committing it (without the lock the last rename dropped the others).
    func testConcurrentRunsIntoOneLayoutKeepEveryTag() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        // Random bytes, so each run spends a while compressing while the others read the index.
        let resource = directory + "/data.bin"
        XCTAssertTrue(FileManager.default.createFile(atPath: resource, contents: FileHandle(forReadingAtPath: "/dev/urandom")?.readData(ofLength: 12 << 20)))
        let seed = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "oci-layout:layout", "--tag", "app:seed"], in: directory)
        XCTAssertEqual(seed.status, 0, "\(seed.stderr)")
        let tags = (1...4).map { "t\($0)" }
        let statuses = LockedStatuses()
        DispatchQueue.concurrentPerform(iterations: tags.count) { index in
            let result = try? TestSupport.containertool(["build", "--executable", Self.binary, "--resource", "data.bin", "--label", "n=\(index)",
                                                         "--output", "oci-layout:layout", "--tag", "app:\(tags[index])"], in: directory)
            statuses.append(result.map { "\($0.status) \($0.stderr.suffix(300))" } ?? "did not run")
        }
        XCTAssertTrue(statuses.values.allSatisfy { $0.hasPrefix("0 ") }, "\(statuses.values)")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/layout/index.json"))) as? [String: Any]
        let names = ((index?["manifests"] as? [[String: Any]]) ?? []).compactMap { ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] }
        XCTAssertEqual(names.sorted(), (["seed"] + tags).sorted())
        XCTAssertTrue(!TestSupport.listing(directory + "/layout").contains { $0.hasPrefix(".") })
        try Prerequisite.requireTools("skopeo")
        for tag in tags {
            let inspect = try TestSupport.run("skopeo", ["inspect", "oci:\(directory)/layout:\(tag)"])
            XCTAssertEqual(inspect.status, 0, "\(tag): \(inspect.stderr)")
        }
    }

    /// Hostile existing layouts are refused without being touched.
    func testHostileLayoutsAreRefused() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        let elsewhere = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory); TestSupport.remove(elsewhere) }
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: directory + "/garbage", withIntermediateDirectories: true)
        try "{\"imageLayoutVersion\":\"1.0.0\"}".write(toFile: directory + "/garbage/oci-layout", atomically: true, encoding: .utf8)
        try "not json".write(toFile: directory + "/garbage/index.json", atomically: true, encoding: .utf8)
        try fileManager.createDirectory(atPath: directory + "/linked", withIntermediateDirectories: true)
        try "{\"imageLayoutVersion\":\"1.0.0\"}".write(toFile: directory + "/linked/oci-layout", atomically: true, encoding: .utf8)
        try fileManager.createSymbolicLink(atPath: directory + "/linked/blobs", withDestinationPath: elsewhere)
        for layout in ["garbage", "linked"] {
            let result = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "oci-layout:\(layout)"], in: directory)
            XCTAssertEqual(result.status, 1, "\(layout): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("cannot add to the OCI layout"), "\(layout): \(result.stderr)")
        }
        XCTAssertEqual(TestSupport.listing(elsewhere), [])
        XCTAssertEqual(try String(contentsOfFile: directory + "/garbage/index.json", encoding: .utf8), "not json")
        XCTAssertEqual(TestSupport.listing(directory + "/garbage"), ["index.json", "oci-layout"])
    }

    /// A symlink planted at the temporary name is not followed: its target stays untouched.
    func testPlantedSymlinkIsNotFollowed() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try "precious".write(toFile: directory + "/victim", atomically: true, encoding: .utf8)
        let planted = directory + "/.image.tar.partial-planted"
        try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: directory + "/victim")
        let candidates = [planted] + AtomicOutput.temporaryNames(for: directory + "/image.tar", suffix: "partial")
        let staged = try AtomicOutput.stageFile(at: directory + "/image.tar", candidates: candidates) { try $0.write(Array("image".utf8)) }
        try staged.commit()
        XCTAssertEqual(try String(contentsOfFile: directory + "/victim", encoding: .utf8), "precious")
        XCTAssertEqual(try String(contentsOfFile: directory + "/image.tar", encoding: .utf8), "image")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: planted), directory + "/victim")
        // An output path that is itself a symlink is refused.
        try FileManager.default.createSymbolicLink(atPath: directory + "/out.tar", withDestinationPath: directory + "/victim")
        assertThrows(OutputError.isSymlink(directory + "/out.tar")) { try AtomicOutput.checkWritable(directory + "/out.tar", asDirectory: false) }
    }

    /// All or nothing: when the second output cannot be renamed into place, the first is rolled back.
    func testCommitIsAllOrNothing() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try "old".write(toFile: directory + "/a.tar", atomically: true, encoding: .utf8)
        let first = try AtomicOutput.stageFile(at: directory + "/a.tar") { try $0.write(Array("new".utf8)) }
        let second = try AtomicOutput.stageFile(at: directory + "/b.tar") { try $0.write(Array("new".utf8)) }
        // b.tar becomes a non-empty directory after staging: its rename must fail.
        try FileManager.default.createDirectory(atPath: directory + "/b.tar/x", withIntermediateDirectories: true)
        assertThrows(OutputError.self) { try StagedOutput.commitAll([first, second]) }
        XCTAssertEqual(try String(contentsOfFile: directory + "/a.tar", encoding: .utf8), "old")
        XCTAssertEqual(TestSupport.listing(directory), ["a.tar", "b.tar"])
    }

    func testOutputThatIsAnInputIsRefused() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        try FileManager.default.copyItem(atPath: Self.binary, toPath: directory + "/app")
        try "x".write(toFile: directory + "/data.txt", atomically: true, encoding: .utf8)
        let original = try TestSupport.readBytes(directory + "/app")
        for arguments in [["--output", "oci-archive:app"], ["--output", "docker-archive:data.txt", "--resource", "data.txt:/data.txt"],
                          ["--output", "oci-archive:image.tar", "--resource", ".:/ctx"]] {
            let result = try TestSupport.containertool(["build", "--executable", "app"] + arguments, in: directory)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("would overwrite the input"), "\(arguments): \(result.stderr)")
        }
        XCTAssertEqual(try TestSupport.readBytes(directory + "/app"), original)
        XCTAssertEqual(TestSupport.listing(directory), ["app", "data.txt"])
    }

    /// Times beyond the ustar field go into PAX records; beyond year 9999 is a usage error, for sbom too.
    func testSourceDateEpochBeyondTheOctalFieldAndYear9999() throws {
        try Prerequisite.requireTools("gcc", "tar")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = "9999999999"
        let built = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "docker-archive:d.tar"], in: directory, environment: environment)
        XCTAssertEqual(built.status, 0, "\(built.stderr)")
        let image = try ImageReader.read(path: directory + "/d.tar")
        XCTAssertEqual(image.config.created, "2286-11-20T17:46:39Z")
        let listing = try TestSupport.run("tar", ["--full-time", "-tvf", "d.tar", "manifest.json"], in: directory, environment: ["TZ": "UTC"])
        XCTAssertTrue(listing.stdout.contains("2286-11-20 17:46:39"), "\(listing.stdout)\(listing.stderr)")
        let records = try TarReader.read(try TestSupport.readBytes(directory + "/d.tar"))
        XCTAssertTrue(records.allSatisfy { $0.modificationTime == 9_999_999_999 })

        environment["SOURCE_DATE_EPOCH"] = "253402300800"
        let refused = try TestSupport.containertool(["build", "--executable", Self.binary, "--output", "docker-archive:e.tar"], in: directory, environment: environment)
        XCTAssertEqual(refused.status, 2, "\(refused.stderr)")
        XCTAssertTrue(refused.stderr.contains("9999-12-31T23:59:59Z"), "\(refused.stderr)")
        for bad in ["253402300800", "yesterday"] {
            environment["SOURCE_DATE_EPOCH"] = bad
            let sbom = try TestSupport.containertool(["sbom", "--product", "x", "--output", "s.json", "--swift-version", "6.3"], in: directory, environment: environment)
            XCTAssertEqual(sbom.status, 2, "\(sbom.stderr)")
            XCTAssertTrue(sbom.stderr.contains("SOURCE_DATE_EPOCH"), "\(sbom.stderr)")
        }
        XCTAssertEqual(TestSupport.listing(directory), ["d.tar"])
    }

    /// Adversarial inputs: a FIFO as the executable does not hang, deeply nested JSON is refused
    /// before a recursive parser sees it, a hostile archive is a clean error for inspect.
    func testHostileInputsAreCleanErrors() throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        XCTAssertEqual(mkfifo(directory + "/fifo", 0o644), 0)
        try CLITests.expectFailure({ ["--executable", directory + "/fifo", "--output", "oci-archive:\($0)/o.tar"] },
                                   status: 1, mentioning: ["not an ELF executable"])
        let nested = [UInt8](repeating: UInt8(ascii: "["), count: 200_000)
        assertThrows(JSONNestingError.self) { try CanonicalJSON.checkNesting(nested) }
        assertThrows((any Error).self) { try CanonicalJSON.decode(ImageIndex.self, from: nested) }
        try FileManager.default.createDirectory(atPath: directory + "/deep", withIntermediateDirectories: true)
        try "{\"imageLayoutVersion\":\"1.0.0\"}".write(toFile: directory + "/deep/oci-layout", atomically: true, encoding: .utf8)
        try Data(nested).write(to: URL(fileURLWithPath: directory + "/deep/index.json"))
        let inspect = try TestSupport.containertool(["inspect", directory + "/deep"])
        XCTAssertEqual(inspect.status, 1, "\(inspect.stderr)")
        XCTAssertEqual(inspect.stderr.split(separator: "\n").count, 1, "\(inspect.stderr)")
        // A tar whose header claims more data than the file holds.
        var header = [UInt8](repeating: 0, count: 512)
        for (offset, text) in [(0, "index.json"), (100, "0000644"), (124, "77777777777"), (257, "ustar")] {
            header.replaceSubrange(offset..<offset + text.utf8.count, with: Array(text.utf8))
        }
        header.replaceSubrange(148..<156, with: Array(repeating: UInt8(ascii: " "), count: 8))
        let sum = String(header.reduce(0) { $0 + Int($1) }, radix: 8)
        header.replaceSubrange(148..<148 + sum.utf8.count + 1, with: Array(sum.utf8) + [0])
        try Data(header + [UInt8](repeating: 0, count: 1024)).write(to: URL(fileURLWithPath: directory + "/bad.tar"))
        let bad = try TestSupport.containertool(["inspect", directory + "/bad.tar"])
        XCTAssertEqual(bad.status, 1, "\(bad.stderr)")
        XCTAssertTrue(bad.stderr.contains("runs past the end"), "\(bad.stderr)")
    }
}

/// Results collected from concurrent runs.
private final class LockedStatuses: Sendable {
    private let list = Mutex<[String]>([])
    func append(_ value: String) { list.withLock { $0.append(value) } }
    var values: [String] { list.withLock { $0 } }
}
