@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Layers by rate of change: add-ons, shared libraries, resources, executable — each reproducible,
/// each self-contained, and stacked they give exactly the single validated file tree.
final class LayeringTests: XCTestCase {
    /// A workspace with a copy of the static fixture (bytes appended to change it), a resource
    /// folder and a resource file.
    struct Workspace {
        let directory: String
        var executable: String { directory + "/app" }
        var spec: ImageSpec {
            var spec = ImageSpec(executablePath: executable, name: "app")
            spec.resources = [.init(source: directory + "/Public", destination: "/srv/Public"),
                              .init(source: directory + "/app.conf", destination: "/home/nonroot/app.conf")]
            spec.caCertificatesPath = try? ImageAssembler.hostCABundle()
            spec.workingDirectory = "/srv"
            spec.sourceDateEpoch = 1_700_000_000
            return spec
        }

        init() throws {
            directory = try TestSupport.makeTemporaryDirectory("cit-layers")
            try FileManager.default.createDirectory(atPath: directory + "/Public/css", withIntermediateDirectories: true)
            try "body{}".write(toFile: directory + "/Public/css/site.css", atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: directory + "/Public/home.css", withDestinationPath: "css/site.css")
            try "k=v".write(toFile: directory + "/app.conf", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: TestSupport.fixtures.staticBinary, toPath: executable)
        }

        func append(_ text: String, to path: String) throws {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }
    }

    static func kinds(_ image: Image) -> [String] { image.config.history?.compactMap(\.createdBy) ?? [] }

    func testCodeChangeChangesOnlyTheExecutableLayer() throws {
        try Prerequisite.requireTools("gcc")
        let work = try Workspace()
        defer { TestSupport.remove(work.directory) }
        let before = try ImageAssembler.assemble(work.spec)
        XCTAssertEqual(Self.kinds(before), ["containerize: add-ons", "containerize: resources", "containerize: executable"])
        XCTAssertEqual(try ImageAssembler.assemble(work.spec), before, "same inputs, same digests")
        try work.append("a code change", to: work.executable)
        let after = try ImageAssembler.assemble(work.spec)
        XCTAssertEqual(after.layers.count, 3)
        XCTAssertEqual(Array(after.layers.prefix(2)), Array(before.layers.prefix(2)), "add-ons and resources unchanged")
        XCTAssertTrue(after.layers[2].blob.digest != before.layers[2].blob.digest)
        XCTAssertTrue(after.layers[2].blob.size < 1_000_000, "the executable layer holds only the executable")
    }

    func testResourceChangeChangesOnlyTheResourcesLayer() throws {
        try Prerequisite.requireTools("gcc")
        let work = try Workspace()
        defer { TestSupport.remove(work.directory) }
        let before = try ImageAssembler.assemble(work.spec)
        try work.append("p{}", to: work.directory + "/Public/css/site.css")
        let after = try ImageAssembler.assemble(work.spec)
        XCTAssertTrue(after.layers.map(\.blob.digest) != before.layers.map(\.blob.digest))
        XCTAssertEqual(after.layers[0], before.layers[0], "add-ons and executable unchanged")
        XCTAssertEqual(after.layers[2], before.layers[2], "add-ons and executable unchanged")
        XCTAssertTrue(after.layers[1].blob.digest != before.layers[1].blob.digest)
    }

    /// The layers stacked give, entry for entry (path, kind, mode, owner, time, content), the
    /// one-layer tree the image had before; and every layer carries the parent directories its
    /// entries need, with that tree's mode and owner.
    func testStackedLayersAreTheWholeTree() throws {
        for dynamic in [false, true] {
            try stackedLayersAreTheWholeTree(dynamic: dynamic)
        }
    }

    func stackedLayersAreTheWholeTree(dynamic: Bool) throws {
        try Prerequisite.requireTools("gcc")
        let work = try Workspace()
        defer { TestSupport.remove(work.directory) }
        var spec = work.spec
        if dynamic {
            spec.executablePath = TestSupport.fixtures.dynamicBinary
            spec.bundleSharedLibraries = true
        }
        let (tree, _) = try ImageAssembler.fileTree(for: spec)
        let single = try TarReader.read(LayerBuilder.build(entries: tree.entries, modificationTime: spec.sourceDateEpoch, compression: .none).blob.bytes)
        let image = try ImageAssembler.assemble(spec)
        XCTAssertEqual(Self.kinds(image), ["containerize: add-ons"] + (dynamic ? ["containerize: shared-libraries"] : []) + ["containerize: resources", "containerize: executable"])
        let wholeTree = Dictionary(uniqueKeysWithValues: single.map { ($0.path, $0) })
        var stacked: [String: TarRecord] = [:]
        for layer in image.layers {
            let records = try TarReader.read(try Gzip.decompress(try layer.blob.bytes))
            XCTAssertTrue(!records.isEmpty)
            let paths = Set(records.map(\.path))
            for record in records {
                XCTAssertEqual(wholeTree[record.path], record, "\(record.path) differs from the one-layer tree")
                let parts = record.path.split(separator: "/")
                for depth in parts.indices.dropLast() {
                    let parent = parts[...depth].joined(separator: "/") + "/"
                    XCTAssertTrue(paths.contains(parent), "\(record.path) has no \(parent) in its layer")
                }
                stacked[record.path] = record
            }
        }
        XCTAssertEqual(stacked, wholeTree)
        let home = try XCTUnwrap(stacked["home/nonroot/"])
        XCTAssertEqual(home.mode, 0o700, "a resource under the home keeps the home's mode and owner")
        XCTAssertEqual(home.uid, 65532, "a resource under the home keeps the home's mode and owner")
    }

