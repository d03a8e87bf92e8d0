import GeneratedFiles
@testable import KubernetesManifests
import XCTest

/// The starter Deployment + Service: golden output, and the properties a scratch image needs.
final class StarterManifestTests: XCTestCase {
    func testDefaultRenderMatchesGolden() throws {
        try Support.assertGolden(StarterManifest(product: "HelloWeb").render(), "HelloWeb.yaml")
    }

    func testOptionsRenderTheirGolden() throws {
        var manifest = StarterManifest(product: "hello_B")
        manifest.port = 9000
        manifest.replicas = 3
        manifest.userID = 1000
        manifest.groupID = 2000
        manifest.peakRSSMegabytes = 40
        manifest.shutdownTimeoutSeconds = 20
        try Support.assertGolden(manifest.render(), "hello_B-options.yaml")
        XCTAssertEqual(manifest.objectName, "hello-b")
        XCTAssertEqual(manifest.memoryRequestMiB, 256)  // 4 × 40 MB = 160 → next power of two
        XCTAssertEqual(manifest.memoryLimitMiB, 1024)
        XCTAssertEqual(manifest.terminationGracePeriodSeconds, 25)
    }

    func testItPassesResolveAsItIs() throws {
        let rendered = Array(StarterManifest(product: "HelloWeb").render().utf8)
        let references = try ProductReferenceScanner.scan(rendered, file: "deploy/HelloWeb.yaml")
        XCTAssertEqual(references.map(\.product), ["HelloWeb"])
        let resolved = String(decoding: try ManifestRewriter.rewrite(
            rendered, references: references, images: ["HelloWeb": "r.example/t/helloweb@" + Support.digestA]), as: UTF8.self)
        XCTAssertTrue(resolved.contains("      image: r.example/t/helloweb@\(Support.digestA)\n"))
        XCTAssertFalse(resolved.contains("image: swift://"))
    }

    func testCarriesTheMarkerAndTheSecurityContext() {
        let lines = StarterManifest(product: "HelloWeb").render().split(separator: "\n").map {
            $0.split(separator: "#", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces)
        }
        XCTAssertTrue(GeneratedFile.isGenerated(StarterManifest(product: "HelloWeb").render()))
        for expected in ["replicas: 2", "runAsNonRoot: true", "runAsUser: 65532", "readOnlyRootFilesystem: true",
                         "allowPrivilegeEscalation: false", "drop: [\"ALL\"]", "type: RuntimeDefault",
                         "terminationGracePeriodSeconds: 10", "image: swift://HelloWeb", "kind: Service", "memory: 16Mi", "memory: 64Mi"] {
            XCTAssertTrue(lines.contains(expected), "missing '\(expected)'")
        }
    }

    func testTheGracePeriodOutlastsTheServersDrain() {
        // HelloWeb drains for --shutdown-timeout (default 5 s, Sources/HelloWeb/Options.swift) after SIGTERM.
        XCTAssertGreaterThan(StarterManifest(product: "HelloWeb").terminationGracePeriodSeconds, 5)
    }

    func testInvalidOptionsAreNamed() {
        var manifest = StarterManifest(product: "HelloWeb")
        manifest.userID = 0
        XCTAssertEqual(manifest.problem, "the user must not be root (runAsNonRoot): give a UID and GID above 0")
        XCTAssertNotNil(StarterManifest(product: "bad name").problem)
        XCTAssertNotNil(StarterManifest(product: "---").problem)
        manifest = StarterManifest(product: "HelloWeb")
        manifest.port = 70000
        XCTAssertEqual(manifest.problem, "invalid port 70000: expected 1 to 65535")
    }
}
