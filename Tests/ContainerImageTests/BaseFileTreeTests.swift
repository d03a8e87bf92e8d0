import OCIModel
@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// A base image's merged file tree (`BaseImage.fileTree`), read streaming from its layers'
/// tar headers, and our layers placed over it (`FileTree.layers(over:)`).
final class BaseFileTreeTests: XCTestCase {
    func archive(_ entries: [TarEntry]) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try TarWriter { bytes.append(contentsOf: $0) }.writeArchive(entries)
        return bytes
    }

    func headers(_ archive: [UInt8], chunk: Int) throws -> [TarRecord] {
        var records: [TarRecord] = []
        let stream = TarHeaderStream { records.append($0) }
        var offset = 0
        while offset < archive.count {
            let end = min(offset + chunk, archive.count)
            try archive[offset..<end].withUnsafeBytes { try stream.write($0) }
            offset = end
        }
        try stream.finish()
        return records
    }

    /// Long names (PAX), long link targets, data of every size: the stream, fed in chunks of any
    /// size, reads what the in-memory reader reads, without the contents; a cut stream is an error.
    func testTheStreamReadsEveryHeaderInAnyChunking() throws {
        let long = String(repeating: "d", count: 150) + "/" + String(repeating: "f", count: 120)
        let tar = try archive([
            .directory("etc", mode: 0o1777, uid: 7, gid: 8), .file("etc/a", Array(repeating: 1, count: 1000)), .file(long, [2], mode: 0o600),
            TarEntry(path: "link", kind: .symlink(target: "/" + long), mode: 0o777), .file("etc/empty", []), .file("etc/b", Array(repeating: 3, count: 512)),
        ])
        let expected = try TarReader.read(tar).map { record in var record = record; record.contents = []; return record }
        XCTAssertEqual(expected.count, 6)
        for chunk in [1, 7, 511, 512, 513, 100_000] {
            XCTAssertEqual(try headers(tar, chunk: chunk), expected, "chunks of \(chunk)")
        }
        // Sorted by path: the long name's PAX header (0), its data (512), its header (1024), data (1536).
        for cut in [100, 812, 1500, 1600] {
            assertThrows(TarError.self, "cut at \(cut)") { try self.headers(Array(tar.prefix(cut)), chunk: 64) }
        }
        var corrupt = tar
        corrupt[1030] ^= 0xFF  // inside the long name's header
        assertThrows(TarError.self) { try self.headers(corrupt, chunk: 4096) }
    }

    /// Layers bottom first, one gzip and one plain: `.wh.NAME` deletes NAME and all below it,
    /// `.wh..wh..opq` empties a directory of the lower layers' files but keeps the upper's, a link
    /// replacing a directory takes what was below it, and the base's modes (1777) are kept.
    func testTheMergedTreeAppliesWhiteoutsInLayerOrder() throws {
        let directory = try temporaryDirectory(self, "base-tree")
        let lower = try archive([
            .directory("tmp", mode: 0o1777), .directory("etc"), .file("etc/keep", [1]), .file("etc/gone", [1]),
            .directory("var"), .directory("var/cache"), .file("var/cache/x", [1]), .directory("opt"), .file("opt/old", [1]),
            .directory("lib"), .file("lib/libold.so", [1]), .directory("srv"), .file("srv/data", [1]),
        ])
        let upper = try archive([
            .file("etc/.wh.gone", []), .file("var/.wh.cache", []), .directory("opt"), .file("opt/.wh..wh..opq", []), .file("opt/new", [2]),
            TarEntry(path: "lib", kind: .symlink(target: "usr/lib"), mode: 0o777), .directory("usr"), .directory("usr/lib"),
            .file("srv/.wh.data", []), .file("srv/data2", [1]),
        ])
        var layers: [Descriptor] = []
        var files: [String] = []
        var diffIDs: [String] = []
        for (index, (tar, gzip)) in [(lower, true), (upper, false)].enumerated() {
            let blob = gzip ? try Gzip.compress(tar) : tar
            let file = directory.path + "/layer\(index)"
            try Data(blob).write(to: URL(fileURLWithPath: file))
            layers.append(Descriptor(mediaType: gzip ? MediaType.layerTarGzip : MediaType.layerTar, digest: sha256Digest(blob), size: Int64(blob.count)))
            files.append(file)
            diffIDs.append(sha256Digest(tar))
        }
        let config = ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil, rootfs: RootFS(diffIDs: diffIDs), history: nil)
        let base = try BaseImage(reference: "base:1", configBytes: try CanonicalJSON.encode(config), layers: layers, layerFiles: files)
        let tree = try base.fileTree()
        XCTAssertEqual(Set(tree.keys), ["tmp", "etc", "etc/keep", "var", "opt", "opt/new", "lib", "usr", "usr/lib", "srv", "srv/data2"])
        XCTAssertEqual(tree["tmp"]?.mode, 0o1777)
        XCTAssertEqual(tree["lib"]?.kind, .symlink(target: "usr/lib"))
        let hashed = try base.fileTree(digestsOfFilesNamed: ["keep", "new", "old"])
        XCTAssertEqual(hashed.tree, tree)
        XCTAssertEqual(hashed.digests, ["etc/keep": sha256Digest([1]), "opt/new": sha256Digest([2]), "opt/old": sha256Digest([1])],
                       "the files of those names, hashed (opt/old is whited out of the tree, the caller looks paths up there)")

        // A layer that is not a tar archive is refused, naming the base.
        try Data(try Gzip.compress(Array(repeating: 7, count: 5000))).write(to: URL(fileURLWithPath: files[0]))
        assertThrows(BaseImageError.self) { try base.fileTree() }
        do { _ = try base.fileTree() } catch { XCTAssertTrue("\(error)".contains("cannot use the base image base:1"), "\(error)") }
    }

    /// With a merged-/usr base (/lib → usr/lib, /lib64 → usr/lib64), bundled libraries go where
    /// the links lead and the links stay; a resource below such a link is refused, naming the real
    /// path; a loop of links is refused rather than followed forever.
    func testBundledLibrariesGoThroughTheBasesLinks() throws {
        let lower: [String: TarEntry] = [
            "lib": TarEntry(path: "lib", kind: .symlink(target: "usr/lib"), mode: 0o777),
            "lib64": TarEntry(path: "lib64", kind: .symlink(target: "/usr/lib64"), mode: 0o777),
            "usr": .directory("usr", mode: 0o755, uid: 0, gid: 0), "usr/lib": .directory("usr/lib", mode: 0o750),
            "usr/lib64": .directory("usr/lib64"), "loop": TarEntry(path: "loop", kind: .symlink(target: "loop2"), mode: 0o777),
            "loop2": TarEntry(path: "loop2", kind: .symlink(target: "./loop"), mode: 0o777),
        ]
        var tree = FileTree()
        try tree.add(.file("app", [1]), origin: "the executable", layer: .executable)
        for path in ["lib/x86_64-linux-gnu/libc.so.6", "lib64/ld-linux-x86-64.so.2", "usr/lib/x86_64-linux-gnu/libz.so.1"] {
            try tree.add(.file(path, [2], mode: 0o755), origin: "the shared library /\(path)", layer: .sharedLibraries)
        }
        let libraries = try XCTUnwrap(try tree.layers(over: lower).first { $0.kind == .sharedLibraries })
        XCTAssertEqual(libraries.entries.map(\.path).sorted(), ["usr", "usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libc.so.6",
                                                               "usr/lib/x86_64-linux-gnu/libz.so.1", "usr/lib64", "usr/lib64/ld-linux-x86-64.so.2"])
        XCTAssertEqual(libraries.entries.first { $0.path == "usr/lib" }?.mode, 0o750, "the base's directory keeps its mode")

        var below = tree
        try below.add(.file("lib/x86_64-linux-gnu/app.conf", [3]), origin: "resource app.conf", layer: .resources)
        do {
            _ = try below.layers(over: lower)
            XCTFail("a resource below the base's /lib link was accepted")
        } catch {
            XCTAssertEqual("\(error)", "/lib/x86_64-linux-gnu/app.conf (resource app.conf) is below the base image's symlink /lib → usr/lib, which would become a directory hiding the base's files there; put it at /usr/lib/x86_64-linux-gnu/app.conf instead")
        }
        // A library the base has at the same place with the same bytes is left to the base; one with
        // other bytes is ours; with all of them provided there is no libraries layer.
        var withLibraries = lower
        for path in ["usr/lib/x86_64-linux-gnu/libz.so.1", "usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib64/ld-linux-x86-64.so.2"] { withLibraries[path] = .file(path, []) }
        let digests = ["usr/lib/x86_64-linux-gnu/libz.so.1": sha256Digest([2]), "usr/lib/x86_64-linux-gnu/libc.so.6": sha256Digest([9])]
        let provided = try XCTUnwrap(try tree.layers(over: withLibraries, baseDigests: digests).first { $0.kind == .sharedLibraries })
        XCTAssertEqual(provided.entries.map(\.path).sorted(), ["usr", "usr/lib", "usr/lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/libc.so.6",
                                                              "usr/lib64", "usr/lib64/ld-linux-x86-64.so.2"])
        let all = digests.merging(["usr/lib/x86_64-linux-gnu/libc.so.6": sha256Digest([2]), "usr/lib64/ld-linux-x86-64.so.2": sha256Digest([2])]) { $1 }
        XCTAssertEqual(try tree.layers(over: withLibraries, baseDigests: all).map(\.kind), [.executable])

        // A working directory at the link itself is the link's directory; one below it is refused.
        var workdir = tree
        try workdir.add(.directory("lib64", mode: 0o700), origin: "the working directory", layer: .addOns)
        XCTAssertFalse(try workdir.layers(over: lower).flatMap(\.entries).contains { $0.path == "lib64" })
        var deeper = tree
        try deeper.add(.directory("lib64/app"), origin: "the working directory", layer: .addOns)
        XCTAssertThrowsError(try deeper.layers(over: lower)) { XCTAssertTrue("\($0)".contains("/lib64/app (the working directory) is below the base image's symlink /lib64 → /usr/lib64") && "\($0)".contains("put it at /usr/lib64/app instead"), "\($0)") }
        try deeper.add(.file("lib64/app/ca.crt", [7]), origin: "the generated file /lib64/app/ca.crt", layer: .addOns)
        XCTAssertThrowsError(try deeper.layers(over: lower), "a working directory below a link is refused with or without a generated file in it")
        // A generated file (the CA bundle) below a link goes where the link leads, as Docker's COPY writes; the link stays.
        var generated = tree
        try generated.add(.directory("tmp", mode: 0o1777), origin: "/tmp", layer: .addOns)
        try generated.add(.file("lib/ssl/cert.pem", [4]), origin: "the generated file /lib/ssl/cert.pem", layer: .addOns)
        let addOns = try XCTUnwrap(try generated.layers(over: lower).first { $0.kind == .addOns })
        XCTAssertEqual(addOns.entries.map(\.path).sorted(), ["tmp", "usr", "usr/lib", "usr/lib/ssl", "usr/lib/ssl/cert.pem"], "an empty /tmp of ours is kept")
        XCTAssertEqual(addOns.entries.first { $0.path == "usr/lib" }?.mode, 0o750, "the base's directory keeps its mode")
        var dangling = tree
        try dangling.add(.directory("loop"), origin: "the working directory", layer: .addOns)
        XCTAssertThrowsError(try dangling.layers(over: lower), "a directory over a link that leads nowhere")

        // A base whose /etc is a link to the root: our /etc is the root, which stays the base's (no "" entry).
        var rootLinked = lower
        rootLinked["etc"] = TarEntry(path: "etc", kind: .symlink(target: "/"), mode: 0o777)
        var throughRoot = tree
        try throughRoot.add(.file("etc/ssl/cert.pem", [5]), origin: "the generated file /etc/ssl/cert.pem", layer: .addOns)
        let placed = try XCTUnwrap(try throughRoot.layers(over: rootLinked).first { $0.kind == .addOns })
        XCTAssertEqual(placed.entries.map(\.path).sorted(), ["ssl", "ssl/cert.pem"], "nothing resets the base's root")
        // Links that loop on the way to a generated file: one line naming the add-on flags, not "put it elsewhere".
        var looped = tree
        try looped.add(.file("loop/ca.crt", [6]), origin: "the generated file /loop/ca.crt", layer: .addOns)
        XCTAssertThrowsError(try looped.layers(over: lower)) {
            XCTAssertEqual("\($0)", "the base image's symlinks on the way to /loop/ca.crt loop, so that file of ours has no place in it; leave its add-on out (--no-ca-certificates, --no-tzdata; a bundled library: link statically) or fix the base's links")
        }

        XCTAssertNil(FileTree.resolvingLinks("loop/x", in: lower, last: false))
        var looping = FileTree()
        try looping.add(.file("loop/libx.so", [1]), origin: "the shared library /loop/libx.so", layer: .sharedLibraries)
        assertThrows(ImageBuildError.self) { try looping.layers(over: lower) }
    }
}
