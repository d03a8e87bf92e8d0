import OCIModel
import ContainerImage
import SBOM
import Foundation
import XCTest

/// The SPDX 2.3 SBOM (its logic lives in ContainerImage/SBOM.swift; next to the image library it belongs to).
final class SBOMTests: XCTestCase {
    /// A Package.resolved v2 with two pins: one tagged release, one branch.
    let packageResolvedV2 = """
        {
          "pins" : [
            {
              "identity" : "swift-nio",
              "kind" : "remoteSourceControl",
              "location" : "https://github.com/apple/swift-nio.git",
              "state" : { "revision" : "fc63f0cf4e55a4597407a9fc95b16a2bc44b4982", "version" : "2.64.0" }
            },
            {
              "identity" : "async-kit",
              "kind" : "remoteSourceControl",
              "location" : "https://github.com/vapor/async-kit",
              "state" : { "branch" : "main", "revision" : "7ece208cd401687641c88367a00e3ea2b04311f1" }
            }
          ],
          "version" : 2
        }
        """

    func document(pins: [ResolvedPackagePin] = []) -> SBOMDocument {
        SBOMDocument(product: "HelloWeb", version: "1.0.0", swiftVersion: "6.3.1", pins: pins,
                     created: Date(timeIntervalSince1970: 1_700_000_000), sourceLocation: "https://example.com/hello.git")
    }

