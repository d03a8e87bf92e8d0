import OCIModel
@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// `containertool inspect --files` and `--diff`: an image's merged file system as a runtime unpacks
/// it (layers in order, whiteouts applied), and what differs between two images.
final class InspectFilesTests: XCTestCase {
    private var directory = ""
    private var environment: [String: String] = [:]

    override func setUpWithError() throws {
        directory = try TestSupport.makeTemporaryDirectory("inspect-files")
        environment = ProcessInfo.processInfo.environment.merging(["CONTAINERIZE_CACHE_DIR": directory + "/cache"]) { $1 }
    }

    override func tearDown() { TestSupport.remove(directory) }

    private func inspect(_ arguments: [String]) throws -> ProcessResult {
        try TestSupport.containertool(["inspect"] + arguments, in: directory, environment: environment)
    }

    /// Two layers: the second deletes a file (`.wh.`), empties a folder (`.wh..wh..opq`), replaces a
    /// file by a link and changes a mode.
    private func writeLayeredImage(_ name: String, extraFile: String? = nil) throws -> String {
        var upper: [TarEntry] = [.file("etc/.wh.old.conf", []), .file("srv/.wh..wh..opq", []), .file("srv/new", Array("new\n".utf8)),
                                 TarEntry(path: "etc/motd", kind: .symlink(target: "/srv/new"), mode: 0o777),
                                 .file("bin/tool", Array("#!tool\n".utf8), mode: 0o755)]
        if let extraFile { upper.append(.file(extraFile, Array("extra\n".utf8))) }
        try BaseLayoutFixture.write([
            [.directory("etc"), .file("etc/old.conf", Array("old\n".utf8)), .file("etc/motd", Array("hello\n".utf8)),
             .directory("srv"), .file("srv/a", Array("a\n".utf8)), .directory("bin"), .file("bin/tool", Array("#!tool\n".utf8), mode: 0o644)],
            upper,
        ], to: directory + "/" + name)
        return directory + "/" + name
    }

