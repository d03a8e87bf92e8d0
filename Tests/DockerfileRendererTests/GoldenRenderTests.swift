import GeneratedFiles
import DockerfileRenderer
import Foundation
import XCTest

/// Renders the repository's Dockerfile.template and compares with the checked-in golden files.
final class GoldenRenderTests: XCTestCase {
    func testEachOptionRendersItsGoldenFile() throws {
        let template = try DockerfileTemplate.read(GoldenFiles.repositoryTemplate)
        for (name, options) in GoldenFiles.cases {
            let rendered = try DockerfileRenderer.renderDockerfile(template: template, options: options)
            try GoldenFiles.assertMatches(rendered, golden: GoldenFiles.url(name))
        }
    }

    func testDockerignoreMatchesGolden() throws {
        try GoldenFiles.assertMatches(
            DockerfileRenderer.renderDockerignore(), golden: GoldenFiles.folder.appendingPathComponent("dockerignore"))
    }

    func testEveryOptionChangesTheOutput() throws {
        let template = try DockerfileTemplate.read(GoldenFiles.repositoryTemplate)
        let renders = try GoldenFiles.cases.map { try DockerfileRenderer.renderDockerfile(template: template, options: $0.options) }
        XCTAssertEqual(Set(renders).count, renders.count, "two option sets rendered the same Dockerfile")
    }

    func testDefaultRenderHasTheStagesTheImageNeeds() throws {
        let rendered = try DockerfileRenderer.renderDockerfile(
            template: try DockerfileTemplate.read(GoldenFiles.repositoryTemplate),
            options: DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3"))
        let lines = rendered.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, GeneratedFile.marker)
        XCTAssertEqual(lines.filter { $0.hasPrefix("FROM ") },
                       ["FROM swift:6.3-bookworm AS builder", "FROM builder AS link-trace-files", "FROM scratch AS link-trace",
                        "FROM swift:6.3-bookworm AS rootfs", "FROM scratch"])
        // The dependency layer comes before the sources, so it stays cached when only sources change.
        let resolve = try XCTUnwrap(lines.firstIndex(of: "RUN swift package resolve"))
        let copyManifest = try XCTUnwrap(lines.firstIndex(of: "COPY Package.swift Package.resolve[d] ./"))
        let copySources = try XCTUnwrap(lines.firstIndex(of: "COPY . ."))
        XCTAssertLessThan(copyManifest, resolve)
        XCTAssertLessThan(resolve, copySources)
        XCTAssertTrue(rendered.contains(
            "RUN swift build -c release --product HelloWeb --static-swift-stdlib -Xswiftc -static-executable -Xswiftc -use-ld=lld -Xlinker -s"
                + " -Xlinker --dependency-file=.build/HelloWeb.link-inputs -Xlinker --why-extract=.build/HelloWeb.why-extract"))
        // The link trace and the builder's package database go to a stage of their own, for `containertool sbom`.
        XCTAssertTrue(rendered.contains("dpkg-query -S '*'"))
        // No EXPOSE without a port (`--port N` or `--expose`): the plugin's image declares none either.
        XCTAssertEqual(Array(lines.suffix(2)), ["USER 65532:65532", #"ENTRYPOINT ["/HelloWeb"]"#])
        XCTAssertFalse(lines.contains { $0.hasPrefix("EXPOSE") })
        // One layer in the final image: the root file system the rootfs stage laid out.
        XCTAssertEqual(lines.filter { $0.hasPrefix("COPY --from=") },
                       ["COPY --from=link-trace-files /link-trace/ /", "COPY --from=builder /out/ /rootfs/", "COPY --from=rootfs /rootfs/ /"])
        XCTAssertEqual(lines.suffix(from: try XCTUnwrap(lines.lastIndex(of: "FROM scratch"))).filter { $0.hasPrefix("COPY") }, ["COPY --from=rootfs /rootfs/ /"])
    }

    func testEmbeddedRenderUsesTheEmbeddedFlagsAndNotStaticExecutable() throws {
        let rendered = try DockerfileRenderer.renderDockerfile(
            template: try DockerfileTemplate.read(GoldenFiles.repositoryTemplate),
            options: DockerfileOptions(product: "HelloWeb", swiftVersion: "6.3", buildMode: .embedded))
        XCTAssertTrue(rendered.contains(
            "swift build -c release --product HelloWeb -Xswiftc -enable-experimental-feature -Xswiftc Embedded -Xswiftc -wmo "
                + "-Xswiftc -Xclang-linker -Xswiftc -static -Xswiftc -Xclang-linker -Xswiftc -no-pie -Xswiftc -use-ld=lld -Xlinker -s"))
        XCTAssertFalse(rendered.contains("-static-executable"))
    }

    func testDefaultSwiftVersionIsTheCompilingToolchains() {
        #if compiler(>=6.3) && !compiler(>=6.4)
        XCTAssertEqual(ToolchainVersion.current, "6.3")
        #endif
        XCTAssertEqual(DockerfileOptions(product: "p").effectiveBuilderImage, "swift:\(ToolchainVersion.current)-bookworm")
    }
}
