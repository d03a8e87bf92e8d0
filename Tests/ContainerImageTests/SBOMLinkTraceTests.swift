import Foundation
import SBOM
import TestSupport
import XCTest

/// Issue 23 item 1: the SBOM names what the static link really pulled in, read from lld's own
/// trace (`--dependency-file`, `--why-extract`) and the builder's dpkg database.
final class SBOMLinkTraceTests: XCTestCase {
    let dependencyFile = """
        /b/x86_64-unknown-linux-gnu/release/App: \\
         /lib/x86_64-linux-gnu/crt1.o \\
         /opt/swift/usr/lib/swift_static/linux/x86_64/swiftrt.o \\
         /b/x86_64-unknown-linux-gnu/release/App.build/main.swift.o \\
         /b/x86_64-unknown-linux-gnu/release/NIOCore.build/Channel.swift.o \\
         /b/x86_64-unknown-linux-gnu/release/My\\ Module.build/a.swift.o \\
         /opt/swift/usr/lib/swift_static/linux/libswiftCore.a \\
         /opt/swift/usr/lib/swift_static/linux/libdispatch.a \\
         /lib/x86_64-linux-gnu/libc.a \\
         /usr/local/lib/libhand.a

        /lib/x86_64-linux-gnu/crt1.o:

        """
    let whyExtract = """
        reference\textracted\tsymbol
        /b/x86_64-unknown-linux-gnu/release/App.build/main.swift.o\t/opt/swift/usr/lib/swift_static/linux/libswiftCore.a(Swift.o)\t$ss5print
        /opt/swift/usr/lib/swift_static/linux/libswiftCore.a(Swift.o)\t/lib/x86_64-linux-gnu/libc.a(memcpy.o)\tmemcpy
        /opt/swift/usr/lib/swift_static/linux/libswiftCore.a(Swift.o)\t/lib/x86_64-linux-gnu/libc.a(malloc.o)\tmalloc
        /b/x86_64-unknown-linux-gnu/release/App.build/main.swift.o\t/usr/local/lib/libhand.a(hand.o)\thand

        """

    func testTheTraceKeepsInputsAndOnlyTheArchivesThatGaveAMember() {
        let trace = LinkTrace.parse(dependencyFile: dependencyFile, whyExtract: whyExtract)
        XCTAssertEqual(trace.inputs.count, 9, "every prerequisite of the first rule, the escaped space kept: \(trace.inputs)")
        XCTAssertTrue(trace.inputs.contains("/b/x86_64-unknown-linux-gnu/release/My Module.build/a.swift.o"))
        XCTAssertEqual(trace.archives, ["/opt/swift/usr/lib/swift_static/linux/libswiftCore.a": 1, "/lib/x86_64-linux-gnu/libc.a": 2,
                                        "/usr/local/lib/libhand.a": 1])
        XCTAssertFalse(trace.contributingPaths.contains { $0.hasSuffix("libdispatch.a") }, "opened, nothing extracted: not in the binary")
        let conservative = LinkTrace.parse(dependencyFile: dependencyFile, whyExtract: nil)
        XCTAssertTrue(conservative.contributingPaths.contains { $0.hasSuffix("libdispatch.a") }, "without why-extract every archive counts")
        XCTAssertEqual(LinkTrace.parse(dependencyFile: "", whyExtract: "garbage\nno tabs here\n\t\t\n").contributingPaths, [])
    }

