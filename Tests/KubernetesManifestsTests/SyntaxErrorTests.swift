@testable import KubernetesManifests
import XCTest

/// The syntax errors that would make a rewrite wrong: each is one line with the file and line.
final class SyntaxErrorTests: XCTestCase {
    private func message(_ yaml: String) -> String? {
        Support.error { _ = try Support.scan(yaml, file: "deploy/app.yaml") }?.description
    }

    func testUnterminatedQuotesNameTheOpeningLine() {
        XCTAssertEqual(message("a: 1\nimage: \"swift://app\nb: 2\n"),
                       "deploy/app.yaml:2: YAML syntax error: unterminated double-quoted string; close it with \"")
        XCTAssertEqual(message("image: 'swift://app\n"),
                       "deploy/app.yaml:1: YAML syntax error: unterminated single-quoted string; close it with '")
        // A document marker ends the search: the quote does not swallow the next document.
        XCTAssertEqual(message("note: \"open\n---\nimage: swift://app\n"),
                       "deploy/app.yaml:1: YAML syntax error: unterminated double-quoted string; close it with \"")
    }

    func testUnterminatedAndMismatchedFlowCollections() {
        XCTAssertEqual(message("x: 1\nc: [{image: swift://app}\n"),
                       "deploy/app.yaml:2: YAML syntax error: unterminated flow collection: '[' is never closed")
        XCTAssertEqual(message("c: [a, b}\n"),
                       "deploy/app.yaml:1: YAML syntax error: '}' closes nothing that is open here")
    }

    func testTabsInIndentation() {
        XCTAssertEqual(message("spec:\n\timage: swift://app\n"),
                       "deploy/app.yaml:2: YAML syntax error: a tab in the indentation; YAML indents with spaces only")
        XCTAssertEqual(message("spec:\n  \timage: swift://app\n"),
                       "deploy/app.yaml:2: YAML syntax error: a tab in the indentation; YAML indents with spaces only")
        // A tab after the value, or inside a block scalar's text, is fine.
        XCTAssertNoThrow(try Support.scan("image: swift://app\t# c\nscript: |\n  a\tb\n"))
    }

    func testBadIndentationAroundImage() {
        XCTAssertEqual(message("containers:\n- name: a\n  image: swift://app\n    tag: x\n"),
                       "deploy/app.yaml:4: YAML syntax error: bad indentation after the image value on line 3: this line is "
                       + "indented deeper than `image:`, which makes it part of that value; align it with `image:`")
        XCTAssertEqual(message("containers:\n  - name: a\n   image: swift://app\n"),
                       "deploy/app.yaml:3: YAML syntax error: bad indentation: `image:` at column 4 lines up with no key above (expected column 5)")
        XCTAssertEqual(message("spec:\n    name: a\n  image: swift://app\n"),
                       "deploy/app.yaml:3: YAML syntax error: bad indentation: `image:` at column 3 lines up with no key above (expected column 5)")
    }

    func testALongValueIsShortenedInTheMessage() {
        let long = String(repeating: "a", count: 5000)
        XCTAssertEqual(message("image: \"swift://\(long)\"\n"),
                       "deploy/app.yaml:1: image 'swift://\(long.prefix(72))…' is not a valid swift://PRODUCT reference: "
                       + "a product name has letters, digits, '.', '_' and '-' only")
    }

    func testExplicitImageKeyIsRefusedNotMissed() {
        XCTAssertEqual(message("? image\n: swift://app\n"),
                       "deploy/app.yaml:1: YAML syntax error: an explicit key (? image) is not supported here; write `image: VALUE` on one line")
    }

    func testTextAfterAQuotedValue() {
        XCTAssertEqual(message("image: \"swift://app\" extra\n"),
                       "deploy/app.yaml:1: YAML syntax error: unexpected text after a value; quote the whole value or start a comment with ' #'")
    }

    func testInvalidReferences() {
        XCTAssertEqual(message("image: swift://\n"),
                       "deploy/app.yaml:1: image 'swift://' is not a valid swift://PRODUCT reference: no product name after swift://")
        XCTAssertEqual(message("image: swift://app:1.0\n"),
                       "deploy/app.yaml:1: image 'swift://app:1.0' is not a valid swift://PRODUCT reference: "
                       + "name the product only (swift://PRODUCT); the tag and digest come from the build")
        XCTAssertEqual(message("image: registry/swift://app\n"),
                       "deploy/app.yaml:1: image 'registry/swift://app' is not a valid swift://PRODUCT reference: swift:// must start the value")
        XCTAssertEqual(message("image: swift://app#x\n"),
                       "deploy/app.yaml:1: image 'swift://app#x' is not a valid swift://PRODUCT reference: "
                       + "a product name has letters, digits, '.', '_' and '-' only")
        XCTAssertEqual(message("image: \"swift://app\n  more\"\n"),
                       "deploy/app.yaml:1: image 'swift://app…' is not a valid swift://PRODUCT reference: a swift:// image must be on one line")
        XCTAssertEqual(message("image: |\n  swift://app\n  swift://db\n"),
                       "deploy/app.yaml:1: image '|…' is not a valid swift://PRODUCT reference: a swift:// image must be a one-line value")
    }
}
