import Foundation
import TestSupport
import XCTest

/// A real Debian base: the local builder image (`swift:X.Y-bookworm`, which .ci/run makes with
/// scripts/make-builder-image.sh), saved by Docker. Its SBOM lists exactly the packages `dpkg-query`
/// lists inside a container of it, under the image ID. A gigabyte test: it saves 4 GB.
final class SBOMRealBaseTests: XCTestCase {
    func testTheBuilderImagesPackagesAreWhatDpkgQueryListsInside() throws {
        try LargeTests.requireEnabled()
        try Prerequisite.requireTool("docker")
        let images = try runChecked("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]).split(separator: "\n").map(String.init)
        guard let image = images.first(where: { $0.hasPrefix("swift:") && $0.hasSuffix("-bookworm") }) else {
            throw Prerequisite.missing("no local swift:X.Y-bookworm image (scripts/make-builder-image.sh makes one)")
        }
        let work = try temporaryDirectory(self, "sbom-real-base")
        let archive = work.appendingPathComponent("base.tar").path
        try runChecked("docker", ["save", "-o", archive, image], timeout: 900)
        let imageID = try runChecked("docker", ["image", "inspect", "-f", "{{.Id}}", image]).trimmingCharacters(in: .whitespacesAndNewlines)
        let inside = try runChecked("docker", ["run", "--rm", "--network", "host", "--entrypoint", "dpkg-query", image,
                                               "-W", "-f", "${db:Status-Status} ${Package}:${Architecture}=${Version}\n"])
            .split(separator: "\n").filter { $0.hasPrefix("installed ") }.map { String($0.dropFirst("installed ".count)) }.sorted()

        let output = work.appendingPathComponent("app.spdx.json").path
        let started = Date()
        let result = try TestSupport.containertool(["sbom", "--product", "app", "--swift-version", "6.3.1", "--output", output, "--package-path", work.path,
                                                    "--image", "example.com/app:1@sha256:" + String(repeating: "e", count: 64), "--supplier", "Example Team",
                                                    "--base", "docker-archive:" + archive, "--platform", "linux/amd64"],
                                                   environment: ["CONTAINERIZE_CACHE_DIR": work.appendingPathComponent("cache").path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        print("SBOM of \(image): \(inside.count) packages, \(data.count) bytes in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        let packages = try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["packages"] as? [[String: Any]])
        let base = try XCTUnwrap(packages.first { $0["SPDXID"] as? String == "SPDXRef-Package-base-image" })
        XCTAssertEqual(base["versionInfo"] as? String, imageID, "a docker archive's base is named by its image ID")
        let listed = packages.compactMap { package -> String? in
            guard let id = package["SPDXID"] as? String, id.hasPrefix("SPDXRef-Package-base-deb-"),
                  let architecture = id.dropFirst("SPDXRef-Package-base-deb-".count).split(separator: ".").first else { return nil }
            return "\(package["name"]!):\(architecture)=\(package["versionInfo"]!)"
        }.sorted()
        XCTAssertGreaterThan(inside.count, 50)
        XCTAssertEqual(listed, inside)
        try SBOMBaseImageTests.validate(output)
    }
}