    func testEachPathIsPlacedByWhereItLives() {
        let classifier = LinkInputClassifier(toolchainRoot: "/opt/swift", buildDirectory: "/b/")
        XCTAssertEqual(classifier.place(of: "/opt/swift/usr/lib/swift_static/linux/libswiftCore.a"), .toolchain(library: "swiftCore"))
        XCTAssertEqual(classifier.place(of: "/opt/swift/usr/lib/swift/linux/libFoundation.so"), .toolchain(library: "Foundation"))
        XCTAssertEqual(classifier.place(of: "/opt/swift/usr/lib/swift_static/linux/x86_64/swiftrt.o"), .toolchain(library: "swiftrt"))
        XCTAssertEqual(classifier.place(of: "/b/x86_64-unknown-linux-gnu/release/NIOCore.build/Channel.swift.o"), .module("NIOCore"))
        XCTAssertEqual(classifier.place(of: "/lib/x86_64-linux-gnu/libc.a"), .system)
        XCTAssertEqual(classifier.place(of: "/bx/NIOCore.build/a.o"), .system, "only under the build folder")
    }

    func testComponentsGroupByOwnerAndSwiftPMModulesMarkTheirPackage() throws {
        let trace = LinkTrace.parse(dependencyFile: dependencyFile, whyExtract: whyExtract)
        let libc = DebianOwner(package: "libc6-dev", version: "2.36-9+deb12u10", architecture: "amd64")
        let linked = LinkedComponents(
            trace: trace, classifier: LinkInputClassifier(toolchainRoot: "/opt/swift", buildDirectory: "/b"),
            moduleOwners: ["App": "app", "NIOCore": "swift-nio", "My Module": "app"], rootPackage: "app", toolchainVersion: "6.3.1",
            debianOwners: ["/lib/x86_64-linux-gnu/crt1.o": libc, "/lib/x86_64-linux-gnu/libc.a": libc], distro: "debian-12")
        XCTAssertEqual(linked.linkedPackages, ["swift-nio"], "the root's own modules are the product, not a component")
        XCTAssertEqual(linked.components.map(\.name), ["/usr/local/lib/libhand.a", "libc6-dev", "swiftCore", "swiftrt"])
        let glibc = try XCTUnwrap(linked.components.first { $0.name == "libc6-dev" })
        XCTAssertEqual(glibc.files, ["/lib/x86_64-linux-gnu/crt1.o", "/lib/x86_64-linux-gnu/libc.a"])
        XCTAssertEqual(glibc.purl, "pkg:deb/debian/libc6-dev@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12")
        XCTAssertEqual(linked.components.first { $0.name == "swiftCore" }?.purl, "pkg:generic/swiftlang/swiftCore@6.3.1")
        XCTAssertEqual(linked.components.first { $0.name == "/usr/local/lib/libhand.a" }?.origin, .unowned, "named by its path, never dropped")
    }

