import DockerfileRenderer
import Foundation
import XCTest

/// The image options in the rendered Dockerfile: written so Docker reads them literally, and refused
/// with one line when a `docker build` could not reproduce them.
final class ImageContentsTests: XCTestCase {
    private let template = try! DockerfileTemplate.read(GoldenFiles.repositoryTemplate)

    private func render(_ contents: ImageContents, template: String? = nil) throws -> String {
        try DockerfileRenderer.renderDockerfile(
            template: template ?? self.template, options: DockerfileOptions(product: "app", swiftVersion: "6.3", contents: contents))
    }

    private func assertRefused(_ contents: ImageContents, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try render(contents), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(text), message, file: file, line: line)
            XCTAssertTrue(message.contains("--no-dockerfile"), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
        }
    }

    func testValuesAreEscapedForDockerfileAndShell() throws {
        var contents = ImageContents()
        contents.environment = [#"A=$HOME "quoted" back\slash"#]
        contents.labels = ["k": "$x"]
        contents.command = [#"say "hi""#, "$PATH"]
        let rendered = try render(contents)
        XCTAssertTrue(rendered.contains(#"ENV A="\$HOME \"quoted\" back\\slash""#), rendered)
        XCTAssertTrue(rendered.contains(#""k"="\$x""#), rendered)
        XCTAssertTrue(rendered.contains(#"CMD ["say \"hi\"", "$PATH"]"#), rendered)  // exec form: no substitution
    }

    func testWhatADockerfileCannotSayIsRefused() {
        var contents = ImageContents()
        contents.environment = ["A=line\nbreak"]
        assertRefused(contents, mentioning: "--env")
        contents = ImageContents()
        contents.environment = ["BAD KEY=1"]
        assertRefused(contents, mentioning: "--env BAD KEY")
        contents = ImageContents()
        contents.workingDirectory = "/my app"
        assertRefused(contents, mentioning: "--workdir")
        contents = ImageContents()
        contents.resources = [.init(source: "Public/*.html", destination: "/public")]
        assertRefused(contents, mentioning: "--resource Public/*.html")
        contents = ImageContents()
        contents.caFiles = ["certs/$CA.pem"]
        assertRefused(contents, mentioning: "--ca-file")
    }

    func testPathsOutsideTheContextOrIgnoredByItAreRefused() throws {
        XCTAssertEqual(try ImageContents.contextRelativePath("/pkg/Public/a.txt", contextRoot: "/pkg", option: "--resource"), "Public/a.txt")
        XCTAssertEqual(try ImageContents.contextRelativePath("/pkg/Public", contextRoot: "/pkg/", option: "--resource"), "Public")
        XCTAssertEqual(try ImageContents.contextRelativePath("/pkg/Sources/a.o", contextRoot: "/pkg", option: "--resource"), "Sources/a.o")
        for (path, reason) in [("/etc/hosts", "outside the build context"), ("/pkgx/a", "outside the build context"),
                               ("/pkg/.build/release/x", ".dockerignore"), ("/pkg/.build-apps/x", ".dockerignore"),
                               ("/pkg/.git/config", ".dockerignore"), ("/pkg/dist/a.tar", ".dockerignore"),
                               ("/pkg/a.o", ".dockerignore"), ("/pkg", "outside the build context")] {
            XCTAssertThrowsError(try ImageContents.contextRelativePath(path, contextRoot: "/pkg", option: "--resource")) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(path): \(error)")
            }
        }
    }

    func testATemplateWithoutThePlaceholderAnOptionNeedsIsRefused() throws {
        let old = "FROM {{BUILDER_IMAGE}}\nENTRYPOINT [\"/{{PRODUCT}}\"]\n"
        XCTAssertNoThrow(try render(ImageContents(), template: old), "no option given: an old template still renders")
        var contents = ImageContents()
        contents.environment = ["A=1"]
        XCTAssertThrowsError(try render(contents, template: old)) { error in
            XCTAssertEqual(error as? DockerfileRendererError, .templateLacksPlaceholder(name: "IMAGE_CONFIG", option: "--env"))
        }
        contents = ImageContents()
        contents.timeZoneData = .off
        XCTAssertThrowsError(try render(contents, template: old)) { error in
            XCTAssertEqual(error as? DockerfileRendererError, .templateLacksPlaceholder(name: "ROOTFS_SCRIPT", option: "--tzdata/--no-tzdata"))
        }
    }

    func testAddOnChoicesMirrorContainertool() throws {
        var contents = ImageContents()
        var rendered = try render(contents)
        XCTAssertTrue(rendered.contains("if grep -qF /usr/share/zoneinfo/ /rootfs/app; then"), "tzdata on when the binary has Foundation's path")
        XCTAssertTrue(rendered.contains("if grep -qF -e /etc/ssl/certs"), "CA bundle on when the binary names a CA path")
        XCTAssertTrue(rendered.contains("grep -qF \"${bundle##*/}\" \"/out/app\""), "only the resource bundles the binary names")
        XCTAssertTrue(rendered.contains("if grep -qF /usr/lib/ssl/cert.pem /rootfs/app; then mkdir -p usr/lib/ssl && ln -s /etc/ssl/certs/ca-certificates.crt usr/lib/ssl/cert.pem; fi"),
                      "OpenSSL's default file links to the bundle when the binary names it")

        contents.caFiles = ["certs/company.pem"]
        rendered = try render(contents)
        XCTAssertFalse(rendered.contains("if grep -qF -e /etc/ssl/certs"), "with --ca-file the host bundle is always the base")
        XCTAssertTrue(rendered.contains("cat /etc/ssl/certs/ca-certificates.crt;"))
        XCTAssertTrue(rendered.contains("sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' /tmp/containerize-ca-files/1.pem"))

        contents.caCertificates = .off
        contents.timeZoneData = .off
        contents.resourceBundles = false
        rendered = try render(contents)
        XCTAssertFalse(rendered.contains("cat /etc/ssl/certs/ca-certificates.crt"), "--no-ca-certificates: only the --ca-file certificates")
        XCTAssertFalse(rendered.contains("zoneinfo"))
        XCTAssertFalse(rendered.contains(".resources"))
    }

    func testAResourceAtAnAddOnsPathIsDecidedAsContainertoolDecides() throws {
        var contents = ImageContents()
        contents.resources = [.init(source: "certs/bundle.crt", destination: "/etc/ssl/certs/ca-certificates.crt"),
                              .init(source: "tz/localtime", destination: "/etc/localtime")]
        let rendered = try render(contents)
        XCTAssertFalse(rendered.contains("cat /etc/ssl/certs/ca-certificates.crt"), "the --resource bundle is kept, not overwritten")
        XCTAssertFalse(rendered.contains("ln -s"), "the --resource /etc/localtime is kept")
        XCTAssertTrue(rendered.contains("if grep -qF /usr/share/zoneinfo/"))
        contents.caFiles = ["certs/company.pem"]
        XCTAssertThrowsError(try render(contents)) { error in
            XCTAssertTrue("\(error)".contains("--ca-file PEM"), "\(error)")
        }
    }
}