    func testAPathInTwoLayersIsTheUsualOneLineError() throws {
        try Prerequisite.requireTools("gcc")
        let work = try Workspace()
        defer { TestSupport.remove(work.directory) }
        for destination in ["/etc/passwd", "/app", "/etc/ssl/certs/ca-certificates.crt"] {
            var spec = work.spec
            spec.resources.append(.init(source: work.directory + "/app.conf", destination: destination))
            assertThrows(ImageBuildError.self, "\(destination)") { try ImageAssembler.assemble(spec) }
            do { _ = try ImageAssembler.assemble(spec) } catch {
                let message = "\(error)"
                XCTAssertTrue(!message.contains("\n") && message.contains(destination), "\(message)")
            }
        }
    }

    /// `find` over an unpacked tree: type, mode, owner, link target and content hash per path.
    static func treeListing(_ root: String) throws -> String {
        let script = #"cd "$1" && find . -mindepth 1 -printf '%P %y %m %U:%G %l ' -exec sh -c '[ -f "$1" ] && sha256sum < "$1" | cut -c1-16 || echo' _ {} \; | sort"#
        let result = try TestSupport.run("sh", ["-c", script, "_", root])
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        return result.stdout
    }

    /// Real tools: the CLI's layered OCI layout validates, skopeo copies it, and umoci unpacks it
    /// to exactly the tree the one-layer image gave (tar of that tree extracted the same way).
    func testRealToolsUnpackTheSameTreeAsTheOneLayerImage() throws {
        try Prerequisite.requireTools("gcc", "skopeo", "umoci", "oci-image-tool")
        let work = try Workspace()
        defer { TestSupport.remove(work.directory) }
        let built = try TestSupport.containertool(["build", "--executable", work.executable, "--resource", work.directory + "/Public:/srv/Public",
                                                   "--resource", work.directory + "/app.conf:/home/nonroot/app.conf", "--workdir", "/srv",
                                                   "--tag", "layers:1", "--output", "oci-layout:" + work.directory + "/layout", "--json"],
                                                  environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        XCTAssertEqual(built.status, 0, "\(built.stderr)")
        let image = try ImageReader.read(path: work.directory + "/layout")
        XCTAssertEqual(image.layers.count, 3)
        XCTAssertEqual(image.config.history?.count, 3)
        // --json names each layer with its digest and size, as the layout stores them.
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(built.stdout.utf8)) as? [String: Any])
        let layers = try XCTUnwrap(report["layers"] as? [[String: Any]], "\(built.stdout)")
        XCTAssertEqual(layers.compactMap { $0["createdBy"] as? String }, ["containerize: add-ons", "containerize: resources", "containerize: executable"])
        XCTAssertEqual(layers.compactMap { $0["digest"] as? String }, image.layers.map(\.digest))
        XCTAssertEqual(layers.compactMap { $0["size"] as? Int }, image.layers.map { Int($0.size) })
        let inspect = try TestSupport.containertool(["inspect", work.directory + "/layout"])
        XCTAssertEqual(inspect.status, 0, "\(inspect.stdout)\(inspect.stderr)")
        XCTAssertTrue(inspect.stdout.contains(", 3 layer(s)"), "\(inspect.stdout)\(inspect.stderr)")
        for (layer, kind) in zip(image.layers, ["add-ons", "resources", "executable"]) {
            XCTAssertTrue(inspect.stdout.contains("layer:        \(layer.digest) (\(layer.size) bytes) containerize: \(kind)"), "\(inspect.stdout)")
        }
        let validate = try TestSupport.run("oci-image-tool", ["validate", "--type", "image", "--ref", "name=1", "layout"], in: work.directory)
        XCTAssertEqual(validate.status, 0, "\(validate.stdout)\(validate.stderr)")
        let copy = try TestSupport.run("skopeo", ["copy", "--quiet", "oci:layout:1", "oci:copied:1"], in: work.directory)
        XCTAssertEqual(copy.status, 0, "\(copy.stderr)")
        let rootless = getuid() != 0
        let unpack = try TestSupport.run("umoci", ["unpack"] + (rootless ? ["--rootless"] : []) + ["--image", "copied:1", "bundle"], in: work.directory)
        XCTAssertEqual(unpack.status, 0, "\(unpack.stderr)")

        // The one-layer reference: the same spec's validated tree as a single tar.
        var spec = ImageSpec(executablePath: work.executable, name: "app")
        spec.resources = [.init(source: work.directory + "/Public", destination: "/srv/Public"),
                          .init(source: work.directory + "/app.conf", destination: "/home/nonroot/app.conf")]
        spec.workingDirectory = "/srv"
        spec.sourceDateEpoch = 1_700_000_000
        let (tree, _) = try ImageAssembler.fileTree(for: spec)
        let single = try LayerBuilder.build(entries: tree.entries, modificationTime: spec.sourceDateEpoch, compression: .none)
        try Data(try single.blob.bytes).write(to: URL(fileURLWithPath: work.directory + "/single.tar"))
        try FileManager.default.createDirectory(atPath: work.directory + "/reference", withIntermediateDirectories: false)
        let extract = try TestSupport.run("tar", ["-xpf", "single.tar", "-C", "reference"] + (rootless ? [] : ["--same-owner", "--numeric-owner"]), in: work.directory)
        XCTAssertEqual(extract.status, 0, "\(extract.stderr)")

        let unpacked = try Self.treeListing(work.directory + "/bundle/rootfs"), reference = try Self.treeListing(work.directory + "/reference")
        XCTAssertTrue(unpacked.contains("home/nonroot d 700") && unpacked.contains("srv/Public/home.css l 777"), "\(unpacked)")
        if !rootless { XCTAssertTrue(unpacked.contains("home/nonroot d 700 65532:65532"), "\(unpacked)") }
        XCTAssertEqual(unpacked, reference)
    }
}