    /// A real static link with lld's trace, then `containertool sbom --link-trace`: glibc's package
    /// with dpkg's exact version, the Swift runtime, the image as root; valid for pyspdxtools and
    /// conformant for ntia-checker.
    func testARealStaticLinkGivesAnSBOMThatNamesGlibcAndTheRuntime() throws {
        for tool in ["swiftc", "dpkg-query", "pyspdxtools", "ntia-checker"] {
            try Prerequisite.require(Prerequisite.locate(tool) != nil, "\(tool) is not on PATH (.ci/run installs it: pip install spdx-tools ntia-conformance-checker)")
        }
        let directory = try TestSupport.makeTemporaryDirectory("sbom-link")
        defer { TestSupport.remove(directory) }
        try "@main struct Hello { static func main() { print(\"hello\") } }\n".write(toFile: directory + "/main.swift", atomically: true, encoding: .utf8)
        // As SwiftPM lays it out: the module's object in build/MODULE.build/, so it is the product's own code.
        try FileManager.default.createDirectory(atPath: directory + "/build/hello.build", withIntermediateDirectories: true)
        let compile = try TestSupport.run("/usr/bin/env", ["swiftc", "-O", "-parse-as-library", "-c", "main.swift", "-o", "build/hello.build/main.o"], in: directory)
        XCTAssertEqual(compile.status, 0, compile.stderr)
        let link = try TestSupport.run("/usr/bin/env", ["swiftc", "-static-executable", "-use-ld=lld", "build/hello.build/main.o", "-o", "build/hello",
                                                    "-Xlinker", "--dependency-file=\(directory)/trace.link-inputs",
                                                    "-Xlinker", "--why-extract=\(directory)/trace.why-extract"], in: directory)
        XCTAssertEqual(link.status, 0, link.stderr)
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let sbom = try TestSupport.containertool(["sbom", "--product", "hello", "--version", "1.0.0", "--output", "hello.spdx.json",
                                                  "--swift-version", "6.3.1", "--source", "https://github.com/example/hello.git",
                                                  "--image", "registry.example/hello:1.0.0@\(digest)",
                                                  "--link-trace", directory + "/trace", "--build-directory", directory + "/build"], in: directory)
        XCTAssertEqual(sbom.status, 0, sbom.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/hello.spdx.json"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let packages = try XCTUnwrap(json["packages"] as? [[String: Any]])
        let relationships = try XCTUnwrap(json["relationships"] as? [[String: String]])
        func package(_ name: String) -> [String: Any]? { packages.first { $0["name"] as? String == name } }
        let libcVersion = try TestSupport.run("/usr/bin/env", ["dpkg-query", "-W", "-f", "${Version}", "libc6-dev"]).stdout
        let libc = try XCTUnwrap(package("libc6-dev"), "glibc's static archive is in every static binary: \(packages.map { $0["name"] ?? "" })")
        XCTAssertEqual(libc["versionInfo"] as? String, libcVersion)
        XCTAssertEqual(package("swiftCore")?["versionInfo"] as? String, "6.3.1")
        XCTAssertNil(package("swiftDispatch") ?? package("dispatch"), "a print never links Dispatch")
        XCTAssertTrue(relationships.contains { $0["relationshipType"] == "STATIC_LINK" && $0["relatedSpdxElement"] == libc["SPDXID"] as? String })
        XCTAssertTrue(relationships.contains { $0["spdxElementId"] == "SPDXRef-Package-image" && $0["relationshipType"] == "CONTAINS" })
        XCTAssertEqual(json["documentDescribes"] as? [String], ["SPDXRef-Package-image"])

        let validated = try TestSupport.run("/usr/bin/env", ["pyspdxtools", "-i", directory + "/hello.spdx.json"])
        XCTAssertEqual(validated.status, 0, "pyspdxtools: \(validated.stdout)\(validated.stderr)")
        let ntia = try TestSupport.run("/usr/bin/env", ["ntia-checker", directory + "/hello.spdx.json"])
        XCTAssertTrue(ntia.stdout.contains("Conformant: True"), "ntia-checker: \(ntia.stdout)\(ntia.stderr)")
    }

    /// A trace exported from the rendered Dockerfile's `link-trace` stage names the builder's Debian
    /// packages and versions (recorded by its dpkg), not this machine's: a toolchain at `/usr`, the
    /// builder's paths with `..` and the merged-/usr names, and its os-release for the purl.
    func testATraceFromABuilderIsNamedByTheBuildersPackageDatabase() throws {
        let directory = try TestSupport.makeTemporaryDirectory("sbom-builder-trace")
        defer { TestSupport.remove(directory) }
        let prefix = directory + "/HelloWeb"
        try """
            /src/.build/x86_64-unknown-linux-gnu/release/HelloWeb: \\
             /usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/libc.a \\
             /lib/x86_64-linux-gnu/libdl.a \\
             /usr/lib/swift_static/linux/libswiftCore.a \\
             /src/.build/x86_64-unknown-linux-gnu/release/HelloWeb.build/main.swift.o \\
             /usr/lib/x86_64-linux-gnu/libz.a

            """.write(toFile: prefix + ".link-inputs", atomically: true, encoding: .utf8)
        try """
            libc6-dev:amd64: /usr/lib/x86_64-linux-gnu/libc.a
            libc6-dev:amd64: /usr/lib/x86_64-linux-gnu/libdl.a
            diversion by other from: /usr/lib/x86_64-linux-gnu/libz.a
            zlib1g-dev:amd64: /usr/lib/x86_64-linux-gnu/libz.a
            diversion by dash from: /bin/sh
            tzdata: /usr/share/zoneinfo

            """.write(toFile: prefix + ".dpkg-owners", atomically: true, encoding: .utf8)
        try "libc6-dev:amd64\t2.36-9+deb12u99\tamd64\nzlib1g-dev:amd64\t1:1.2.13.dfsg-1\tamd64\n"
            .write(toFile: prefix + ".dpkg-versions", atomically: true, encoding: .utf8)
        try "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n".write(toFile: prefix + ".os-release", atomically: true, encoding: .utf8)
        let arguments = ["sbom", "--product", "HelloWeb", "--output", "HelloWeb.spdx.json", "--swift-version", "6.3.1",
                         "--link-trace", prefix, "--build-directory", "/src/.build"]
        let sbom = try TestSupport.containertool(arguments, in: directory)
        XCTAssertEqual(sbom.status, 0, sbom.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/HelloWeb.spdx.json"))) as? [String: Any])
        let packages = try XCTUnwrap(json["packages"] as? [[String: Any]])
        func package(_ name: String) -> [String: Any]? { packages.first { $0["name"] as? String == name } }
        func purl(_ name: String) -> String? {
            ((package(name)?["externalRefs"] as? [[String: String]]) ?? []).first { $0["referenceType"] == "purl" }?["referenceLocator"]
        }
        let names = packages.compactMap { $0["name"] as? String }
        XCTAssertEqual(package("libc6-dev")?["versionInfo"] as? String, "2.36-9+deb12u99", "the builder's version, not this machine's: \(names)")
        XCTAssertEqual(purl("libc6-dev"), "pkg:deb/debian/libc6-dev@2.36-9%2Bdeb12u99?arch=amd64&distro=debian-12")
        XCTAssertEqual(package("zlib1g-dev")?["versionInfo"] as? String, "1:1.2.13.dfsg-1")
        XCTAssertEqual(package("swiftCore")?["versionInfo"] as? String, "6.3.1", "a toolchain at /usr is the toolchain: \(names)")
        XCTAssertFalse(names.contains { $0.hasPrefix("/") }, "every linked file has an owner: \(names)")
        XCTAssertFalse(names.contains("HelloWeb.build"), "the product's own objects are not a component")

        // Half a recorded database is an error that says what to do, and nothing is written.
        try FileManager.default.removeItem(atPath: prefix + ".dpkg-versions")
        try FileManager.default.removeItem(atPath: directory + "/HelloWeb.spdx.json")
        let half = try TestSupport.containertool(arguments, in: directory)
        XCTAssertEqual(half.status, 1)
        XCTAssertEqual(half.stderr.split(separator: "\n").count, 1, half.stderr)
        XCTAssertTrue(half.stderr.contains("HelloWeb.dpkg-versions is missing; export the whole link-trace stage again"), half.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/HelloWeb.spdx.json"))
    }

    /// `--link dynamic-libc`: the image carries the binary's shared-library closure, and the SBOM
    /// names each library's runtime package (zlib1g, not the zlib1g-dev whose `libz.so` link the
    /// linker opened) as DYNAMIC_LINK, with dpkg's version.
    func testBundledSharedLibrariesAreNamedByTheirRuntimePackages() throws {
        for tool in ["gcc", "dpkg-query"] {
            try Prerequisite.require(Prerequisite.locate(tool) != nil, "\(tool) is not on PATH (.ci/run installs gcc and zlib1g-dev)")
        }
        try Prerequisite.require(FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libz.so"), "no libz.so (.ci/run installs zlib1g-dev)")
        let directory = try TestSupport.makeTemporaryDirectory("sbom-bundled")
        defer { TestSupport.remove(directory) }
        try "#include <zlib.h>\n#include <stdio.h>\nint main(void) { puts(zlibVersion()); return 0; }\n"
            .write(toFile: directory + "/z.c", atomically: true, encoding: .utf8)
        let compile = try TestSupport.run("/usr/bin/env", ["gcc", "-o", "z", "z.c", "-lz"], in: directory)
        XCTAssertEqual(compile.status, 0, compile.stderr)
        try "z: \\\n /usr/lib/x86_64-linux-gnu/libz.so\n".write(toFile: directory + "/z.link-inputs", atomically: true, encoding: .utf8)
        let sbom = try TestSupport.containertool(["sbom", "--product", "z", "--output", "z.spdx.json", "--swift-version", "6.3.1",
                                                  "--link-trace", directory + "/z", "--build-directory", directory + "/build",
                                                  "--bundled-libraries-of", directory + "/z"], in: directory)
        XCTAssertEqual(sbom.status, 0, sbom.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/z.spdx.json"))) as? [String: Any])
        let packages = try XCTUnwrap(json["packages"] as? [[String: Any]])
        let relationships = try XCTUnwrap(json["relationships"] as? [[String: String]])
        func package(_ name: String) -> [String: Any]? { packages.first { $0["name"] as? String == name } }
        let names = packages.compactMap { $0["name"] as? String }
        for name in ["zlib1g", "libc6"] {
            let version = try TestSupport.run("/usr/bin/env", ["dpkg-query", "-W", "-f", "${Version}", name]).stdout
            let found = try XCTUnwrap(package(name), "\(name) is in the image: \(names)")
            XCTAssertEqual(found["versionInfo"] as? String, version, name)
            let kinds = relationships.filter { $0["relatedSpdxElement"] == found["SPDXID"] as? String }.compactMap { $0["relationshipType"] }
            XCTAssertEqual(kinds, ["DYNAMIC_LINK"], name)
        }
        XCTAssertNil(package("zlib1g-dev"), "the -dev package only holds the link the linker opened: \(names)")

        // A static executable bundles nothing: asking for its libraries is a mistake, said in one line.
        let link = try TestSupport.run("/usr/bin/env", ["gcc", "-static", "-o", "s", "z.c", "-lz"], in: directory)
        XCTAssertEqual(link.status, 0, link.stderr)
        let statically = try TestSupport.containertool(["sbom", "--product", "z", "--output", "s.spdx.json", "--swift-version", "6.3.1",
                                                        "--link-trace", directory + "/z", "--build-directory", directory + "/build",
                                                        "--bundled-libraries-of", directory + "/s"], in: directory)
        XCTAssertEqual(statically.status, 2, statically.stderr)
        XCTAssertTrue(statically.stderr.contains("a static executable bundles no shared library"), statically.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/s.spdx.json"))
    }

    func testAMissingTraceIsAOneLineErrorThatSaysHowToMakeIt() throws {
        let directory = try TestSupport.makeTemporaryDirectory("sbom-no-trace")
        defer { TestSupport.remove(directory) }
        let result = try TestSupport.containertool(["sbom", "--product", "p", "--output", "p.json", "--swift-version", "6.3.1",
                                                    "--link-trace", directory + "/none", "--build-directory", directory], in: directory)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("no link trace at \(directory)/none.link-inputs"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/p.json"), "nothing half-written")
        for garbage in [Data("no rule here".utf8), Data([0xFF, 0xFE, 0x00])] {
            try garbage.write(to: URL(fileURLWithPath: directory + "/bad.link-inputs"))
            let bad = try TestSupport.containertool(["sbom", "--product", "p", "--output", "p.json", "--swift-version", "6.3.1",
                                                     "--link-trace", directory + "/bad", "--build-directory", directory], in: directory)
            XCTAssertEqual(bad.status, 1)
            XCTAssertTrue(bad.stderr.contains("bad.link-inputs is not a linker dependency file"), bad.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/p.json"), "an SBOM that names nothing linked is not written")
        }
    }
}
