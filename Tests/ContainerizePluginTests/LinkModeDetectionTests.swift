import XCTest

/// The import scan that picks `--link dynamic-libc` for a URLSession product before compiling.
final class LinkModeDetectionTests: XCTestCase {
    func testImportsThatLinkLibcurlOrLibxml2AreFound() {
        let needing: [(String, String)] = [
            ("import FoundationNetworking", "FoundationNetworking"),
            ("  @preconcurrency import FoundationNetworking\n", "FoundationNetworking"),
            ("import Foundation\n#if canImport(FoundationNetworking)\nimport FoundationNetworking\n#endif", "FoundationNetworking"),
            ("public import struct FoundationNetworking.URLRequest", "FoundationNetworking"),
            ("@_implementationOnly import FoundationXML", "FoundationXML"),
            ("import Foundation; import FoundationNetworking", "FoundationNetworking"),
            ("import FoundationNetworking.URLSession", "FoundationNetworking"),
        ]
        for (source, module) in needing {
            XCTAssertEqual(LinkModeDetection.dynamicOnlyImport(in: source), module, source)
        }
    }

    func testOtherImportsCommentsAndLookalikesAreNot() {
        let fine = [
            "import Foundation",
            "// import FoundationNetworking",
            "import FoundationNetworkingExtras",
            "let s = \"import\"",
            "import NIOFoundationCompat",
            "import class Foundation.JSONDecoder",
            "",
        ]
        for source in fine {
            XCTAssertNil(LinkModeDetection.dynamicOnlyImport(in: source), source)
        }
    }

    func testTheNoteSaysWhatHappenedAndHowToOverride() {
        let note = LinkModeDetection.note(product: "Fetch", module: "FoundationNetworking", file: "Sources/Fetch/main.swift")
        XCTAssertEqual(note, "note: 'Fetch' imports FoundationNetworking (URLSession needs libcurl, in Sources/Fetch/main.swift), which cannot link fully static: building with --link dynamic-libc (static Swift runtime, dynamic glibc; the image carries the shared libraries and the loader). Pass --link static to insist on a static link")
    }
}
