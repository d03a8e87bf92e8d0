import Foundation
@testable import SBOM
import TestSupport
import XCTest

/// The dpkg database parser (`DebianStatus`), `os-release` (`OSRelease`), the link-following lookup
/// of both in a base's files (`BasePackageDatabase`), and the purls and SPDX ids of base packages.
final class DebianStatusTests: XCTestCase {
    func parse(_ text: String, requiresStatus: Bool = true) throws -> [DebianPackage] {
        try DebianStatus.packages(in: Array(text.utf8), path: "var/lib/dpkg/status", requiresStatus: requiresStatus)
    }

    func message(_ text: String) -> String {
        do { _ = try parse(text); return "" } catch { return "\(error)" }
    }

    /// Only installed packages count; continuation lines and unknown fields are skipped; Source in
    /// both forms; two architectures of one Multi-Arch package are two packages; sorted.
    func testInstalledPackagesWithSourceAndMultiArch() throws {
        let text = [
            BaseLayoutFixture.stanza("zlib1g", "1:1.2.13.dfsg-1", source: "zlib"),
            BaseLayoutFixture.stanza("libc6", "2.36-9+deb12u10", source: "glibc"),
            BaseLayoutFixture.stanza("libc6", "2.36-9+deb12u10", architecture: "i386", source: "glibc"),
            BaseLayoutFixture.stanza("removed", "1.0", status: "deinstall ok config-files"),
            BaseLayoutFixture.stanza("broken", "1.0", status: "install reinstreq half-installed"),
            BaseLayoutFixture.stanza("held", "2.0", status: "hold ok installed"),
            BaseLayoutFixture.stanza("libgcc-s1", "12.2.0-14", source: "gcc-12 (12.2.0-14+b1)"),
            BaseLayoutFixture.stanza("base-files", "12.4+deb12u10", architecture: "all"),
            BaseLayoutFixture.stanza("nostatus", "1.0", status: nil),
        ].joined(separator: "\n")
        let packages = try parse(text)
        XCTAssertEqual(packages.map { "\($0.name):\($0.architecture)" }, ["base-files:all", "held:amd64", "libc6:amd64", "libc6:i386", "libgcc-s1:amd64", "zlib1g:amd64"])
        XCTAssertEqual(packages[2], DebianPackage(name: "libc6", version: "2.36-9+deb12u10", architecture: "amd64", source: "glibc",
                                                  maintainer: "Debian Maintainers <debian@example.org>"))
        XCTAssertEqual(packages[4].source, "gcc-12")
        XCTAssertEqual(packages[4].sourceVersion, "12.2.0-14+b1")
        XCTAssertNil(packages[0].source, "Source absent: the package is its own source")
        // A stanza without Status counts where the format writes none (distroless's status.d).
        XCTAssertEqual(try parse(BaseLayoutFixture.stanza("nostatus", "1.0", status: nil), requiresStatus: false).map(\.name), ["nostatus"])
        // CRLF line ends, lower-case field names, no final newline, several blank lines, comments.
        XCTAssertEqual(try parse("# hand-made\r\npackage: a\r\nstatus: install ok installed\r\nversion: 1\r\narchitecture: all\r\n\r\n\n\nPackage: b\nStatus: install ok installed\nVersion: 2\nArchitecture: all").map(\.name), ["a", "b"])
        // Policy wants a digit first in a version; dpkg only warns, and third-party packages do it.
        XCTAssertEqual(try parse("Package: tool\nStatus: install ok installed\nVersion: v1.2\nArchitecture: amd64\n").map(\.version), ["v1.2"])
        XCTAssertEqual(try parse(""), [])
        XCTAssertEqual(try parse("\n\n  \n"), [])
    }

    /// What is not a status file is refused with one line that names the file and the line.
    func testMalformedInputIsOneLineNamingTheLine() {
        let cases: [(String, String)] = [
            (" continuation first\n", "line 1: a continuation line"),
            ("Package: a\nno colon here\n", "line 2: not a `Field: value` line"),
            (": value\n", "line 1: not a `Field: value` line"),
            ("Pack age: a\n", "the field name has a space"),
            ("Package: a\nPackage: b\n", "Package is given twice"),
            ("Status: install ok installed\nVersion: 1\nArchitecture: all\n", "no Package field"),
            ("Package: A_B\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n", "not a Debian package name"),
            ("Package: a\nStatus: install ok installed\nArchitecture: all\n", "package a has no Version field"),
            ("Package: a\nStatus: install ok installed\nVersion: 1 2\nArchitecture: all\n", "which is not a Debian version"),
            ("Package: a\nStatus: install ok installed\nVersion: 1\n", "no Architecture field"),
            ("Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: AMD64\n", "not a Debian architecture"),
            ("Package: a\nStatus: installed\nVersion: 1\nArchitecture: all\n", "is not three words"),
            ("Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nSource: b (1\n", "not `NAME` or `NAME (VERSION)`"),
            ("Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\nSource: b (x y)\n", "not `NAME` or `NAME (VERSION)`"),
        ]
        for (text, expected) in cases {
            let error = message(text)
            XCTAssertTrue(error.contains(expected) && error.contains("/var/lib/dpkg/status"), "\(text.debugDescription): \(error)")
            XCTAssertFalse(error.contains("\n"), error)
        }
    }

