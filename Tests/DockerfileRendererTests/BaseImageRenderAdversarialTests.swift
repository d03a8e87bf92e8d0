import DockerfileRenderer
import Foundation
import XCTest

/// The adversarial pass over `dockerfile --from` (`adv-base`): a value the reference grammar refuses
/// never reaches the `FROM` line, and a credential in it is never echoed.
final class BaseImageRenderAdversarialTests: XCTestCase {
    private func render(base: String) throws -> String {
        var options = DockerfileOptions(product: "app", swiftVersion: "6.3")
        options.baseImage = base
        options.contents.onBase = true
        return try DockerfileRenderer.renderDockerfile(template: try DockerfileTemplate.read(GoldenFiles.repositoryTemplate), options: options)
    }

    func testAValueThatIsNotAnImageReferenceIsRefused() throws {
        // A trailing backslash continues FROM onto the template's next line; `$` expands build args.
        for base in ["base:1\\", "base:$TAG", "${BASE}", "base:1\tAS\tx", "Base/Name:1", "base@sha256:1234"] {
            XCTAssertThrowsError(try render(base: base), base) { XCTAssertTrue("\($0)".contains("invalid base image"), "\($0)") }
        }
        for base in ["scratch", "debian:12", "127.0.0.1:5000/team/base:1", "ghcr.io/a/b@sha256:" + String(repeating: "a", count: 64)] {
            XCTAssertTrue(try render(base: base).contains("\nFROM \(base)\n"), base)
        }
    }

    func testACredentialInTheValueIsNeitherWrittenNorEchoed() throws {
        XCTAssertThrowsError(try render(base: "robot:s3cret@registry.example.com/base:1")) { error in
            XCTAssertTrue("\(error)".contains("invalid base image"), "\(error)")
            XCTAssertFalse("\(error)".contains("s3cret"), "\(error)")
        }
    }
}
