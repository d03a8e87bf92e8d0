import DockerfileRenderer
import XCTest

final class TemplateRendererTests: XCTestCase {
    func testSubstitutesEveryOccurrence() throws {
        let renderer = TemplateRenderer(values: ["A": "1", "B": "two"])
        XCTAssertEqual(try renderer.render("{{A}}-{{B}}-{{A}}{{ B }}\n"), "1-two-1two\n")
    }

    func testTextWithoutPlaceholdersIsUnchanged() throws {
        XCTAssertEqual(try TemplateRenderer(values: [:]).render("FROM scratch\n{ not one }\n"), "FROM scratch\n{ not one }\n")
    }

    func testUnknownPlaceholderIsAnErrorNamingItAndItsLine() {
        let renderer = TemplateRenderer(values: ["PRODUCT": "x"])
        XCTAssertThrowsError(try renderer.render("FROM scratch\nEXPOSE {{PROT}}\n")) { error in
            XCTAssertEqual(error as? DockerfileRendererError, .unknownPlaceholder(name: "PROT", line: 2, known: ["PRODUCT"]))
            XCTAssertTrue("\(error)".contains("{{PROT}}"))
            XCTAssertTrue("\(error)".contains("line 2"))
        }
    }

    func testUnterminatedPlaceholderIsAnError() {
        XCTAssertThrowsError(try TemplateRenderer(values: ["A": "1"]).render("a\nb {{A")) { error in
            XCTAssertEqual(error as? DockerfileRendererError, .unterminatedPlaceholder(line: 2))
        }
    }

    func testUnknownPlaceholderInATemplateFailsTheDockerfileRender() {
        XCTAssertThrowsError(
            try DockerfileRenderer.renderDockerfile(template: "FROM {{BUILDER_IMAGE}}\nRUN {{NOPE}}\n",
                                                    options: DockerfileOptions(product: "p", swiftVersion: "6.3"))
        ) { error in
            guard case .unknownPlaceholder(name: "NOPE", line: 2, _)? = error as? DockerfileRendererError else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }

    func testInvalidOptionsAreRejectedBeforeRendering() {
        let invalid: [(DockerfileOptions, DockerfileRendererError)] = [
            (DockerfileOptions(product: "", swiftVersion: "6.3"), .invalidProductName("")),
            (DockerfileOptions(product: "a b", swiftVersion: "6.3"), .invalidProductName("a b")),
            (DockerfileOptions(product: "x\"]", swiftVersion: "6.3"), .invalidProductName("x\"]")),
            (DockerfileOptions(product: "p", swiftVersion: "6"), .invalidSwiftVersion("6")),
            (DockerfileOptions(product: "p", swiftVersion: "6.3.1"), .invalidSwiftVersion("6.3.1")),
            (DockerfileOptions(product: "p", swiftVersion: "6.3", port: 0), .invalidPort("0")),
            (DockerfileOptions(product: "p", swiftVersion: "6.3", port: 70000), .invalidPort("70000")),
            (DockerfileOptions(product: "p", swiftVersion: "6.3", builderImage: "swift 6"), .invalidBuilderImage("swift 6")),
        ]
        for (options, expected) in invalid {
            XCTAssertThrowsError(try DockerfileRenderer.renderDockerfile(template: "FROM scratch\n", options: options)) {
                XCTAssertEqual($0 as? DockerfileRendererError, expected)
            }
        }
    }

    func testParsesUserAndPort() throws {
        XCTAssertTrue(try DockerfileOptions.parseUser("1000:2000") == (1000, 2000))
        XCTAssertThrowsError(try DockerfileOptions.parseUser("nonroot"))
        XCTAssertThrowsError(try DockerfileOptions.parseUser("1000"))
        XCTAssertThrowsError(try DockerfileOptions.parseUser("-1:0"))
        XCTAssertEqual(try DockerfileOptions.parsePort("8080"), 8080)
        XCTAssertThrowsError(try DockerfileOptions.parsePort("http"))
    }
}