    func parse(_ document: SBOMDocument) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: document.jsonData()) as? [String: Any])
    }

    func testPinsFromPackageResolvedV2() throws {
        let pins = try SBOMDocument.pins(fromPackageResolved: Data(packageResolvedV2.utf8))
        XCTAssertEqual(pins, [
            ResolvedPackagePin(identity: "async-kit", location: "https://github.com/vapor/async-kit",
                               revision: "7ece208cd401687641c88367a00e3ea2b04311f1", branch: "main"),
            ResolvedPackagePin(identity: "swift-nio", location: "https://github.com/apple/swift-nio.git",
                               version: "2.64.0", revision: "fc63f0cf4e55a4597407a9fc95b16a2bc44b4982"),
        ])
    }

    func testPinsFromPackageResolvedV1() throws {
        let v1 = #"{"object":{"pins":[{"package":"Swift-Log","repositoryURL":"https://github.com/apple/swift-log.git","state":{"branch":null,"revision":"abc","version":"1.5.0"}}]},"version":1}"#
        let pins = try SBOMDocument.pins(fromPackageResolved: Data(v1.utf8))
        XCTAssertEqual(pins, [ResolvedPackagePin(identity: "swift-log", location: "https://github.com/apple/swift-log.git", version: "1.5.0", revision: "abc")])
    }

    func testBrokenPackageResolvedSaysWhatToDo() {
        XCTAssertThrowsError(try SBOMDocument.pins(fromPackageResolved: Data("{}".utf8))) { error in
            XCTAssertTrue("\(error)".contains("swift package resolve"), "\(error)")
        }
    }

    func testRequiredSPDXFields() throws {
        let pins = try SBOMDocument.pins(fromPackageResolved: Data(packageResolvedV2.utf8))
        let json = try parse(document(pins: pins))
        XCTAssertEqual(json["spdxVersion"] as? String, "SPDX-2.3")
        XCTAssertEqual(json["dataLicense"] as? String, "CC0-1.0")
        XCTAssertEqual(json["SPDXID"] as? String, "SPDXRef-DOCUMENT")
        XCTAssertEqual(json["name"] as? String, "HelloWeb-1.0.0")
        XCTAssertEqual(json["documentNamespace"] as? String, "https://swift-containerize.invalid/spdx/HelloWeb/1.0.0")
        let creation = try XCTUnwrap(json["creationInfo"] as? [String: Any])
        XCTAssertEqual(creation["created"] as? String, "2023-11-14T22:13:20Z")
        XCTAssertEqual(creation["creators"] as? [String], ["Tool: swift-containerize"])

        let packages = try XCTUnwrap(json["packages"] as? [[String: Any]])
        XCTAssertEqual(packages.map { $0["name"] as? String }, ["HelloWeb", "swift", "async-kit", "swift-nio"])
        for package in packages {
            for field in ["SPDXID", "name", "downloadLocation", "filesAnalyzed", "licenseConcluded", "copyrightText"] {
                XCTAssertNotNil(package[field], "\(field) missing in \(package)")
            }
            let id = try XCTUnwrap(package["SPDXID"] as? String)
            XCTAssertTrue(id.hasPrefix("SPDXRef-") && id.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }, id)
        }
        XCTAssertEqual(packages[1]["versionInfo"] as? String, "6.3.1")
        XCTAssertEqual(packages[3]["versionInfo"] as? String, "2.64.0")
        XCTAssertEqual(packages[3]["downloadLocation"] as? String, "git+https://github.com/apple/swift-nio.git@fc63f0cf4e55a4597407a9fc95b16a2bc44b4982")
        let refs = try XCTUnwrap(packages[3]["externalRefs"] as? [[String: Any]])
        XCTAssertEqual(refs.first?["referenceLocator"] as? String, "pkg:swift/github.com/apple/swift-nio@2.64.0")

        let relationships = try XCTUnwrap(json["relationships"] as? [[String: String]])
        let product = "SPDXRef-Package-HelloWeb"
        XCTAssertTrue(relationships.contains(["spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": product]))
        let dependencies = relationships.filter { $0["spdxElementId"] == product && $0["relationshipType"] == "DEPENDS_ON" }
        XCTAssertEqual(Set(dependencies.compactMap { $0["relatedSpdxElement"] }),
                       ["SPDXRef-Package-swift-toolchain", "SPDXRef-Package-dependency-async-kit", "SPDXRef-Package-dependency-swift-nio"])
        let ids = Set(packages.compactMap { $0["SPDXID"] as? String })
        for relationship in relationships where relationship["spdxElementId"] != "SPDXRef-DOCUMENT" {
            XCTAssertTrue(ids.contains(relationship["relatedSpdxElement"] ?? ""), "dangling \(relationship)")
        }
    }

    func testSourceBecomesAValidDownloadLocationOrNoAssertion() throws {
        func location(_ source: String) throws -> String? {
            let document = SBOMDocument(product: "P", version: "1", swiftVersion: "6.3.1", pins: [], created: Date(), sourceLocation: source)
            return (try parse(document)["packages"] as? [[String: Any]])?.first?["downloadLocation"] as? String
        }
        XCTAssertEqual(try location("https://github.com/o/r.git"), "git+https://github.com/o/r.git")
        XCTAssertEqual(try location("git@github.com:o/r.git"), "git+ssh://git@github.com/o/r.git")
        XCTAssertEqual(try location("/work/main"), "NOASSERTION", "a local path is no download location")
    }

    func testNoPinsMeansProductAndToolchainOnly() throws {
        let json = try parse(document())
        XCTAssertEqual((json["packages"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual((json["relationships"] as? [[String: Any]])?.count, 2)
    }

    func testSameInputGivesTheSameBytes() throws {
        XCTAssertEqual(try document().jsonData(), try document().jsonData())
    }

    /// `sbom` reads SOURCE_DATE_EPOCH with the same rule as `build` (OCIModel's `SourceDateEpoch`).
    func testCreationDateHonoursSourceDateEpoch() throws {
        XCTAssertEqual(try SourceDateEpoch.from(environment: ["SOURCE_DATE_EPOCH": "1700000000"]), 1_700_000_000)
        XCTAssertNil(try SourceDateEpoch.from(environment: [:]))
        XCTAssertThrowsError(try SourceDateEpoch.from(environment: ["SOURCE_DATE_EPOCH": "1.5"]))
    }

    func testSwiftVersionFromVersionOutput() {
        XCTAssertEqual(SBOMDocument.swiftVersion(fromVersionOutput: "Swift version 6.3.1 (swift-6.3.1-RELEASE)\nTarget: x86_64-unknown-linux-gnu\n"), "6.3.1")
        XCTAssertEqual(SBOMDocument.swiftVersion(fromVersionOutput: "swift-driver version: 1.90 Apple Swift version 5.10 (swiftlang-5.10.0.13)"), "5.10")
        XCTAssertNil(SBOMDocument.swiftVersion(fromVersionOutput: "command not found"))
    }
}
