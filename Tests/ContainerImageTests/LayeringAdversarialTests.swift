@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Hostile inputs against layers by rate of change: names that stacked layers would read as
/// instructions (whiteouts).
final class LayeringAdversarialTests: XCTestCase {
    /// A resource named `.wh.passwd` under /etc, stacked on the add-ons layer, deleted /etc/passwd
    /// under umoci and docker; `.wh..wh..opq` emptied /etc. Every way such a name reaches the tree
    /// (a resource file, a file deep in a resource folder, a destination, the executable's name)
    /// is refused with one line that names the path.
    func testWhiteoutNamesAreRefused() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory("cit-whiteout")
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/etc/deep", withIntermediateDirectories: true)
        try "x".write(toFile: directory + "/etc/.wh..wh..opq", atomically: true, encoding: .utf8)
        try "x".write(toFile: directory + "/etc/deep/.wh.group", atomically: true, encoding: .utf8)
        try "x".write(toFile: directory + "/plain", atomically: true, encoding: .utf8)
        let cases: [(ImageSpec.Resource, String)] = [
            (.init(source: directory + "/plain", destination: "/etc/.wh.passwd"), "/etc/.wh.passwd"),
            (.init(source: directory + "/etc", destination: "/etc"), "/etc/.wh..wh..opq"),
            (.init(source: directory + "/etc/deep", destination: "/srv"), "/srv/.wh.group"),
            (.init(source: directory + "/plain", destination: "/.wh.tmp/x"), "/.wh.tmp/x"),
        ]
        for (resource, path) in cases {
            var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "app")
            spec.resources = [resource]
            do {
                _ = try ImageBuilder(spec)
                XCTFail("\(path) was accepted")
            } catch let error as ImageBuildError {
                guard case .whiteoutName(let named, _) = error else { XCTFail("\(error)"); continue }
                XCTAssertEqual(named, path)
                XCTAssertTrue("\(error)".contains(".wh.") && !"\(error)".contains("\n"), "\(error)")
            }
        }
        // A plain `.wh` prefix without the dot, or `.wh.` in the middle of a name, is an ordinary name.
        var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "app")
        spec.resources = [.init(source: directory + "/plain", destination: "/srv/.whale"), .init(source: directory + "/plain", destination: "/srv/a.wh.b")]
        _ = try ImageBuilder(spec)

        // The executable's name is checked too, and the CLI writes nothing.
        let layout = directory + "/layout"
        let result = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--name", ".wh.etc",
                                                    "--tag", "wh:1", "--output", "oci-layout:" + layout])
        XCTAssertEqual(result.status, 1, "\(result.stderr)")
        XCTAssertTrue(result.stderr.contains("/.wh.etc"), "\(result.stderr)")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(result.stderr)")
        XCTAssertTrue(!FileManager.default.fileExists(atPath: layout))
    }

    /// `inspect` of what `build` writes with two platforms (an index in index.json) failed with a
    /// raw DecodingError; now it names the index and its platforms and shows the first platform's
    /// image with that image's layers. In a layout holding two images, `tags` listed every tag
    /// beside one image: now only the tags of the image shown. `--json` of an index build gives
    /// every platform's layers (it gave only the first platform's).
    func testInspectReadsAnIndexLayoutAndNamesOnlyTheShownImagesTags() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory("cit-inspect-index")
        defer { TestSupport.remove(directory) }
        let arm = directory + "/hello-arm64"
        try FileManager.default.copyItem(atPath: TestSupport.fixtures.staticBinary, toPath: arm)
        // Only the ELF machine field is read for the platform check: make the copy an AArch64 ELF.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: arm))
        try handle.seek(toOffset: 18)
        try handle.write(contentsOf: Data([183, 0]))
        try handle.close()
        let layout = directory + "/layout"
        let built = try TestSupport.containertool(["build", "--executable", "linux/amd64=" + TestSupport.fixtures.staticBinary, "--executable", "linux/arm64=" + arm,
                                                   "--tag", "multi:1", "--output", "oci-layout:" + layout, "--json"])
        XCTAssertEqual(built.status, 0, "\(built.stderr)")
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(built.stdout.utf8)) as? [String: Any])
        let platforms = try XCTUnwrap(report["platforms"] as? [[String: Any]])
        // --json gives each platform its own layers, as its manifest in the layout lists them
        // (the top-level `layers` are the first platform's): the add-ons blob is shared.
        func json(_ path: String) throws -> [String: Any] {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/" + path))) as? [String: Any])
        }
        func blob(_ digest: String?) -> String { "blobs/sha256/" + (digest ?? "").dropFirst("sha256:".count) }
        let nested = try json(blob(((try json("index.json"))["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
        let manifestLayers = try (nested["manifests"] as? [[String: Any]] ?? []).map { entry in
            (try json(blob(entry["digest"] as? String))["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
        }
        let reportedLayers = platforms.map { ($0["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String } }
        XCTAssertEqual(reportedLayers, manifestLayers, "\(built.stdout)")
        XCTAssertEqual(manifestLayers.count, 2, "\(built.stdout)")
        XCTAssertEqual(reportedLayers.first?.first, reportedLayers.last?.first)
        XCTAssertNotEqual(reportedLayers.first?.last, reportedLayers.last?.last)
        XCTAssertTrue(built.stdout.contains("\"layers\":[{\"createdBy\":\"containerize: add-ons\""))
        let inspected = try TestSupport.containertool(["inspect", layout, "--json"])
        XCTAssertEqual(inspected.status, 0, "\(inspected.stderr)")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["index"] as? String, report["digest"] as? String)
        XCTAssertEqual(json["platforms"] as? [String], ["linux/amd64", "linux/arm64/v8"])
        XCTAssertEqual(json["digest"] as? String, platforms.first?["digest"] as? String)
        XCTAssertEqual((json["layers"] as? [[String: Any]])?.compactMap { $0["digest"] as? String }, (report["layers"] as? [[String: Any]])?.compactMap { $0["digest"] as? String })
        let human = try TestSupport.containertool(["inspect", layout])
        XCTAssertEqual(human.status, 0, "\(human.stdout)\(human.stderr)")
        XCTAssertTrue(human.stdout.contains("index:        \(report["digest"] as? String ?? "?") (linux/amd64, linux/arm64/v8; shown: linux/amd64)"), "\(human.stdout)\(human.stderr)")

        // A second image under another tag in the same layout: inspect shows one image (a plain
        // image entry before an index) and names only that image's tag.
        let second = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--env", "B=2", "--tag", "single:2", "--output", "oci-layout:" + layout])
        XCTAssertEqual(second.status, 0, "\(second.stderr)")
        let both = try TestSupport.containertool(["inspect", layout, "--json"])
        let bothJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(both.stdout.utf8)) as? [String: Any], "\(both.stderr)")
        XCTAssertEqual(bothJSON["tags"] as? [String], ["2"], "\(both.stdout)")
        XCTAssertEqual(((bothJSON["config"] as? [String: Any])?["Env"] as? [String])?.contains("B=2"), true, "\(both.stdout)")
    }

    /// `--resource app.conf:/srv/` made a file named /srv, where the rendered Dockerfile's
    /// `COPY ["app.conf", "/rootfs/srv/"]` (Docker's rule) makes /srv/app.conf: the plugin's image
    /// and the Dockerfile's differed. A trailing slash now names the folder for a file or a link;
    /// a folder's contents land in the destination with or without it, as with `COPY` (a folder
    /// copied to / was "'' is not a valid path").
    func testATrailingSlashDestinationIsTheFolderAFileGoesInto() throws {
        let directory = try TestSupport.makeTemporaryDirectory("cit-slash")
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/Public", withIntermediateDirectories: true)
        try "x".write(toFile: directory + "/Public/index.html", atomically: true, encoding: .utf8)
        try "k=v".write(toFile: directory + "/app.conf", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/current.conf", withDestinationPath: "app.conf")
        var tree = FileTree()
        try tree.addHostItem(directory + "/app.conf", at: "/srv/")
        try tree.addHostItem(directory + "/current.conf", at: "/srv/")
        try tree.addHostItem(directory + "/app.conf", at: "/")
        try tree.addHostItem(directory + "/Public", at: "/www/")
        try tree.addHostItem(directory + "/app.conf", at: "/etc/plain.conf")
        try tree.addHostItem(directory + "/Public", at: "/")
        let paths = Set(tree.entries.map { $0.path + ($0.kind == .directory ? "/" : "") })
        XCTAssertEqual(paths, ["srv/", "srv/app.conf", "srv/current.conf", "app.conf", "www/", "www/index.html", "etc/", "etc/plain.conf", "index.html"])
    }

    /// Decided: the order of `--resource` options, the host's permission bits other than the
    /// executable bit and file times do not change any layer (the tree is sorted by path; modes
    /// are 0644/0755); swapping two resources gives the same digests. (The umask, process-wide,
    /// is not changed here: tests run in parallel; it only reaches output files' modes.)
    func testResourceOrderAndHostModesDoNotChangeAnyLayer() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory("cit-order")
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/Public/css", withIntermediateDirectories: true)
        try "body{}".write(toFile: directory + "/Public/css/site.css", atomically: true, encoding: .utf8)
        try "k=v".write(toFile: directory + "/app.conf", atomically: true, encoding: .utf8)
        func build(_ resources: [ImageSpec.Resource]) throws -> [String] {
            var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "app")
            spec.resources = resources
            return try ImageAssembler.assemble(spec).layers.map(\.blob.digest)
        }
        let publicDir = ImageSpec.Resource(source: directory + "/Public", destination: "/srv/Public")
        let conf = ImageSpec.Resource(source: directory + "/app.conf", destination: "/srv/app.conf")
        let first = try build([publicDir, conf])
        try FileManager.default.setAttributes([.posixPermissions: 0o600, .modificationDate: Date(timeIntervalSince1970: 1)], ofItemAtPath: directory + "/app.conf")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory + "/Public/css")
        XCTAssertEqual(try build([conf, publicDir]), first)
    }

    /// On a base image (`--from`), our layers' parent directories must not carry our defaults:
    /// a resource under /tmp must not turn the base's 1777 /tmp into 0755 (as umoci and docker
    /// would show it). Over a base tree, a directory the base has keeps the base's
    /// mode and owner in every layer, and a directory where the base has a symlink (/lib → usr/lib)
    /// or a file where it has a directory is a one-line error.
    func testLayersOverABaseKeepItsDirectoriesAndRefuseToHideItsLinks() throws {
        let directory = try TestSupport.makeTemporaryDirectory("cit-over-base")
        defer { TestSupport.remove(directory) }
        try "x".write(toFile: directory + "/f", atomically: true, encoding: .utf8)
        let lower: [String: TarEntry] = [
            "tmp": .directory("tmp", mode: 0o1777), "srv": .directory("srv", mode: 0o750, uid: 1000, gid: 1000),
            "lib": TarEntry(path: "lib", kind: .symlink(target: "usr/lib"), mode: 0o777), "etc": .directory("etc"),
        ]
        var tree = FileTree()
        try tree.add(.file("app", [1]), origin: "the executable", layer: .executable)
        try tree.add(.directory("srv"), origin: "the working directory", layer: .addOns)
        try tree.addHostItem(directory + "/f", at: "/tmp/cache/f")
        try tree.addHostItem(directory + "/f", at: "/srv/data/f")
        let layers = try tree.layers(over: lower)
        let entries = layers.flatMap { layer in layer.entries.map { (layer.kind, $0) } }
        for (kind, entry) in entries where entry.path == "tmp" { XCTAssertEqual(entry.mode, 0o1777, "\(kind)") }
        for (kind, entry) in entries where entry.path == "srv" {
            XCTAssertEqual(entry.mode, 0o750, "\(kind)")
            XCTAssertEqual(entry.uid, 1000, "\(kind)")
            XCTAssertEqual(entry.gid, 1000, "\(kind)")
        }
        XCTAssertEqual(entries.filter { $0.1.path == "srv" }.count, 2, "the add-ons and resources layers both carry /srv")
        XCTAssertEqual(entries.first { $0.1.path == "tmp/cache" }?.1.mode, 0o755, "a directory the base lacks keeps ours")
        XCTAssertEqual(tree.layers.flatMap(\.entries).first { $0.path == "tmp" }?.mode, 0o755, "on scratch: unchanged")

        for (path, named) in [("/lib/x86_64-linux-gnu/libc.so.6", "usr/lib"), ("/etc", "a directory")] {
            var hiding = tree
            try hiding.addHostItem(directory + "/f", at: path)
            assertThrows(ImageBuildError.self, "\(path)") { try hiding.layers(over: lower) }
            do { _ = try hiding.layers(over: lower) } catch {
                XCTAssertTrue("\(error)".contains(named) && !"\(error)".contains("\n"), "\(error)")
            }
        }
    }
}
