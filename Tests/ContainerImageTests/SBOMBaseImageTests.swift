@testable import ContainerImage
import Foundation
import TestSupport
import XCTest

/// `BaseImage.contents(ofFilesWhere:)` over real layers, and `containertool sbom --base`: a base
/// built here as an OCI layout, whose SBOM lists exactly the packages its merged tree has, under the
/// digest the base resolves to, and passes pyspdxtools and ntia-checker.
final class SBOMBaseImageTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try temporaryDirectory(self, "sbom-base") }

    let image = "registry.example.com/team/app:1.0.0@sha256:" + String(repeating: "b", count: 64)

    /// A Debian-like base in two layers. The lower has a dpkg status file (two installed packages and
    /// one removed), distroless-style status.d files (two stanzas and an md5sums), and os-release as
    /// Debian has it (/etc/os-release → ../usr/lib/os-release). The upper layer whites out one
    /// status.d stanza, as a `RUN rm` of it would.
    func debianLikeLayers() -> [[TarEntry]] {
        let status = BaseLayoutFixture.stanza("libc6", "2.36-9+deb12u10", source: "glibc", maintainer: "GNU Libc Maintainers <debian-glibc@lists.debian.org>")
            + "\n" + BaseLayoutFixture.stanza("old", "1.0", status: "deinstall ok config-files")
            + "\n" + BaseLayoutFixture.stanza("libstdc++6", "12.2.0-14", source: "gcc-12 (12.2.0-14+b1)")
        return [
            [.directory("etc"), TarEntry(path: "etc/os-release", kind: .symlink(target: "../usr/lib/os-release"), mode: 0o777),
             .directory("usr"), .directory("usr/lib"), .file("usr/lib/os-release", Array("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n".utf8)),
             .directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"), .file("var/lib/dpkg/status", Array(status.utf8)),
             .directory("var/lib/dpkg/status.d"),
             .file("var/lib/dpkg/status.d/tzdata", Array(BaseLayoutFixture.stanza("tzdata", "2024a-0+deb12u1", architecture: "all", status: nil).utf8)),
             .file("var/lib/dpkg/status.d/tzdata.md5sums", Array("0123 usr/share/zoneinfo/UTC\n".utf8)),
             .file("var/lib/dpkg/status.d/netbase", Array(BaseLayoutFixture.stanza("netbase", "6.4", architecture: "all", status: nil).utf8))],
            [.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"), .directory("var/lib/dpkg/status.d"),
             .file("var/lib/dpkg/status.d/.wh.netbase", []), .file("etc/hostname", Array("base\n".utf8))],
        ]
    }

    /// The merged tree's wanted files only: the whited-out stanza is gone, the link is kept as a link
    /// (and every other link with `keepingSymlinks`), a file over the limit is `.tooLarge`, and more
    /// than the total limit refuses the base in one line.
    func testContentsFollowTheMergedTree() throws {
        let layout = work.appendingPathComponent("layout").path
        try BaseLayoutFixture.write(debianLikeLayers() + [[.file("big", Array(repeating: 7, count: 5000)), TarEntry(path: "lib", kind: .symlink(target: "usr/lib"), mode: 0o777)]],
                                    to: layout)
        let base = try BaseLayoutFixture.load(layout, cache: work.appendingPathComponent("cache").path)
        let wanted = try base.contents(ofFilesWhere: { $0.hasPrefix("var/lib/dpkg/status.d/") || $0 == "etc/os-release" })
        XCTAssertEqual(Set(wanted.keys), ["var/lib/dpkg/status.d/tzdata", "var/lib/dpkg/status.d/tzdata.md5sums", "etc/os-release"])
        XCTAssertEqual(wanted["etc/os-release"], .symlink(target: "../usr/lib/os-release"))
        let withLinks = try base.contents(ofFilesWhere: { $0 == "big" }, keepingSymlinks: true, limits: .init(maximumFileSize: 4096))
        XCTAssertEqual(withLinks, ["big": .tooLarge(size: 5000), "etc/os-release": .symlink(target: "../usr/lib/os-release"), "lib": .symlink(target: "usr/lib")])
        XCTAssertThrowsError(try base.contents(ofFilesWhere: { _ in true }, limits: .init(maximumTotalSize: 4096))) {
            XCTAssertTrue("\($0)".hasPrefix("cannot use the base image oci-layout:") && "\($0)".contains("the files read for the SBOM") && "\($0)".contains("hold more than 4096 bytes"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    /// The whole path: `containertool sbom --base oci-layout:DIR` lists exactly the merged tree's
    /// packages (status + status.d, minus the whited-out one, minus the removed one) under the
    /// layout's manifest digest, with Debian purls carrying `distro=debian-12`; the image CONTAINS the
    /// base, the base CONTAINS each package; the same input gives the same bytes; pyspdxtools and
    /// ntia-checker accept it.
    func testTheSBOMListsWhatTheMergedTreeHasUnderTheBasesDigest() throws {
        let layout = work.appendingPathComponent("debian-like").path
        let digest = try BaseLayoutFixture.write(debianLikeLayers(), to: layout)
        let output = work.appendingPathComponent("app.spdx.json").path
        let arguments = ["sbom", "--product", "app", "--version", "1.0.0", "--swift-version", "6.3.1", "--output", output,
                         "--package-path", work.path, "--image", image, "--supplier", "Example Team", "--base", "oci-layout:" + layout, "--platform", "linux/amd64"]
        let environment = ["SOURCE_DATE_EPOCH": "1700000000", "CONTAINERIZE_CACHE_DIR": work.appendingPathComponent("cache").path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let started = Date()
        let result = try TestSupport.containertool(arguments, environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("base oci-layout:debian-like with 3 packages"), result.stdout)
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        print("SBOM of a 3-package base: \(data.count) bytes in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let packages = try XCTUnwrap(json["packages"] as? [[String: Any]])
        let base = try XCTUnwrap(packages.first { $0["SPDXID"] as? String == "SPDXRef-Package-base-image" })
        XCTAssertEqual(base["name"] as? String, "oci-layout:debian-like", "the layout's folder name, not the builder's path")
        XCTAssertEqual(base["versionInfo"] as? String, digest)
        XCTAssertEqual(((base["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"]) as? String,
                       "pkg:oci/debian-like@\(digest.replacingOccurrences(of: ":", with: "%3A"))?arch=amd64")
        let basePackages = packages.filter { ($0["SPDXID"] as? String)?.hasPrefix("SPDXRef-Package-base-deb-") == true }
        XCTAssertEqual(basePackages.map { "\($0["name"]!)=\($0["versionInfo"]!)" }, ["libc6=2.36-9+deb12u10", "libstdc++6=12.2.0-14", "tzdata=2024a-0+deb12u1"])
        let purls = basePackages.compactMap { (($0["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"]) as? String }
        XCTAssertEqual(purls, ["pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12&upstream=glibc",
                               "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12%4012.2.0-14%2Bb1",
                               "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12"])
        XCTAssertEqual(basePackages[0]["supplier"] as? String, "Organization: GNU Libc Maintainers (debian-glibc@lists.debian.org)")
        let relationships = try XCTUnwrap(json["relationships"] as? [[String: String]])
        XCTAssertTrue(relationships.contains(["spdxElementId": "SPDXRef-Package-image", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-Package-base-image"]))
        XCTAssertEqual(relationships.filter { $0["spdxElementId"] == "SPDXRef-Package-base-image" }.map { $0["relatedSpdxElement"]! },
                       basePackages.map { $0["SPDXID"] as! String })
        // Deterministic: the same base gives the same bytes.
        XCTAssertEqual(try TestSupport.containertool(arguments, environment: environment).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: output)), data)
        try Self.validate(output)
    }

    /// pyspdxtools (SPDX 2.3 validity) and ntia-checker (NTIA minimum elements) accept the file.
    static func validate(_ path: String) throws {
        try Prerequisite.requireTool("pyspdxtools", install: "python3 -m pip install spdx-tools")
        try Prerequisite.requireTool("ntia-checker", install: "python3 -m pip install ntia-conformance-checker")
        let spdx = try runTool("pyspdxtools", ["-i", path])
        XCTAssertEqual(spdx.status, 0, "pyspdxtools: \(spdx.stdout)\(spdx.stderr)")
        let ntia = try runTool("ntia-checker", [path])
        XCTAssertTrue(ntia.stdout.contains("Conformant: True"), "ntia-checker: \(ntia.stdout.split(separator: "\n").filter { $0.contains("False") }.joined(separator: "; "))")
    }

    /// What an adversary puts in a base: no dpkg at all (no base packages, no error); a status file
    /// whose stanza is whited out with its whole folder; a status file that links out of the root (it
    /// is read inside the image, where the link really leads); a hard-linked status file; an opaque
    /// whiteout over status.d; a linked status.d; 10 000 stanza files; binary garbage and a status file over 64 MiB (each
    /// refused in one line naming the file, exit 1).
    func testHostileBases() throws {
        let environment = ["CONTAINERIZE_CACHE_DIR": work.appendingPathComponent("cache").path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        func sbom(_ layers: [[TarEntry]], _ name: String) throws -> (ProcessResult, [[String: Any]]) {
            try sbom(tars: layers.map { entries in
                var tar: [UInt8] = []
                try TarWriter { tar.append(contentsOf: $0) }.writeArchive(entries)
                return tar
            }, name)
        }
        func sbom(tars: [[UInt8]], _ name: String) throws -> (ProcessResult, [[String: Any]]) {
            let layout = work.appendingPathComponent(name).path
            try BaseLayoutFixture.write(tars: tars, to: layout)
            let output = work.appendingPathComponent(name + ".spdx.json").path
            let result = try TestSupport.containertool(["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", output, "--package-path", work.path,
                                                        "--image", image, "--supplier", "Example Team", "--base", "oci-layout:" + layout], environment: environment)
            let json = (try? Data(contentsOf: URL(fileURLWithPath: output))).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            return (result, (json?["packages"] as? [[String: Any]]) ?? [])
        }
        func basePackages(_ packages: [[String: Any]]) -> [String] {
            packages.filter { ($0["SPDXID"] as? String)?.hasPrefix("SPDXRef-Package-base-deb-") == true }.map { $0["name"] as! String }
        }
        let stanza = Array(BaseLayoutFixture.stanza("libc6", "2.36-9").utf8)

        let (none, nonePackages) = try sbom([[.directory("etc"), .file("etc/hostname", [1])]], "no-dpkg")
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertEqual(basePackages(nonePackages), [])
        XCTAssertNotNil(nonePackages.first { $0["SPDXID"] as? String == "SPDXRef-Package-base-image" })
        try Self.validate(work.appendingPathComponent("no-dpkg.spdx.json").path)

        let (gone, gonePackages) = try sbom([[.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"), .file("var/lib/dpkg/status", stanza)],
                                             [.directory("var"), .directory("var/lib"), .file("var/lib/.wh.dpkg", [])]], "whited-out")
        XCTAssertEqual(gone.status, 0, gone.stderr)
        XCTAssertEqual(basePackages(gonePackages), [], "the whited-out database lists nothing")

        let (linked, linkedPackages) = try sbom([[.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"),
                                                  TarEntry(path: "var/lib/dpkg/status", kind: .symlink(target: "../../../../../../../srv/real-status"), mode: 0o777),
                                                  .directory("srv"), .file("srv/real-status", stanza)]], "linked-out")
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertEqual(basePackages(linkedPackages), ["libc6"], "the link leads to /srv/real-status inside the image, never the host's file")

        // dpkg keeps status-old as a hard link; a layer can store status as the link and status-old as the file.
        let hardLinkLayer = ForeignBytes.header("var/", type: "5") + ForeignBytes.header("var/lib/", type: "5") + ForeignBytes.header("var/lib/dpkg/", type: "5")
            + ForeignBytes.file("var/lib/dpkg/status-old", stanza) + ForeignBytes.header("var/lib/dpkg/status", type: "1", link: "var/lib/dpkg/status-old")
            + [UInt8](repeating: 0, count: 1024)
        let (hardLinked, hardLinkedPackages) = try sbom(tars: [hardLinkLayer], "hard-linked")
        XCTAssertEqual(hardLinked.status, 0, hardLinked.stderr)
        XCTAssertEqual(basePackages(hardLinkedPackages), ["libc6"], "a hard-linked status file is read through its link")

        // An opaque whiteout empties status.d of the lower layers' stanzas and keeps the upper's.
        let statusD = [TarEntry.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"), .directory("var/lib/dpkg/status.d")]
        let (opaque, opaquePackages) = try sbom([statusD + [.file("var/lib/dpkg/status.d/libc6", Array(BaseLayoutFixture.stanza("libc6", "2.36-9", status: nil).utf8)),
                                                            .file("var/lib/dpkg/status.d/tzdata", Array(BaseLayoutFixture.stanza("tzdata", "2024a", architecture: "all", status: nil).utf8))],
                                                 statusD + [.file("var/lib/dpkg/status.d/.wh..wh..opq", []),
                                                            .file("var/lib/dpkg/status.d/netbase", Array(BaseLayoutFixture.stanza("netbase", "6.4", architecture: "all", status: nil).utf8))]],
                                                "opaque")
        XCTAssertEqual(opaque.status, 0, opaque.stderr)
        XCTAssertEqual(basePackages(opaquePackages), ["netbase"])

        // status.d itself a link to another folder: its stanzas are read there (a second read of the layers).
        let (linkedFolder, linkedFolderPackages) = try sbom([[.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"),
                                                              TarEntry(path: "var/lib/dpkg/status.d", kind: .symlink(target: "/opt/pkgdb"), mode: 0o777),
                                                              .directory("opt"), .directory("opt/pkgdb"),
                                                              .file("opt/pkgdb/tzdata", Array(BaseLayoutFixture.stanza("tzdata", "2024a", architecture: "all", status: nil).utf8)),
                                                              .file("opt/pkgdb/tzdata.md5sums", [0xFF])]], "linked-folder")
        XCTAssertEqual(linkedFolder.status, 0, linkedFolder.stderr)
        XCTAssertEqual(basePackages(linkedFolderPackages), ["tzdata"])

        // 10 000 stanza files (distroless writes one per package): all listed, in order, in one read.
        var many = statusD
        for index in 0..<10_000 {
            many.append(.file("var/lib/dpkg/status.d/p\(index)", Array(BaseLayoutFixture.stanza("p\(index)", "1.\(index)", architecture: "all", status: nil).utf8)))
            many.append(.file("var/lib/dpkg/status.d/p\(index).md5sums", Array("0 x\n".utf8)))
        }
        let manyStarted = Date()
        let (manyResult, manyPackages) = try sbom([many], "many")
        XCTAssertEqual(manyResult.status, 0, manyResult.stderr)
        XCTAssertEqual(basePackages(manyPackages).count, 10_000)
        XCTAssertEqual(basePackages(manyPackages).prefix(3), ["p0", "p1", "p10"])
        print("SBOM of a base with 10000 status.d stanzas: \(String(format: "%.2f", Date().timeIntervalSince(manyStarted))) s (layout written and read)")

        let (garbage, _) = try sbom([[.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"), .file("var/lib/dpkg/status", [0x7F, 0x45, 0x4C, 0x46, 0, 1, 2, 0x0A, 0xFF])]], "garbage")
        XCTAssertEqual(garbage.status, 1)
        XCTAssertEqual(garbage.stderr.split(separator: "\n").count, 1, garbage.stderr)
        XCTAssertTrue(garbage.stderr.contains("/var/lib/dpkg/status is not a dpkg status file (line 1"), garbage.stderr)

        var huge = [UInt8](repeating: UInt8(ascii: "\n"), count: (64 << 20) + 1)
        huge.replaceSubrange(0..<stanza.count, with: stanza)
        let (large, _) = try sbom([[.directory("tmp")], [.directory("var"), .directory("var/lib"), .directory("var/lib/dpkg"), .file("var/lib/dpkg/status", huge)]], "huge")
        XCTAssertEqual(large.status, 1)
        XCTAssertTrue(large.stderr.contains("/var/lib/dpkg/status is 67108865 bytes, more than the 64 MiB"), large.stderr)
        XCTAssertEqual(large.stderr.split(separator: "\n").count, 1, large.stderr)
    }

    /// `--base` without `--image` and `--platform` without `--base` are usage errors (exit 2);
    /// `--base scratch` adds nothing; sbom's option table lists the registry options for the plugin.
    func testBaseOptionMistakes() throws {
        let common = ["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", work.appendingPathComponent("x.json").path, "--package-path", work.path]
        let noImage = try TestSupport.containertool(common + ["--base", "oci-layout:" + work.path])
        XCTAssertEqual(noImage.status, 2)
        XCTAssertTrue(noImage.stderr.contains("--base names what the image is built on; give the image too"), noImage.stderr)
        let platformAlone = try TestSupport.containertool(common + ["--platform", "linux/amd64"])
        XCTAssertEqual(platformAlone.status, 2)
        XCTAssertTrue(platformAlone.stderr.contains("--platform chooses the base's image; it belongs to --base"), platformAlone.stderr)
        let scratch = try TestSupport.containertool(common + ["--image", image, "--base", "scratch"])
        XCTAssertEqual(scratch.status, 0, scratch.stderr)
        XCTAssertFalse(try String(contentsOf: work.appendingPathComponent("x.json"), encoding: .utf8).contains("base-image"))
        let table = try TestSupport.containertool(["sbom", "--describe-options"])
        XCTAssertTrue(table.stdout.contains("\"--plain-http\"") && table.stdout.contains("\"--registry-ca\"") && table.stdout.contains("\"--base\""), table.stdout)
    }
}