    func testFilesAreTheMergedTreeWithWhiteoutsAppliedAndEachFileHashed() throws {
        let layout = try writeLayeredImage("image")
        let listed = try inspect([layout, "--files", "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
        let files = try XCTUnwrap(report?["files"] as? [[String: Any]])
        let byPath = Dictionary(uniqueKeysWithValues: files.compactMap { file in (file["path"] as? String).map { ($0, file) } })
        XCTAssertEqual(files.compactMap { $0["path"] as? String }, ["/bin", "/bin/tool", "/etc", "/etc/motd", "/srv", "/srv/new"],
                       "deleted and emptied paths are gone, sorted")
        XCTAssertEqual(byPath["/bin/tool"]?["mode"] as? String, "0755", "the upper layer's mode")
        XCTAssertEqual(byPath["/etc/motd"]?["kind"] as? String, "symlink")
        XCTAssertEqual(byPath["/etc/motd"]?["target"] as? String, "/srv/new")
        XCTAssertEqual(byPath["/srv/new"]?["size"] as? Int, 4)
        XCTAssertEqual(byPath["/srv/new"]?["digest"] as? String, sha256Digest(Array("new\n".utf8)))

        let text = try inspect([layout, "--files"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertEqual(text.stdout.split(separator: "\n").map(String.init), [
            "drwxr-xr-x 0:0           0 /bin",
            "-rwxr-xr-x 0:0           7 /bin/tool",
            "drwxr-xr-x 0:0           0 /etc",
            "lrwxrwxrwx 0:0           0 /etc/motd -> /srv/new",
            "drwxr-xr-x 0:0           0 /srv",
            "-rw-r--r-- 0:0           4 /srv/new",
        ])
    }

    func testDiffNamesEachPathAndConfigFieldThatDiffersAndExitCodeSaysWhether() throws {
        let first = try writeLayeredImage("first")
        let second = try writeLayeredImage("second", extraFile: "srv/extra")
        let same = try inspect([first, "--diff", first, "--exit-code"])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(same.stdout, "the images are the same (files and config)\n")

        let differ = try inspect([first, "--diff", second, "--exit-code"])
        XCTAssertEqual(differ.status, 1, "--exit-code: 1 when they differ")
        XCTAssertEqual(differ.stdout, "+ /srv/extra\n1 difference(s)\n")
        XCTAssertEqual(differ.stderr, "", "a difference is not an error message")
        XCTAssertEqual(try inspect([first, "--diff", second]).status, 0, "without --exit-code a comparison that worked is a success")

        // Another binary, mode and config: the same image rebuilt with other options.
        let hello = TestSupport.fixtures.staticBinary
        for (name, options) in [("a", ["--env", "A=1"]), ("b", ["--env", "A=2", "--user", "1000:1000"])] {
            let built = try TestSupport.containertool(["build", "--executable", hello, "--output", "oci-layout:\(directory)/\(name)", "--tag", "t:1"] + options,
                                                      in: directory, environment: environment)
            XCTAssertEqual(built.status, 0, built.stderr)
        }
        let configs = try inspect(["oci-layout:\(directory)/a", "--diff", "oci-layout:\(directory)/b", "--json"])
        XCTAssertEqual(configs.status, 0, configs.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(configs.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["identical"] as? Bool, false)
        let differences = try XCTUnwrap(report["differences"] as? [[String: Any]])
        XCTAssertEqual(differences.compactMap { $0["path"] as? String }, ["config.Env", "config.User"])
        XCTAssertEqual((differences.first?["details"] as? [String])?.first, #"["A=1"] → ["A=2"]"#)
    }

    /// A hard link replaced by a file in a later layer is that file (its contents are compared), and a
    /// name with a newline cannot print a line of its own.
    func testALaterFileReplacesAHardLinkAndNamesCannotForgeLines() throws {
        func hardLinked(_ name: String, upper: String) throws -> String {
            // GNU tar writes the hard link (TarWriter does not write them).
            let folder = directory + "/\(name)-lower"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "target".write(toFile: folder + "/t", atomically: false, encoding: .utf8)
            try FileManager.default.linkItem(atPath: folder + "/t", toPath: folder + "/h")
            let tar = try TestSupport.run("/usr/bin/env", ["tar", "--owner=0", "--group=0", "-C", folder, "-cf", folder + ".tar", "t", "h"])
            XCTAssertEqual(tar.status, 0, tar.stderr)
            let lower = try TestSupport.readBytes(folder + ".tar")
            var top: [UInt8] = []
            try TarWriter { top.append(contentsOf: $0) }.writeArchive([.file("h", Array(upper.utf8)), .file("a\n-rwxr-xr-x 0:0 1 /forged", [1])])
            try BaseLayoutFixture.write(tars: [lower, top], to: directory + "/" + name)
            return directory + "/" + name
        }
        let first = try hardLinked("hl-a", upper: "AAAA"), second = try hardLinked("hl-b", upper: "BBBBBBBB")
        let differ = try inspect([first, "--diff", second, "--exit-code"])
        XCTAssertEqual(differ.status, 1, differ.stdout)
        XCTAssertTrue(differ.stdout.hasPrefix("~ /h: contents: 4 bytes "), differ.stdout)
        let listed = try inspect([first, "--files"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.contains("-rw-r--r-- 0:0           4 /h\n"), listed.stdout)
        XCTAssertTrue(listed.stdout.contains("/a\\n-rwxr-xr-x 0:0 1 /forged\n"), listed.stdout)
        XCTAssertFalse(listed.stdout.split(separator: "\n").contains { $0.hasSuffix(" /forged") && !$0.contains("\\n") }, listed.stdout)
    }

    func testMistakesAreOneLineErrors() throws {
        let layout = try writeLayeredImage("image")
        let exitCodeAlone = try inspect([layout, "--exit-code"])
        XCTAssertEqual(exitCodeAlone.status, 2)
        XCTAssertTrue(exitCodeAlone.stderr.hasPrefix("containertool inspect: --exit-code goes with --diff OTHER\n"), exitCodeAlone.stderr)
        let missing = try inspect([layout, "--diff", "oci-layout:\(directory)/none"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no such directory"), missing.stderr)
        let platform = try inspect([layout, "--files", "--platform", "linux"])
        XCTAssertEqual(platform.status, 2, platform.stderr)
    }
}
