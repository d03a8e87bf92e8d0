import Foundation
import OCIModel
import TestSupport
import XCTest

/// `containertool sbom --base REF` against a real docker-registry: the base is resolved exactly as
/// `build --from REF` resolves it, so the SBOM names the digest the image records as
/// `org.opencontainers.image.base.digest` (the index's, for a two-platform base), the platform's own
/// manifest, and the packages of that platform's dpkg database.
final class SBOMBaseRegistryTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        try Prerequisite.require(containertoolPath != nil, "containertool is not built next to the tests (swift build --product containertool)")
        try Prerequisite.requireTool("aarch64-linux-gnu-gcc", install: "apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross")
        work = try temporaryDirectory(self, "sbom-base-registry")
    }

    func program(_ name: String, compiler: String = "gcc") throws -> String { try staticProgram(name, compiler: compiler, in: work) }

    func containertool(_ arguments: [String]) throws -> ToolResult {
        try isolatedContainertool(arguments, work: work, environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
    }

    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func testTheSBOMNamesTheDigestTheBuildRecordedAndThePlatformsPackages() throws {
        let registry = try LocalRegistry(testCase: self)
        let status = work.appendingPathComponent("status")
        try Data("""
            Package: libc6
            Status: install ok installed
            Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
            Architecture: arm64
            Source: glibc
            Version: 2.36-9+deb12u10
            Description: GNU C Library: Shared libraries
             Contains the standard libraries that are used by nearly all programs on
             the system.

            Package: base-files
            Status: install ok installed
            Maintainer: Santiago Vila <sanvila@debian.org>
            Architecture: arm64
            Version: 12.4+deb12u10

            """.utf8).write(to: status)
        let osRelease = work.appendingPathComponent("os-release")
        try Data("ID=debian\nVERSION_ID=\"12\"\n".utf8).write(to: osRelease)
        let reference = "\(registry.host)/debianish:12"
        let pushed = try containertool(["build", "--executable", "linux/amd64=" + (try program("base-amd")),
                                        "--executable", "linux/arm64=" + (try program("base-arm", compiler: "aarch64-linux-gnu-gcc")), "--name", "basetool",
                                        "--resource", status.path + ":/var/lib/dpkg/status", "--resource", osRelease.path + ":/etc/os-release",
                                        "--label", "org.opencontainers.image.vendor=Debianish Project", "--plain-http", "--output", "registry:" + reference, "--json"])
        XCTAssertEqual(pushed.status, 0, pushed.stderr)
        let index = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(pushed.stdout.utf8)) as? [String: Any])?["indexDigest"] as? String, pushed.stdout)

        // What build --from records for the arm64 image.
        let layout = work.path + "/app"
        let built = try containertool(["build", "--executable", "linux/arm64=" + (try program("app-arm", compiler: "aarch64-linux-gnu-gcc")),
                                       "--from", reference, "--plain-http", "--output", "oci-layout:" + layout, "--json"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let pinned = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(built.stdout.utf8)) as? [String: Any])?["base"] as? String, built.stdout)
        XCTAssertEqual(pinned, "\(reference)@\(index)", "the report names the base as the build resolved it")
        let top = try XCTUnwrap((try json(layout + "/index.json")["manifests"] as? [[String: Any]])?.first)
        var manifest = try json(layout + "/blobs/sha256/" + (try XCTUnwrap(top["digest"] as? String)).dropFirst(7))
        if manifest["manifests"] != nil {  // an index over the one platform
            let entry = try XCTUnwrap((manifest["manifests"] as? [[String: Any]])?.first)
            manifest = try json(layout + "/blobs/sha256/" + (try XCTUnwrap(entry["digest"] as? String)).dropFirst(7))
        }
        let recorded = try XCTUnwrap((manifest["annotations"] as? [String: String])?[AnnotationKey.baseDigest], "\(manifest)")
        XCTAssertEqual(recorded, index)

        let output = work.appendingPathComponent("app.spdx.json").path
        let sbom = try containertool(["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", output, "--package-path", work.path,
                                      "--image", "example.com/app:1@sha256:" + String(repeating: "c", count: 64), "--supplier", "Example Team",
                                      "--base", reference, "--platform", "linux/arm64", "--plain-http"])
        XCTAssertEqual(sbom.status, 0, sbom.stderr)
        let packages = try XCTUnwrap(try json(output)["packages"] as? [[String: Any]])
        let base = try XCTUnwrap(packages.first { $0["SPDXID"] as? String == "SPDXRef-Package-base-image" })
        XCTAssertEqual(base["name"] as? String, reference)
        XCTAssertEqual(base["versionInfo"] as? String, recorded, "the SBOM names the base the build recorded")
        XCTAssertEqual(base["supplier"] as? String, "Organization: Debianish Project")
        XCTAssertTrue((base["comment"] as? String)?.contains("whose linux/arm64/v8 image manifest is sha256:") == true, "\(base)")
        let purl = try XCTUnwrap(((base["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"]) as? String)
        XCTAssertEqual(purl, "pkg:oci/debianish@\(recorded.replacingOccurrences(of: ":", with: "%3A"))?arch=arm64&repository_url=\(registry.host.replacingOccurrences(of: ":", with: "%3A"))/debianish")
        let listed = packages.filter { ($0["SPDXID"] as? String)?.hasPrefix("SPDXRef-Package-base-deb-") == true }
        XCTAssertEqual(listed.map { $0["SPDXID"] as! String }, ["SPDXRef-Package-base-deb-arm64.base-files", "SPDXRef-Package-base-deb-arm64.libc6"])
        XCTAssertEqual(listed.compactMap { (($0["externalRefs"] as? [[String: Any]])?.first?["referenceLocator"]) as? String },
                       ["pkg:deb/debian/base-files@12.4%2Bdeb12u10?arch=arm64&distro=debian-12",
                        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=arm64&distro=debian-12&upstream=glibc"])

        try Prerequisite.requireTool("pyspdxtools", install: "python3 -m pip install spdx-tools")
        try Prerequisite.requireTool("ntia-checker", install: "python3 -m pip install ntia-conformance-checker")
        let spdx = try runTool("pyspdxtools", ["-i", output])
        XCTAssertEqual(spdx.status, 0, spdx.stdout + spdx.stderr)
        let ntia = try runTool("ntia-checker", [output])
        XCTAssertTrue(ntia.stdout.contains("Conformant: True"), ntia.stdout)

        // The tag moves (another base pushed to it): the build's pinned name still gives the SBOM
        // the base the image was built on, under the same name; the bare tag now gives the new one.
        let moved = try containertool(["build", "--executable", try program("other-base", compiler: "aarch64-linux-gnu-gcc"), "--plain-http", "--output", "registry:" + reference, "--json"])
        XCTAssertEqual(moved.status, 0, moved.stderr)
        func baseOf(_ named: String) throws -> [String: Any] {
            let result = try containertool(["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", output, "--package-path", work.path,
                                            "--image", "example.com/app:1@sha256:" + String(repeating: "c", count: 64), "--base", named, "--platform", "linux/arm64", "--plain-http"])
            XCTAssertEqual(result.status, 0, result.stderr)
            return try XCTUnwrap((try json(output)["packages"] as? [[String: Any]])?.first { $0["SPDXID"] as? String == "SPDXRef-Package-base-image" })
        }
        let stillPinned = try baseOf(pinned)
        XCTAssertEqual(stillPinned["versionInfo"] as? String, recorded)
        XCTAssertEqual(stillPinned["name"] as? String, reference)
        XCTAssertNotEqual(try baseOf(reference)["versionInfo"] as? String, recorded, "the tag has moved")
        // A base of one image for another platform is refused, as build --from refuses it.
        let other = try containertool(["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", output, "--package-path", work.path,
                                       "--image", "example.com/app:1@sha256:" + String(repeating: "c", count: 64), "--base", reference, "--platform", "linux/amd64", "--plain-http"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("is linux/arm64/v8, not linux/amd64; give --platform the platform the image was built for"), other.stderr)

        // A base that is not there fails in one line, as build --from does.
        let missing = try containertool(["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", output, "--package-path", work.path,
                                         "--image", "example.com/app:1@sha256:" + String(repeating: "c", count: 64), "--base", "\(registry.host)/nothing:1", "--plain-http"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nothing"), missing.stderr)
    }
}