    /// Binary garbage (random bytes, NULs, a gzip header, invalid UTF-8) never crashes: it is refused
    /// with one line, or, when it happens to hold no stanza that claims to be installed, gives nothing.
    func testBinaryGarbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let count = Int.random(in: 0..<4096, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 3 == 0 { bytes = Array("Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n".utf8) + bytes }
            do {
                _ = try DebianStatus.packages(in: bytes, path: "var/lib/dpkg/status")
            } catch {
                XCTAssertFalse(error.description.contains("\n"), error.description)
            }
        }
        for garbage: [UInt8] in [[0x1F, 0x8B, 8, 0, 0, 0], [0, 0, 0, 0], Array("Package: \u{0}a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n".utf8),
                                 [0x50, 0x61, 0x63, 0x6B, 0x61, 0x67, 0x65, 0x3A, 0x20, 0xFF, 0xFE, 0x0A, 0x53, 0x74, 0x61, 0x74, 0x75, 0x73, 0x3A, 0x20, 0x69, 0x20, 0x6F, 0x20, 0x69, 0x6E, 0x73, 0x74, 0x61, 0x6C, 0x6C, 0x65, 0x64]] {
            XCTAssertThrowsError(try DebianStatus.packages(in: garbage, path: "var/lib/dpkg/status"), "\(garbage)")
        }
    }

    /// A file over 64 MiB is refused before it is parsed; more than 50 000 installed packages (a
    /// million-package file under the size limit) is refused when the limit is passed, in one line.
    func testHugeInputIsBounded() throws {
        let tooLarge = [UInt8](repeating: UInt8(ascii: "\n"), count: DebianStatus.maximumSize + 1)
        XCTAssertThrowsError(try DebianStatus.packages(in: tooLarge, path: "var/lib/dpkg/status")) {
            XCTAssertEqual("\($0)", "the base's /var/lib/dpkg/status is 67108865 bytes, more than the 64 MiB a dpkg database has; build the SBOM on a base whose package database dpkg can use")
        }
        // A million minimal stanzas, about 60 bytes each: under the size limit, over the package limit.
        var million = [UInt8]()
        million.reserveCapacity(67_000_000)
        var firstFiftyThousand = 0
        for index in 0..<1_000_000 {
            million += Array("Package: \(String(index, radix: 36))\nStatus: i o installed\nVersion: 1\nArchitecture: all\n\n".utf8)
            if index == 49_999 { firstFiftyThousand = million.count }
        }
        XCTAssertLessThan(million.count, DebianStatus.maximumSize)
        let started = Date()
        XCTAssertThrowsError(try DebianStatus.packages(in: million, path: "var/lib/dpkg/status")) {
            XCTAssertEqual("\($0)", "the base's /var/lib/dpkg/status lists more than 50000 installed packages, more than any real system has; build the SBOM on a base whose package database dpkg can use")
        }
        print("refused a million-package status file (\(million.count) bytes) after \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        // 50 000 packages (the limit) parse.
        let fiftyThousand = Array(million.prefix(firstFiftyThousand))
        let parseStarted = Date()
        XCTAssertEqual(try DebianStatus.packages(in: fiftyThousand, path: "var/lib/dpkg/status").count, 50_000)
        print("parsed 50000 packages (\(fiftyThousand.count) bytes) in \(String(format: "%.2f", Date().timeIntervalSince(parseStarted))) s")
    }

    /// This machine's own dpkg database (a real Debian with hundreds of packages) parses to exactly
    /// what dpkg-query says is installed.
    func testTheHostsRealDatabaseMatchesDpkgQuery() throws {
        guard let data = FileManager.default.contents(atPath: "/var/lib/dpkg/status") else { throw XCTSkip("no /var/lib/dpkg/status here (not a Debian system)") }
        try Prerequisite.requireTool("dpkg-query")
        let listed = try runChecked("dpkg-query", ["-W", "-f", "${db:Status-Status} ${Package}:${Architecture}=${Version}\n"])
            .split(separator: "\n").filter { $0.hasPrefix("installed ") }.map { String($0.dropFirst("installed ".count)) }.sorted()
        let packages = try DebianStatus.packages(in: [UInt8](data), path: "var/lib/dpkg/status")
        XCTAssertEqual(packages.map { "\($0.name):\($0.architecture)=\($0.version)" }.sorted(), listed)
        XCTAssertGreaterThan(packages.count, 50)
    }

    /// os-release: quoted and bare values, escapes, the distro qualifier only with a version; values
    /// that could break a purl are dropped.
    func testOSRelease() {
        let debian = OSRelease(parsing: Array("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n".utf8))
        XCTAssertEqual(debian, OSRelease(id: "debian", versionID: "12"))
        XCTAssertEqual(debian?.distro, "debian-12")
        XCTAssertEqual(OSRelease(parsing: Array("ID='ubuntu'\nVERSION_ID=\"22.04\"\n".utf8))?.distro, "ubuntu-22.04")
        XCTAssertNil(OSRelease(parsing: Array("ID=debian\nVERSION_CODENAME=trixie\n".utf8))?.distro, "testing has no VERSION_ID: no distro")
        XCTAssertEqual(OSRelease(parsing: Array("ID=debian\nVERSION_ID=\"12&x=1\"\n".utf8)), OSRelease(id: "debian", versionID: nil))
        XCTAssertNil(OSRelease(parsing: Array("ID=\"De bian\"\n".utf8)))
        XCTAssertNil(OSRelease(parsing: Array("NAME=x\n".utf8)))
        XCTAssertNil(OSRelease(parsing: [0xFF, 0x00, 0x3D]))
    }

    /// Links are followed inside the image's root, every component: an absolute target starts at the
    /// root, `..` stops there, a loop ends; a status file that links out of the database is read
    /// where it leads (asked for in a second read), never on the host.
    func testLinksResolveInsideTheImage() throws {
        let files: [String: BasePackageDatabase.File] = [
            "etc/os-release": .symlink(target: "../usr/lib/os-release"), "usr/lib/os-release": .file(Array("ID=debian\nVERSION_ID=12\n".utf8)),
            "var/lib/dpkg": .symlink(target: "/../../../../srv/dpkg"), "loop": .symlink(target: "loop2"), "loop2": .symlink(target: "/loop"),
        ]
        XCTAssertEqual(BasePackageDatabase.resolve("etc/os-release", in: files), "usr/lib/os-release")
        XCTAssertEqual(BasePackageDatabase.resolve("var/lib/dpkg/status", in: files), "srv/dpkg/status")
        XCTAssertEqual(BasePackageDatabase.resolve("a/../../../b/./c", in: files), "b/c")
        XCTAssertNil(BasePackageDatabase.resolve("loop/x", in: files))
        // A hostile base's links cost little: a target past PATH_MAX, or a chain of 41, resolves to nothing at once.
        let started = Date()
        XCTAssertNil(BasePackageDatabase.resolve("var/lib/dpkg/status", in: ["var": .symlink(target: String(repeating: "a/", count: 500_000))]))
        var chain: [String: BasePackageDatabase.File] = [:]
        for index in 0..<41 { chain["l\(index)"] = .symlink(target: String(repeating: "x/../", count: 800) + "l\(index + 1)") }
        XCTAssertNil(BasePackageDatabase.resolve("l0", in: chain), "41 links: past the limit")
        chain["l39"] = .symlink(target: "/end")
        XCTAssertEqual(BasePackageDatabase.resolve("l0", in: chain), "end", "40 links resolve")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertEqual(BasePackageDatabase.unreadTargets(in: files), ["srv/dpkg/status", "srv/dpkg/status.d/"])
        XCTAssertTrue(BasePackageDatabase.isTarget("srv/dpkg/status.d/libc6", of: ["srv/dpkg/status.d/"]))
        XCTAssertFalse(BasePackageDatabase.isTarget("srv/dpkg/status.d/x/y", of: ["srv/dpkg/status.d/"]))
        var read = files
        read["srv/dpkg/status"] = .file(Array(BaseLayoutFixture.stanza("libc6", "2.36-9").utf8))
        let contents = try BasePackageDatabase.read(read)
        XCTAssertEqual(contents.packages.map(\.name), ["libc6"])
        XCTAssertEqual(contents.osRelease?.distro, "debian-12")
        XCTAssertEqual(contents.database, "var/lib/dpkg/status")
        // A database that is a loop of links is an error that says so; a base with nothing is no error.
        XCTAssertThrowsError(try BasePackageDatabase.read(["var/lib/dpkg/status": .symlink(target: "status")])) {
            XCTAssertTrue("\($0)".contains("/var/lib/dpkg/status is a loop of symbolic links"), "\($0)")
        }
        XCTAssertEqual(try BasePackageDatabase.read([:]), BasePackageDatabase.Contents(packages: [], osRelease: nil, database: nil))
        XCTAssertThrowsError(try BasePackageDatabase.read(["var/lib/dpkg/status": .tooLarge(size: 1 << 30)])) {
            XCTAssertTrue("\($0)".contains("is 1073741824 bytes, more than the 64 MiB"), "\($0)")
        }
    }

    /// distroless's status.d: one stanza per file (no Status), `.md5sums` files ignored.
    func testStatusDirectoryFiles() throws {
        XCTAssertTrue(BasePackageDatabase.isWanted("var/lib/dpkg/status.d/libc6"))
        XCTAssertFalse(BasePackageDatabase.isWanted("var/lib/dpkg/status.d/libc6.md5sums"))
        XCTAssertFalse(BasePackageDatabase.isWanted("var/lib/dpkg/status.d/sub/libc6"))
        XCTAssertFalse(BasePackageDatabase.isWanted("var/lib/dpkg/status-old"))
        let files: [String: BasePackageDatabase.File] = [
            "var/lib/dpkg/status.d/libc6": .file(Array(BaseLayoutFixture.stanza("libc6", "2.36-9", status: nil, source: "glibc").utf8)),
            "var/lib/dpkg/status.d/tzdata": .file(Array(BaseLayoutFixture.stanza("tzdata", "2024a-0+deb12u1", architecture: "all", status: nil).utf8)),
            "var/lib/dpkg/status.d/libc6.md5sums": .file([0xFF, 0x00]),
        ]
        let contents = try BasePackageDatabase.read(files)
        XCTAssertEqual(contents.packages.map(\.name), ["libc6", "tzdata"])
        XCTAssertEqual(contents.database, "var/lib/dpkg/status.d")
        XCTAssertThrowsError(try BasePackageDatabase.read(["var/lib/dpkg/status.d/bad": .file(Array("garbage\n".utf8))])) {
            XCTAssertTrue("\($0)".contains("/var/lib/dpkg/status.d/bad is not a dpkg status file (line 1"), "\($0)")
        }
    }

    /// purls as scanners match them, and SPDX ids that differ for every name and architecture.
    func testPurlsAndIDs() {
        let base = BaseImageComponent(name: "127.0.0.1:5000/library/debian:12", digest: "sha256:" + String(repeating: "a", count: 64), platform: "linux/amd64",
                                      repositoryURL: "127.0.0.1:5000/library/debian", osRelease: OSRelease(id: "debian", versionID: "12"))
        let libc = DebianPackage(name: "libc6", version: "2.36-9+deb12u10", architecture: "amd64", source: "glibc")
        XCTAssertEqual(base.purl(of: libc), "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12&upstream=glibc")
        let binNMU = DebianPackage(name: "libstdc++6", version: "12.2.0-14", architecture: "amd64", source: "gcc-12", sourceVersion: "12.2.0-14+b1")
        XCTAssertEqual(base.purl(of: binNMU), "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12%4012.2.0-14%2Bb1")
        var unknown = base
        unknown.osRelease = nil
        XCTAssertEqual(unknown.purl(of: DebianPackage(name: "tzdata", version: "2024a", architecture: "all")), "pkg:deb/debian/tzdata@2024a?arch=all")
        XCTAssertEqual(base.purl, "pkg:oci/debian@sha256%3A\(String(repeating: "a", count: 64))?arch=amd64&repository_url=127.0.0.1%3A5000/library/debian")
        let names = ["g++", "g--", "g.-", "g-.", "a", "a.2b", "libc6"]
        let ids = names.flatMap { name in ["amd64", "i386", "all"].map { BaseImageComponent.spdxID(of: DebianPackage(name: name, version: "1", architecture: $0)) } }
        XCTAssertEqual(Set(ids).count, ids.count, "\(ids)")
        XCTAssertTrue(ids.allSatisfy { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") } }, "\(ids)")
        XCTAssertEqual(BaseImageComponent.spdxID(of: binNMU), "SPDXRef-Package-base-deb-amd64.libstdc.2B.2B6")
    }
}
