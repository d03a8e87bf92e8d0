import DockerfileRenderer
import Foundation
import XCTest

/// `--from` in the rendered Dockerfile: the final stage is FROM the base, and nothing of scratch's
/// users or /tmp is written over the base's.
final class BaseImageRenderTests: XCTestCase {
    private let template = try! DockerfileTemplate.read(GoldenFiles.repositoryTemplate)

    private func render(base: String?, userIsExplicit: Bool = false) throws -> String {
        var options = DockerfileOptions(product: "app", swiftVersion: "6.3")
        options.baseImage = base
        options.userIsExplicit = userIsExplicit
        options.contents.onBase = base != nil
        return try DockerfileRenderer.renderDockerfile(template: template, options: options)
    }

    func testScratchStaysTheDefault() throws {
        let rendered = try render(base: nil)
        XCTAssertTrue(rendered.contains("\nFROM scratch\n"), rendered)
        XCTAssertTrue(rendered.contains("> etc/passwd"))
        XCTAssertTrue(rendered.contains("USER 65532:65532"))
    }

    func testFromABaseKeepsItsUsersAndUser() throws {
        let rendered = try render(base: "registry.example.com/base:1")
        XCTAssertTrue(rendered.contains("\nFROM registry.example.com/base:1\nCOPY --from=rootfs /rootfs/ /\n"), rendered)
        XCTAssertFalse(rendered.contains("\nFROM scratch\n"), "the image is the base's, not scratch")
        XCTAssertFalse(rendered.contains("> etc/passwd"), "the base's users are kept")
        XCTAssertFalse(rendered.contains("> etc/group"))
        XCTAssertFalse(rendered.contains("chmod 1777"), "the base's /tmp is kept")
        XCTAssertFalse(rendered.contains("\nUSER "), "the base's user is kept without --user")
        XCTAssertTrue(try render(base: "base:1", userIsExplicit: true).contains("\nUSER 65532:65532"))
    }

    func testABadBaseAndATemplateWithoutThePlaceholderAreRefused() throws {
        XCTAssertThrowsError(try render(base: "has space")) { XCTAssertTrue("\($0)".contains("invalid base image"), "\($0)") }
        var options = DockerfileOptions(product: "app", swiftVersion: "6.3")
        options.baseImage = "base:1"
        XCTAssertThrowsError(try DockerfileRenderer.renderDockerfile(template: "FROM scratch\nENTRYPOINT [\"/{{PRODUCT}}\"]\n", options: options)) {
            XCTAssertTrue("\($0)".contains("--from"), "\($0)")
        }
    }
}
