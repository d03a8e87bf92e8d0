import ContainerImage
import OCIModel
import Foundation
import TestSupport
import XCTest

/// `containertool attach oci-layout:…`: referrers in an OCI layout's index.json, the image untouched,
/// real tools still reading the layout, and nothing changed by a failure, an interrupt or a hostile index.
final class LayoutReferrersTests: XCTestCase {
    /// A layout with the static fixture tagged 1.0, and two documents to attach.
    static func makeLayout() throws -> (directory: String, digest: String) {
        try Prerequisite.requireTools("gcc")
        let (directory, digest) = try ToolAcceptanceTests.buildAll()
        try Data(#"{"spdxVersion":"SPDX-2.3"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/hello.spdx.json"))
        try Data(#"{"_type":"https://in-toto.io/Statement/v1"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/hello.provenance.json"))
        return (directory, digest)
    }

    static func attach(_ target: String, _ files: [String] = ["hello.spdx.json", "hello.provenance.json"], in directory: String) throws -> ProcessResult {
        try TestSupport.containertool(["attach", target, "--json"] + files.flatMap { ["--file", $0] }, in: directory)
    }

    static func index(_ directory: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/layout/index.json"))
        return try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["manifests"] as? [[String: Any]])
    }

    static func blob(_ digest: String, in directory: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/layout/blobs/sha256/" + digest.dropFirst("sha256:".count)))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Everything under the layout with each file's bytes: "untouched" means exactly this again.
    static func snapshot(_ directory: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for path in TemporaryFileCleanupTests.everything(in: directory + "/layout") {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/layout/" + path, isDirectory: &isDirectory)
            files[path] = isDirectory.boolValue ? [] : try TestSupport.readBytes(directory + "/layout/" + path)
        }
        return files
    }

    func testAttachListsEachFileAsAReferrerOfTheImage() throws {
        let (directory, digest) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        let before = try Self.index(directory)
        let result = try Self.attach("oci-layout:layout:1.0", in: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [[String: Any]])
        XCTAssertEqual(report.map { $0["artifactType"] as? String }, ["application/spdx+json", "application/vnd.in-toto+json"])
        XCTAssertEqual(report.compactMap { $0["ociLayout"] as? String }, [directory + "/layout", directory + "/layout"])

        let after = try Self.index(directory)
        XCTAssertEqual(after.count, 3)
        XCTAssertEqual(NSDictionary(dictionary: after[0]), NSDictionary(dictionary: before[0]), "the image's entry is the first, unchanged")
        let referrers = Array(after.dropFirst())
        XCTAssertEqual(Set(referrers.compactMap { $0["digest"] as? String }), Set(report.compactMap { $0["digest"] as? String }))
        XCTAssertEqual(referrers.compactMap { $0["digest"] as? String }, referrers.compactMap { $0["digest"] as? String }.sorted(), "referrers by digest")
        for entry in referrers {
            XCTAssertNil(entry["annotations"], "a referrer is not tagged")
            XCTAssertEqual(entry["mediaType"] as? String, MediaType.imageManifest)
            let manifest = try Self.blob(try XCTUnwrap(entry["digest"] as? String), in: directory)
            XCTAssertEqual(manifest["artifactType"] as? String, entry["artifactType"] as? String)
            XCTAssertEqual((manifest["subject"] as? [String: Any])?["digest"] as? String, digest)
            XCTAssertEqual((manifest["config"] as? [String: Any])?["mediaType"] as? String, MediaType.emptyJSON)
            XCTAssertNil(manifest["annotations"], "no timestamps: the same file gives the same manifest")
        }
        XCTAssertEqual(try ImageReader.read(path: directory + "/layout").digest, digest)
        let inspect = try TestSupport.containertool(["inspect", "oci-layout:layout", "--json"], in: directory)
        XCTAssertEqual(inspect.status, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains(digest), "containertool inspect still shows the image")
    }

    /// Attaching again, or in the other order, gives the same bytes; an image rebuilt into the
    /// layout goes before the referrers, so readers that take the first image still find it.
    func testAttachIsIdempotentAndOrderIndependent() throws {
        let (directory, digest) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        XCTAssertEqual(try Self.attach("oci-layout:layout", in: directory).status, 0)
        let once = try TestSupport.readBytes(directory + "/layout/index.json")
        let blobs = TestSupport.listing(directory + "/layout/blobs/sha256")
        XCTAssertEqual(try Self.attach("oci-layout:layout@" + digest, ["hello.provenance.json", "hello.spdx.json"], in: directory).status, 0)
        XCTAssertEqual(try TestSupport.readBytes(directory + "/layout/index.json"), once)
        XCTAssertEqual(TestSupport.listing(directory + "/layout/blobs/sha256"), blobs)

        // A second image in the layout: the first's referrers stay, the new image goes before them.
        let rebuilt = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--tag", "hello:2.0",
                                                     "--label", "second=yes", "--output", "oci-layout:layout", "--json"], in: directory)
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        let entries = try Self.index(directory)
        XCTAssertEqual(entries.map { ($0["annotations"] as? [String: String])?[AnnotationKey.refName] }, ["1.0", "2.0", nil, nil])
        // Now the layout holds two images: which one is meant must be said.
        let ambiguous = try Self.attach("oci-layout:layout", in: directory)
        XCTAssertEqual(ambiguous.status, 1)
        XCTAssertTrue(ambiguous.stderr.contains("several images (tags: 1.0, 2.0)"), ambiguous.stderr)
        XCTAssertEqual(ambiguous.stderr.split(separator: "\n").count, 1, ambiguous.stderr)
        let second = try Self.attach("oci-layout:layout:2.0", ["hello.spdx.json"], in: directory)
        XCTAssertEqual(second.status, 0, second.stderr)
        let subjects = try Self.index(directory).filter { $0["artifactType"] != nil }.map { entry in
            try ((Self.blob(entry["digest"] as? String ?? "", in: directory)["subject"] as? [String: Any])?["digest"] as? String) ?? ""
        }
        XCTAssertEqual(subjects.count, 3)
        XCTAssertEqual(subjects.filter { $0 == digest }.count, 2, "the first image keeps both referrers")
        let missing = try Self.attach("oci-layout:layout:3.0", in: directory)
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no image tagged 3.0 (tags: 1.0, 2.0)"), missing.stderr)
    }

