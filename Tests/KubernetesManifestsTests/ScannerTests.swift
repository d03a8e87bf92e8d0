@testable import KubernetesManifests
import XCTest

/// The YAML shapes an `image:` can take, and the ones that must be left alone.
final class ScannerTests: XCTestCase {
    private let pinned = ["app": "r.example/t/app@" + Support.digestA, "db": "r.example/t/db@" + Support.digestB]

    func testEveryScalarStyleIsRewrittenInPlace() throws {
        let cases: [(String, String)] = [
            ("image: swift://app\n", "image: r.example/t/app@\(Support.digestA)\n"),
            ("image: swift://app   # built here\n", "image: r.example/t/app@\(Support.digestA)   # built here\n"),
            ("image: \"swift://app\" # comment\n", "image: \"r.example/t/app@\(Support.digestA)\" # comment\n"),
            ("image: 'swift://app'\n", "image: 'r.example/t/app@\(Support.digestA)'\n"),
            ("\"image\": swift://app\n", "\"image\": r.example/t/app@\(Support.digestA)\n"),
            ("image : swift://app\n", "image : r.example/t/app@\(Support.digestA)\n"),
            ("image: !!str swift://app\n", "image: !!str r.example/t/app@\(Support.digestA)\n"),
            ("image: &a swift://app\nother: *a\n", "image: &a r.example/t/app@\(Support.digestA)\nother: *a\n"),
            ("image:\n  swift://app\n", "image:\n  r.example/t/app@\(Support.digestA)\n"),
            ("image: |-\n  swift://app\n", "image: |-\n  r.example/t/app@\(Support.digestA)\n"),
            ("- image: swift://app\n- image: swift://db\n",
             "- image: r.example/t/app@\(Support.digestA)\n- image: r.example/t/db@\(Support.digestB)\n"),
            ("c: [{image: swift://app}, {image: \"swift://db\"}]\n",
             "c: [{image: r.example/t/app@\(Support.digestA)}, {image: \"r.example/t/db@\(Support.digestB)\"}]\n"),
            ("{\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"swift://app\"}]}}",
             "{\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"r.example/t/app@\(Support.digestA)\"}]}}"),
            ("c: [\n  # a comment\n  {name: x,\n   image: swift://app},\n]\n",
             "c: [\n  # a comment\n  {name: x,\n   image: r.example/t/app@\(Support.digestA)},\n]\n"),
            ("image: swift://app", "image: r.example/t/app@\(Support.digestA)"),  // no final newline
        ]
        for (input, expected) in cases {
            XCTAssertEqual(try Support.resolve(input, pinned), expected, input)
        }
    }

    func testDoubleQuotedEscapesAreDecodedAsYAMLReadersDo() throws {
        // Every YAML reader sees swift://app here, so leaving them unresolved would deploy "swift://app".
        for escaped in [#""\u0073wift://app""#, #""\x73wift://app""#, #""\U00000073wift://app""#, #""swift:\/\/app""#] {
            XCTAssertEqual(try Support.resolve("image: \(escaped)\n", pinned), "image: \"r.example/t/app@\(Support.digestA)\"\n", escaped)
        }
        // Invalid or incomplete escapes are kept as written: never a reference, never a crash.
        for kept in [#""\u00zzwift://app""#, #""\u007""#, #""\UFFFFFFFF""#, #""\x""#, #""\uD800""#] {
            XCTAssertEqual(try Support.resolve("image: \(kept)\n", pinned), "image: \(kept)\n", kept)
        }
        XCTAssertEqual(ProductReferenceScanner.unescape(Array(#"u00e9"#.utf8), at: 0).bytes, Array("\u{e9}".utf8))
    }

    func testLineEndingsAndByteOrderMarkAreKept() throws {
        let crlf = "a: 1\r\nimage: swift://app\r\n# end\r\n"
        XCTAssertEqual(try Support.resolve(crlf, pinned), "a: 1\r\nimage: r.example/t/app@\(Support.digestA)\r\n# end\r\n")
        XCTAssertEqual(try Support.scan(crlf).map(\.line), [2])
        let bom = "\u{FEFF}image: swift://app\n"
        XCTAssertEqual(try Support.resolve(bom, pinned), "\u{FEFF}image: r.example/t/app@\(Support.digestA)\n")
        XCTAssertEqual(try Support.scan(bom).map(\.column), [8])
    }

    func testOnlyFieldsNamedImageCount() throws {
        let yaml = """
            note: swift://app
            args: ["swift://app", swift://db]
            images: swift://app
            my-image: swift://app
            script: |
              image: swift://app
              echo "image: swift://db"
            folded: >
              image: swift://app
            message: "image: swift://app"
            env: [{name: IMAGE, value: "swift://app"}]
            image: nginx:1.25 # swift://app in a comment
            # image: swift://app

            """
        XCTAssertEqual(try Support.scan(yaml), [])
        XCTAssertEqual(try Support.resolve(yaml, [:]), yaml)
    }

    func testDocumentsAreCounted() throws {
        let yaml = """
            # comment before the first document
            ---
            image: swift://app
            ---
            a: |
              --- not a marker: indented
            ...
            ---
            image: swift://db
            --- {image: swift://app}

            """
        XCTAssertEqual(try Support.scan(yaml).map { "\($0.document):\($0.line):\($0.product)" }, ["0:3:app", "2:9:db", "3:10:app"])
    }

    func testABlockScalarEndsAtTheFirstLessIndentedLine() throws {
        let yaml = """
            spec:
              script: |
                image: swift://ignored
                  more
              image: swift://app

            """
        XCTAssertEqual(try Support.scan(yaml).map { "\($0.line):\($0.product)" }, ["5:app"])
    }

    func testSequencesAndNestedMappingsLineUp() throws {
        let yaml = """
            spec:
              containers:
              - name: a
                image: swift://app
                ports:
                  - containerPort: 80
              - name: b
                image: swift://db
              initContainers:
                - - name: nested
                    image: swift://app

            """
        XCTAssertEqual(try Support.scan(yaml).map { "\($0.line):\($0.column):\($0.product)" }, ["4:12:app", "8:12:db", "11:16:app"])
    }
}
