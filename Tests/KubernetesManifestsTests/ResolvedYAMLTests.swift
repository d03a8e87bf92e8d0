import Foundation
@testable import KubernetesManifests
import TestSupport
import XCTest

/// An independent YAML parser (PyYAML) reads what `--resolve` writes: every document parses, and each
/// `image` field holds the pinned reference, none still `swift://`. (scripts/lib/e2e-kubernetes.sh
/// compares the plugin's real output with these same golden files, registry and digests aside.)
final class ResolvedYAMLTests: XCTestCase {
    /// The `image` fields of `yaml`, as PyYAML reads them.
    func imagesPyYAMLReads(_ yaml: String) throws -> [String] {
        try Prerequisite.require((try? runTool("python3", ["-c", "import yaml"]))?.status == 0,
                                 "python3 with PyYAML is not installed (.ci/run installs python3-yaml)")
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("resolved.yaml")
        try Data(yaml.utf8).write(to: file)
        let script = Support.testsFolder.appendingPathComponent("Resources/yaml_images.py").path
        let output = try runChecked("python3", [script, file.path])
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String], output)
    }

    func testTheResolvedFixtureParsesAndEveryProductImageIsPinned() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        let resolved = String(decoding: try manifests.resolved(images: Support.fixtureImages), as: UTF8.self)
        let images = try imagesPyYAMLReads(resolved)
        XCTAssertEqual(images.filter { $0.hasPrefix("swift://") }, [], "unresolved images")
        XCTAssertEqual(Set(images).intersection(Support.fixtureImages.values), Set(Support.fixtureImages.values), "each product's pinned reference is an image field: \(images)")
        // One image field per swift:// reference the scanner found, and the alias `image: *hello-a`,
        // which reads as the anchored (pinned) value.
        XCTAssertEqual(images.filter { Support.fixtureImages.values.contains($0) }.count, manifests.references.count + 1, "\(images)")
    }

    func testTheResolvedStarterParsesWithItsOneImagePinned() throws {
        let rendered = Array(StarterManifest(product: "HelloWeb").render().utf8)
        let references = try ProductReferenceScanner.scan(rendered, file: "deploy/HelloWeb.yaml")
        let pinned = "r.example/t/helloweb@" + Support.digestA
        let resolved = String(decoding: try ManifestRewriter.rewrite(rendered, references: references, images: ["HelloWeb": pinned]), as: UTF8.self)
        XCTAssertEqual(try imagesPyYAMLReads(resolved), [pinned])
    }
}