    /// skopeo, umoci and oci-image-tool read the layout after the attach as before.
    func testRealToolsStillReadTheLayout() throws {
        try Prerequisite.requireTools("gcc", "skopeo", "umoci", "oci-image-tool")
        let (directory, digest) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        XCTAssertEqual(try Self.attach("oci-layout:layout:1.0", in: directory).status, 0)
        let skopeo = try TestSupport.run("skopeo", ["inspect", "oci:layout:1.0"], in: directory)
        XCTAssertEqual(skopeo.status, 0, skopeo.stderr)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(skopeo.stdoutBytes)) as? [String: Any])?["Digest"] as? String, digest)
        let copy = try TestSupport.run("skopeo", ["copy", "--quiet", "oci:layout:1.0", "oci:copied:latest"], in: directory)
        XCTAssertEqual(copy.status, 0, copy.stderr)
        let umoci = try TestSupport.run("umoci", ["stat", "--image", "layout:1.0"], in: directory)
        XCTAssertEqual(umoci.status, 0, umoci.stderr)
        let unpack = try TestSupport.run("umoci", ["unpack", "--rootless", "--image", "layout:1.0", "bundle"], in: directory)
        XCTAssertEqual(unpack.status, 0, unpack.stderr)
        try Self.validateWithOciImageTool(directory + "/layout", tag: "1.0")
        // A base image can still come from it: the referrers are not taken for images.
        let based = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--from", "oci-layout:layout",
                                                   "--output", "oci-layout:based"], in: directory)
        XCTAssertEqual(based.status, 0, based.stderr)
    }

    /// oci-image-tool validates the index, each referrer's manifest, and the tagged image. The image
    /// is checked through a copy of the layout whose index lists only it: oci-image-tool 1.0.0-rc1's
    /// `--ref` filter skips every other entry it drops, so two untagged entries in a row (any two
    /// referrers, ours or oras's) make it say the tag "is not unique".
    static func validateWithOciImageTool(_ layout: String, tag: String) throws {
        func validate(_ arguments: [String]) throws {
            let result = try TestSupport.run("oci-image-tool", ["validate"] + arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stdout)\(result.stderr)")
        }
        try validate(["--type", "imageIndex", layout + "/index.json"])
        let data = try Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))
        var index = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entries = try XCTUnwrap(index["manifests"] as? [[String: Any]])
        for entry in entries where entry["artifactType"] != nil {
            try validate(["--type", "manifest", layout + "/blobs/sha256/" + (entry["digest"] as? String ?? "").dropFirst("sha256:".count)])
        }
        let view = layout + ".image-only"
        defer { TestSupport.remove(view) }
        try FileManager.default.createDirectory(atPath: view, withIntermediateDirectories: false)
        XCTAssertEqual(try TestSupport.run("cp", ["-al", layout + "/blobs", layout + "/oci-layout", view]).status, 0)
        index["manifests"] = entries.filter { ($0["annotations"] as? [String: String])?[AnnotationKey.refName] == tag }
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: view + "/index.json"))
        try validate(["--type", "image", "--ref", "name=" + tag, view])
    }

    /// The second file's blob name is taken by a file of another size: the attach fails in one line
    /// and the layout is exactly as it was (the first file's blobs are not left behind).
    func testFailingAttachLeavesTheLayoutUntouched() throws {
        let (directory, _) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        let provenance = try TestSupport.readBytes(directory + "/hello.provenance.json")
        try Data("wrong".utf8).write(to: URL(fileURLWithPath: directory + "/layout/blobs/sha256/" + SHA256.hash(provenance).hexString))
        let before = try Self.snapshot(directory)
        let result = try Self.attach("oci-layout:layout:1.0", in: directory)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot add to the OCI layout"), result.stderr)
        XCTAssertEqual(try Self.snapshot(directory), before)
    }

    /// SIGINT while another run holds the layout: exit 130, nothing changed.
    func testInterruptedAttachLeavesTheLayoutUntouched() throws {
        let (directory, _) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        let before = try Self.snapshot(directory)
        let lock = open(directory + "/layout", O_RDONLY | O_DIRECTORY)
        XCTAssertEqual(flock(lock, LOCK_EX), 0)
        defer { close(lock) }
        let status = try TemporaryFileCleanupTests.interrupt(["attach", "oci-layout:\(directory)/layout", "--file", directory + "/hello.spdx.json"],
                                                             environment: ProcessInfo.processInfo.environment, delay: 0.5) { true }
        XCTAssertEqual(status, 130)
        XCTAssertEqual(try Self.snapshot(directory), before)
    }

    /// Two attaches at once to the same layout: the lock orders them, and both entries are listed.
    func testConcurrentAttachesKeepBoth() throws {
        let (directory, _) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        let results = [["hello.spdx.json"], ["hello.provenance.json"]].map { files in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestSupport.containertool)
            process.arguments = ["attach", "oci-layout:layout"] + files.flatMap { ["--file", $0] }
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try? process.run()
            return process
        }
        for process in results { process.waitUntilExit() }
        XCTAssertEqual(results.map(\.terminationStatus), [0, 0])
        XCTAssertEqual(try Self.index(directory).compactMap { $0["artifactType"] as? String }.sorted(), ["application/spdx+json", "application/vnd.in-toto+json"])
    }

    /// index.json that is too large, too deep, not an index, or a symlink: one line, nothing changed.
    func testHostileIndexIsRefusedInOneLine() throws {
        let (directory, _) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        let index = directory + "/layout/index.json"
        let original = try TestSupport.readBytes(index)
        let cases: [(String, () throws -> Void)] = [
            ("more than the 64 MiB", { XCTAssertEqual(truncate(index, 65 << 20), 0) }),
            ("not an OCI image index", { try Data(("{\"manifests\":" + String(repeating: "[", count: 100_000)).utf8).write(to: URL(fileURLWithPath: index)) }),
            ("not an OCI image index", { try Data(#"{"manifests":"all of them"}"#.utf8).write(to: URL(fileURLWithPath: index)) }),
            ("not a regular file", {
                try Data(original).write(to: URL(fileURLWithPath: directory + "/elsewhere.json"))
                try FileManager.default.removeItem(atPath: index)
                try FileManager.default.createSymbolicLink(atPath: index, withDestinationPath: directory + "/elsewhere.json")
            }),
        ]
        for (expected, plant) in cases {
            try? FileManager.default.removeItem(atPath: index)
            try Data(original).write(to: URL(fileURLWithPath: index))
            try plant()
            let before = try Self.snapshot(directory)
            let result = try Self.attach("oci-layout:layout:1.0", in: directory)
            XCTAssertEqual(result.status, 1, expected)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(expected), "\(expected): \(result.stderr)")
            XCTAssertEqual(try Self.snapshot(directory), before, expected)
        }
        // An entry of another tool that is not a descriptor stays, and is no image.
        try? FileManager.default.removeItem(atPath: index)
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(original)) as? [String: Any])
        object["manifests"] = ((object["manifests"] as? [Any]) ?? []) + [42, ["digest": "sha256:nothex", "artifactType": "x/y"]]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: index))
        let result = try Self.attach("oci-layout:layout", in: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        let entries = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: index))) as? [String: Any])?["manifests"] as? [Any])
        XCTAssertEqual(entries.count, 5)
        XCTAssertEqual(entries[1] as? Int, 42)
    }

    /// Mistakes on the command line: a folder that is no layout, a file that is not there.
    func testUsageMistakes() throws {
        let (directory, _) = try Self.makeLayout()
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: false)
        let notLayout = try Self.attach("oci-layout:empty", in: directory)
        XCTAssertEqual(notLayout.status, 1)
        XCTAssertTrue(notLayout.stderr.contains("is not an OCI layout"), notLayout.stderr)
        let noFile = try Self.attach("oci-layout:layout", ["absent.spdx.json"], in: directory)
        XCTAssertEqual(noFile.status, 2)
        XCTAssertTrue(noFile.stderr.contains("no such readable file"), noFile.stderr)
        XCTAssertEqual(truncate(directory + "/hello.spdx.json", 65 << 20), 0)
        let before = try Self.snapshot(directory)
        let tooLarge = try Self.attach("oci-layout:layout", ["hello.spdx.json"], in: directory)
        XCTAssertEqual(tooLarge.status, 1)
        XCTAssertTrue(tooLarge.stderr.contains("more than the 64 MiB a referrer may have"), tooLarge.stderr)
        XCTAssertEqual(try Self.snapshot(directory), before)
        let referrerAsSubject = try Self.attach("oci-layout:layout@sha256:" + String(repeating: "0", count: 64), ["hello.provenance.json"], in: directory)
        XCTAssertEqual(referrerAsSubject.status, 1)
        XCTAssertTrue(referrerAsSubject.stderr.contains("lists no image sha256:0000"), referrerAsSubject.stderr)
    }
}
