import OCIModel
@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Issue 21, rows 2–4: a base's layers read as the runtimes read them (each case also unpacked by
/// `umoci unpack`, which reads layers with Go's archive/tar and compress/gzip, to compare).
final class ForeignLayerTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws { directory = try temporaryDirectory(self, "foreign-layer").path }

    /// Row 2: a gzip layer of two members; the symlink and the file in member 2 used to be invisible.
    func testEveryGzipMemberOfABaseLayerIsRead() throws {
        let first = ForeignBytes.header("etc/", type: "5", mode: 0o755) + ForeignBytes.file("etc/one", [1])
        let second = ForeignBytes.header("lib", type: "2", link: "usr/lib", mode: 0o777) + ForeignBytes.header("usr/", type: "5", mode: 0o755)
            + ForeignBytes.header("usr/lib/", type: "5", mode: 0o755) + ForeignBytes.file("usr/lib/two", [2]) + ForeignBytes.end
        let blob = try Gzip.compress(first) + Gzip.compress(second)
        let base = try ForeignBytes.base([(first + second, true)], blobs: [blob], in: directory)
        let tree = try base.fileTree()
        XCTAssertEqual(tree["lib"]?.kind, .symlink(target: "usr/lib"), "the link in member 2 is seen")
        XCTAssertNotNil(tree["usr/lib/two"])
        // Our resource under lib/ goes through the base's link, which the checks now see.
        XCTAssertEqual(FileTree.resolvingLinks("lib/x.so", in: tree, last: false), "usr/lib/x.so")

        try ForeignBytes.ociLayout(of: base, at: directory + "/layout")
        guard let umoci = try ForeignBytes.umociUnpack(directory + "/layout") else { throw XCTSkip("umoci is not installed") }
        let paths = try umoci.get()
        XCTAssertTrue(paths.contains("usr/lib/two") && paths.contains("lib") && paths.contains("etc/one"), "\(paths)")
        for path in tree.keys { XCTAssertTrue(paths.contains(path), "umoci has \(path) too: \(paths)") }
    }

    /// Row 2: garbage after the last member refuses the base (umoci refuses it too).
    func testGarbageAfterTheLastMemberRefusesTheBase() throws {
        let tar = ForeignBytes.file("a", [1]) + ForeignBytes.end
        let blob = try Gzip.compress(tar) + Array("trailing garbage".utf8)
        let base = try ForeignBytes.base([(tar, true)], blobs: [blob], in: directory)
        XCTAssertThrowsError(try base.fileTree()) { error in
            XCTAssertTrue("\(error)".contains(base.layers[0].blob.digest) && "\(error)".contains("not gzip"), "\(error)")
        }
        try ForeignBytes.ociLayout(of: base, at: directory + "/layout")
        guard let umoci = try ForeignBytes.umociUnpack(directory + "/layout") else { throw XCTSkip("umoci is not installed") }
        if case .success(let paths) = umoci { XCTFail("umoci accepted it: \(paths)") }
    }

    /// Row 4: a config whose diff_id is not the layer's uncompressed digest used to be accepted
    /// (the image then failed at `docker pull`); now refused naming the layer and both digests.
    /// umoci refuses the same layout.
    func testADiffIDThatIsNotTheLayersUncompressedDigestRefusesTheBase() throws {
        let tar = ForeignBytes.file("a", [1]) + ForeignBytes.end
        let wrong = sha256Digest(Array("another layer".utf8))
        let base = try ForeignBytes.base([(ForeignBytes.file("ok", [2]) + ForeignBytes.end, true), (tar, true)],
                                         diffIDs: [sha256Digest(ForeignBytes.file("ok", [2]) + ForeignBytes.end), wrong], in: directory)
        XCTAssertThrowsError(try base.fileTree()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("layer #2 (\(base.layers[1].blob.digest))"), text)
            XCTAssertTrue(text.contains(sha256Digest(tar)) && text.contains(wrong), "both digests: \(text)")
            XCTAssertFalse(text.contains("\n"))
        }
        // A count that does not match is refused before any layer is read.
        XCTAssertThrowsError(try ForeignBytes.base([(tar, true)], diffIDs: [sha256Digest(tar), wrong], in: directory)) { error in
            XCTAssertTrue("\(error)".contains("2 diff_ids for 1 layers"), "\(error)")
        }
        try ForeignBytes.ociLayout(of: base, at: directory + "/layout")
        guard let umoci = try ForeignBytes.umociUnpack(directory + "/layout") else { throw XCTSkip("umoci is not installed") }
        switch umoci {
        case .success(let paths): XCTFail("umoci accepted it: \(paths)")
        case .failure(let refusal): XCTAssertTrue(refusal.text.contains("diffid") || refusal.text.contains("diff_id") || refusal.text.contains("DiffID"), refusal.text)
        }
    }

    /// Row 3: `x/../lib` used to be skipped, so its symlink was invisible to the checks; names are
    /// now cleaned as docker and containerd clean them, and umoci lands the entries at the same paths.
    func testEntryNamesAreCleanedAsTheRuntimesCleanThem() throws {
        let tar = ForeignBytes.header("x/", type: "5", mode: 0o755) + ForeignBytes.header("x/../lib", type: "2", link: "usr/lib", mode: 0o777)
            + ForeignBytes.header("./usr/./", type: "5", mode: 0o755) + ForeignBytes.header("usr/lib/", type: "5", mode: 0o755)
            + ForeignBytes.file("/../usr/lib/data", [1]) + ForeignBytes.header("./", type: "5", mode: 0o755) + ForeignBytes.end
        let base = try ForeignBytes.base([(tar, true)], in: directory)
        let tree = try base.fileTree()
        XCTAssertEqual(Set(tree.keys), ["x", "lib", "usr", "usr/lib", "usr/lib/data"])
        XCTAssertEqual(tree["lib"]?.kind, .symlink(target: "usr/lib"))
        try ForeignBytes.ociLayout(of: base, at: directory + "/layout")
        guard let umoci = try ForeignBytes.umociUnpack(directory + "/layout") else { throw XCTSkip("umoci is not installed") }
        XCTAssertEqual(Set(try umoci.get()), Set(tree.keys), "umoci unpacks the same paths")
    }

    /// Row 3: an entry, or a hard link's target, that climbs out of the root refuses the base with its name.
    func testAnEntryLandingOutsideTheRootRefusesTheBase() throws {
        for (label, entry) in [("./a/../../b", ForeignBytes.file("./a/../../b", [1])), ("../b", ForeignBytes.file("../b", [1])),
                               ("hard link", ForeignBytes.header("h", type: "1", link: "../../etc/shadow"))] {
            let base = try ForeignBytes.base([(ForeignBytes.header("a/", type: "5") + entry + ForeignBytes.end, false)], in: directory)
            XCTAssertThrowsError(try base.fileTree(), label) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("lands outside the image's root") && text.contains("layer #1 (\(base.layers[0].blob.digest))"), text)
                XCTAssertTrue(text.contains(label == "hard link" ? "'../../etc/shadow'" : "'\(label)'"), text)
                XCTAssertFalse(text.contains("\n"))
            }
        }
        XCTAssertEqual(TarEntryName.cleaned("a/b/../../c/./d/"), "c/d")
        XCTAssertEqual(TarEntryName.cleaned("//x/../.."), "")
        XCTAssertNil(TarEntryName.cleaned("a/../.."))
        XCTAssertNil(TarEntryName.cleanedLinkTarget("/../x"))
    }
}

/// Issue 21, messages: a base layer without history was listed as "layer layer 1:".
final class LayerSummaryTests: XCTestCase {
    func testALayerWithoutHistoryIsNumberedNotNamedLayerLayer() throws {
        let config = ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil,
                                 rootfs: RootFS(diffIDs: ["sha256:a", "sha256:b"]),
                                 history: [HistoryEntry(created: nil, createdBy: nil, comment: "a layer of base:1 (no history)"),
                                           HistoryEntry(created: nil, createdBy: "containerize: executable")])
        XCTAssertEqual(config.layerDescriptions(layerCount: 2), ["a layer of base:1 (no history)", "containerize: executable"])
        XCTAssertEqual(ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil, rootfs: RootFS(diffIDs: ["sha256:a"]), history: nil)
            .layerDescriptions(layerCount: 1), ["no history"])
    }
}
