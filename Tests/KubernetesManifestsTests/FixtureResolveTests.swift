import Foundation
@testable import KubernetesManifests
import XCTest

/// The fixture folder (several documents, comments, two products, foreign images, traps) resolved
/// against fixed digests and compared byte for byte with the golden output.
final class FixtureResolveTests: XCTestCase {
    func testFixtureFolderResolvesToGolden() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        let resolved = String(decoding: try manifests.resolved(images: Support.fixtureImages), as: UTF8.self)
        try Support.assertGolden(resolved, "fixture-resolved.yaml")
    }

    func testFixtureListsEachProductWhereItIsUsed() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        XCTAssertEqual(manifests.files.map { ($0.path as NSString).lastPathComponent }, ["10-apps.yaml", "20-more.yaml"],
                       "README.md and the hidden file must be skipped")
        XCTAssertEqual(manifests.products, ["hello-a", "hello-b"])
        let places = manifests.references.map { "\(($0.file as NSString).lastPathComponent):\($0.line):\($0.column) doc \($0.document) \($0.product)" }
        XCTAssertEqual(places, [
            "10-apps.yaml:19:18 doc 0 hello-a",
            "10-apps.yaml:35:17 doc 1 hello-b",
            "10-apps.yaml:47:48 doc 2 hello-b",
            "20-more.yaml:24:9 doc 1 hello-a",
            "20-more.yaml:28:40 doc 1 hello-a",
        ])
    }

    func testMentionsOutsideImageFieldsAreListed() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        XCTAssertEqual(manifests.unresolvedMentions.map { ($0 as NSString).lastPathComponent },
                       ["10-apps.yaml:2", "10-apps.yaml:8", "10-apps.yaml:20", "20-more.yaml:10", "20-more.yaml:12"])
    }

    func testOnlyTheReferencedBytesChange() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        for file in manifests.files {
            let original = String(decoding: file.bytes, as: UTF8.self).components(separatedBy: "\n")
            let rewritten = String(decoding: try ManifestRewriter.rewrite(file.bytes, references: file.references, images: Support.fixtureImages),
                                   as: UTF8.self).components(separatedBy: "\n")
            XCTAssertEqual(original.count, rewritten.count)
            let changed = Set(zip(original, rewritten).enumerated().filter { $0.element.0 != $0.element.1 }.map { $0.offset + 1 })
            XCTAssertEqual(changed, Set(file.references.map(\.line)), file.path)
            for line in changed {
                let before = original[line - 1], after = rewritten[line - 1]
                XCTAssertTrue(before.contains("swift://"))
                XCTAssertFalse(after.contains("swift://"), after)
            }
        }
    }

    func testUnknownProductNamesFileAndLine() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        let error = Support.error { try manifests.check(executables: ["hello-a", "containertool"]) }
        XCTAssertEqual(error?.description, "\(Support.fixtureDeploy)/10-apps.yaml:35: swift://hello-b names no executable product "
                       + "of this package (executable products: containertool, hello-a)")
        XCTAssertNoThrow(try manifests.check(executables: ["hello-b", "hello-a"]))
    }

    func testAProductWithoutAnImageIsRefused() throws {
        let manifests = try ManifestSet.load([Support.fixtureDeploy])
        let error = Support.error { _ = try manifests.resolved(images: ["hello-a": Support.fixtureImages["hello-a"]!]) }
        XCTAssertEqual(error, .missingImage(product: "hello-b", file: Support.fixtureDeploy + "/10-apps.yaml", line: 35))
    }
}
