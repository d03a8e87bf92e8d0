import TestSupport
import XCTest

/// The plugin's own argument handling. The plugin target cannot be imported, so this target compiles
/// the plugin's pure files (PluginArguments.swift, BuildLog.swift) through symlinks: the tests run the
/// very code the plugin runs.
final class PluginArgumentsTests: XCTestCase {
    /// What `containertool build --describe-options` answers (a subset is enough here, plus one option
    /// the plugin has never heard of, as a new `build` option would be).
    static let tool = PluginArguments.ToolOptions(
        valueOptions: ["--executable", "--output", "--tag", "--label", "--env", "--cmd", "--resource", "--user", "--expose", "--registry-ca", "--from"],
        flags: ["--json", "--dry-run", "--describe-options", "--ca-certificates", "--bundle-shared-libraries", "--plain-http"])

    static func parse(_ arguments: [String]) throws -> PluginArguments {
        try PluginArguments.parse(arguments, tool: tool)
    }

    func testOwnOptionsAndPassthroughInOrder() throws {
        let parsed = try Self.parse([
            "--product", "App", "--label", "a=b", "--embedded", "--plain-http", "--registry-ca=/x y/ca.pem",
            "--cmd", "--port=9000", "--push", "127.0.0.1:5000/app:1", "--env=K=V=W",
        ])
        XCTAssertEqual(parsed.product, "App")
        XCTAssertTrue(parsed.embedded)
        XCTAssertEqual(parsed.port, nil)  // `--port=9000` was --cmd's value
        XCTAssertEqual(parsed.pushes, ["127.0.0.1:5000/app:1"])
        XCTAssertEqual(parsed.outputs, ["registry:127.0.0.1:5000/app:1"])
        XCTAssertTrue(parsed.passthrough == [
            "--label", "a=b", "--plain-http", "--registry-ca", "/x y/ca.pem", "--cmd", "--port=9000", "--env", "K=V=W",
        ])
    }

    func testOptionsTheDockerfileAlsoTakesReachIt() throws {
        let parsed = try Self.parse(["--env", "A=1", "--cmd", "--env", "--ca-certificates", "--label=k=v"])
        let dockerfile = PluginArguments.ToolOptions(valueOptions: ["--env", "--product"], flags: ["--ca-certificates"])
        XCTAssertEqual(parsed.passthrough(acceptedBy: dockerfile), ["--env", "A=1", "--ca-certificates"])
    }

    func testValuesThatLookLikeOptionsStayValues() throws {
        let parsed = try Self.parse(["--tag", "--weird", "--cmd", "-v", "--label", "--help=x"])
        XCTAssertEqual(parsed.tag, "--weird")
        XCTAssertTrue(!parsed.verbose && !parsed.help)
        XCTAssertEqual(parsed.passthrough, ["--cmd", "-v", "--label", "--help=x"])
    }

    func testMistakesAreOneLineUsageErrors() {
        for (arguments, message) in [
        (["--label"], "--label needs a value"),
        (["--product"], "--product needs a value"),
        (["--bogus"], "unknown option '--bogus'"),
        (["stray"], "unexpected argument 'stray'"),
        (["--executable", "/bin/true"], "unknown option '--executable'"),
        (["--json"], "unknown option '--json'"),
        (["--embedded=yes"], "--embedded takes no value"),
        (["--plain-http=1"], "--plain-http takes no value"),
        (["--port", "0"], "--port needs a number from 1 to 65535, not '0'"),
        (["--port", "http"], "--port needs a number from 1 to 65535, not 'http'"),
        (["--user", "root"], "--user needs a numeric UID:GID"),
        (["--dockerfile-only", "--no-dockerfile"], "exclude each other"),
        (["--release", "--dockerfile-only"], "drop --dockerfile-only"),
        (["--release", "--output", "oci-layout:x"], "--release writes its own outputs"),
        (["--version", "1.0"], "add --release"),
        (["--no-sboms"], "unknown option '--no-sboms'; did you mean --no-sbom?"),
        (["--no-provenence"], "did you mean --no-provenance?"),
        (["--no-sbom=yes"], "--no-sbom takes no value"),
        (["--release", "--sign-key", "k.pem"], "--sign-key signs what a release pushes"),
        (["--release", "--version="], "--version needs a version such as 1.2.0"),
        (["--link", "dynamic-libc", "--dockerfile-only"], "builds fully static only"),
    ] {
            mistakesAreOneLineUsageErrors(arguments: arguments, message: message)
        }
    }

    func mistakesAreOneLineUsageErrors(arguments: [String], message: String) {
        XCTAssertThrowsError(try Self.parse(arguments), "\(arguments)") { error in
            guard let error = error as? PluginUsageError else { return XCTFail("\(arguments): not a usage error: \(error)") }
            XCTAssertTrue(error.message.contains(message) && !error.message.contains("\n"), "\(arguments): \(error.message)")
        }
    }

    /// SBOM and provenance are on for pushes and OCI layouts (the default outputs include one),
    /// with or without --release; off for archives and the engine; each flag turns one off, and
    /// --no-attach (what a release had before) both. Saying one twice is no mistake.
    func testAttestationsFollowTheOutputsAndTheFlags() throws {
        let cases: [([String], Bool)] = [
            ([], true),
            (["--push", "r.example/a:1"], true),
            (["--output", "oci-layout:x"], true),
            (["--output", "registry:r.example/a:1"], true),
            (["--output", "docker-archive:a.tar"], false),
            (["--output", "oci-archive:a.tar", "--output", "docker-archive:b.tar"], false),
            (["--output", "docker-archive:a.tar", "--output", "oci-layout:x"], true),
            (["--load"], false),
            (["--run"], false),
            (["--load", "--output", "oci-layout:x"], true),
            (["--dockerfile-only"], false),
            (["--release"], false),
            (["--release", "--push", "r.example/a:1"], true),
            (["--no-sbom", "--push", "r.example/a:1"], true),
            (["--no-sbom", "--no-provenance"], false),
            (["--no-attach", "--push", "r.example/a:1"], false),
            (["--release", "--no-attach", "--push", "r.example/a:1"], false),
        ]
        for (arguments, attaches) in cases {
            XCTAssertEqual(try Self.parse(arguments).attachesAttestations, attaches, "\(arguments)")
        }
        let twice = try Self.parse(["--no-sbom", "--no-sbom", "--no-attach"])
        XCTAssertTrue(twice.noSBOM && twice.noProvenance)
        let one = try Self.parse(["--no-provenance"])
        XCTAssertTrue(one.noProvenance && !one.noSBOM)
        XCTAssertEqual(try Self.parse(["--no-sbom"]).passthrough, [], "the plugin's own flag, not passed to containertool build")
    }

    func testNearestOptionIsSuggestedOnlyWhenClear() {
        XCTAssertEqual(PluginArguments.closestOption(to: "--no-sboms", tool: Self.tool), "--no-sbom")
        XCTAssertEqual(PluginArguments.closestOption(to: "--lable", tool: Self.tool), "--label")
        XCTAssertNil(PluginArguments.closestOption(to: "--bogus", tool: Self.tool))
        XCTAssertNil(PluginArguments.closestOption(to: "--jsn", tool: Self.tool), "a reserved option is never suggested")
    }

    func testReleaseWithPushIsAccepted() throws {
        let parsed = try Self.parse(["--release", "--version", "1.2.0", "--push", "r.example/app:1.2.0", "--dist", "out dir"])
        XCTAssertTrue(parsed.release)
        XCTAssertEqual(parsed.version, "1.2.0")
        XCTAssertEqual(parsed.dist, "out dir")
        XCTAssertTrue(!parsed.rendersDockerfile)
    }

    func testDockerfilePerProduct() throws {
        XCTAssertEqual(try Self.parse([]).dockerfilePath(product: "A", executableProductCount: 1), "Dockerfile")
        XCTAssertEqual(try Self.parse([]).dockerfilePath(product: "A", executableProductCount: 2), "Dockerfile.A")
        XCTAssertEqual(try Self.parse(["--dockerfile", "ops/A.Dockerfile"]).dockerfilePath(product: "A", executableProductCount: 2), "ops/A.Dockerfile")
        XCTAssertTrue(!(try Self.parse(["--link", "dynamic-libc"])).rendersDockerfile)
        XCTAssertTrue(!(try Self.parse(["--no-dockerfile"])).rendersDockerfile)
    }

    func testPortOnlyWhenGivenOrKnown() throws {
        XCTAssertEqual(try Self.parse([]).exposedPort(product: "Tool"), nil)
        XCTAssertEqual(try Self.parse([]).exposedPort(product: "HelloWeb"), 8080)
        XCTAssertEqual(try Self.parse(["--port", "9000"]).exposedPort(product: "Tool"), 9000)
    }

    func testReleaseTags() {
        XCTAssertEqual(PluginArguments.releaseTag(product: "MyServer", version: "1.2.0"), "myserver:1.2.0")
        XCTAssertEqual(PluginArguments.releaseTag(product: "App", version: "1.0.0+build/7"), "app:1.0.0-build-7")
        XCTAssertEqual(PluginArguments.releaseTag(product: "App", version: "-rc"), "app:v-rc")
        XCTAssertEqual(PluginArguments.releaseTag(product: "App", version: String(repeating: "9", count: 300)).count, "app:".count + 128)
    }

    // MARK: The edit loop (--load, --run, --engine)

    func testRunLoadsIntoTheEngineAndKeepsTheWordsAfterTheSeparatorForTheContainer() throws {
        let parsed = try Self.parse(["--run", "--engine", "podman", "--", "--port", "9000", "--", "x"])
        XCTAssertTrue(parsed.run)
        XCTAssertEqual(parsed.engineOutput, "engine:podman")
        XCTAssertEqual(parsed.runArguments, ["--port", "9000", "--", "x"])
        XCTAssertEqual(parsed.port, nil, "--port after -- is the container's, not the plugin's")
        XCTAssertEqual(try Self.parse(["--load"]).engineOutput, "engine:auto")
        XCTAssertEqual(try Self.parse(["--port", "8080"]).engineOutput, nil)
    }

    func testEditLoopMistakesSayWhatToDo() {
        let cases: [([String], String)] = [
            (["--", "x"], "arguments after -- go to the container: add --run"),
            (["--load", "--", "x"], "arguments after -- go to the container: add --run"),
            (["--engine", "docker"], "--engine chooses the engine of --load or --run; add one of them"),
            (["--run", "--engine", "containerd"], "--engine needs docker, podman or auto, not 'containerd'"),
            (["--run", "--release"], "--run puts the image into the local engine; it does not combine with --release"),
            (["--load", "--dockerfile-only"], "--load puts the image into the local engine; it does not combine with --dockerfile-only"),
            (["--run", "--kubernetes"], "--run puts the image into the local engine; it does not combine with --kubernetes"),
        ]
        for (arguments, message) in cases {
            XCTAssertThrowsError(try Self.parse(arguments), "\(arguments)") { error in
                XCTAssertEqual((error as? PluginUsageError)?.message, message, "\(arguments)")
            }
        }
    }

    /// A release `--from` a base gives `containertool sbom` the same reference, the platform of the
    /// image it describes, and the registry options the build got; nothing else of the build's, and
    /// nothing at all on scratch.
    func testTheReleaseSBOMGetsTheBaseTheBuildUsed() throws {
        let sbom = PluginArguments.ToolOptions(valueOptions: ["--product", "--output", "--image", "--base", "--platform", "--registry-ca"],
                                               flags: ["--describe-options", "--plain-http"])
        let parsed = try PluginArgumentsTests.parse(["--release", "--label", "a=b", "--from", "127.0.0.1:5000/debian:12", "--plain-http",
                                                     "--platform", "linux/arm64,linux/amd64", "--registry-ca=/ca.pem", "--tag", "app:1"])
        XCTAssertEqual(parsed.base, "127.0.0.1:5000/debian:12")
        XCTAssertEqual(parsed.sbomBaseArguments(platform: parsed.platforms.first, acceptedBy: sbom),
                       ["--base", "127.0.0.1:5000/debian:12", "--platform", "linux/arm64", "--plain-http", "--registry-ca", "/ca.pem"])
        XCTAssertTrue(parsed.passthrough.contains("--from"), "build still gets --from")
        // The base as the build resolved it (its report's pinned name) wins over the tag.
        let pinned = "127.0.0.1:5000/debian:12@sha256:" + String(repeating: "d", count: 64)
        XCTAssertEqual(parsed.sbomBaseArguments(pinned: pinned, platform: nil, acceptedBy: sbom).prefix(2), ["--base", pinned])
        let host = try PluginArgumentsTests.parse(["--release", "--from=oci-layout:base:1"])
        XCTAssertEqual(host.sbomBaseArguments(platform: nil, acceptedBy: sbom), ["--base", "oci-layout:base:1"])
        for scratch in [["--release"], ["--release", "--from", "scratch"], ["--release", "--from", "a/b:1", "--from", "scratch"]] {
            let parsed = try PluginArgumentsTests.parse(scratch)
            XCTAssertNil(parsed.base, "\(scratch)")
            XCTAssertEqual(parsed.sbomBaseArguments(platform: "linux/amd64", acceptedBy: sbom), [], "\(scratch)")
        }
    }
}

final class BuildLogTests: XCTestCase {
    static let curlLog = """
        [5/6] Linking Fetcher
        /usr/bin/ld.gold: error: cannot find -lcurl
        /usr/bin/ld.gold: error: cannot find -lcurl
        FoundationNetworking/URLSession.swift:12: error: undefined reference to 'curl_easy_init'
        clang: error: linker command failed with exit code 1 (use -v to see invocation)
        """

    func testMissingStaticArchiveIsExplained() {
        let log = BuildLog(text: Self.curlLog)
        XCTAssertEqual(log.missingLibraries, ["curl"])
        let message = log.failureMessage(product: "Fetcher", embedded: false, dynamicLibc: false)
        XCTAssertTrue(message.contains("libcurl has no complete static archive"))
        XCTAssertTrue(message.contains("--link dynamic-libc"))
        XCTAssertTrue(!message.contains("\n"))
    }

    /// Debian's libcurl.a exists, but its own dependencies (libpsl, libssh2, OpenSSL …) have no archives.
    func testStaticArchiveWithUnresolvedDependencies() {
        let log = BuildLog(text: """
            error: link command failed with exit code 1 (use -v to see invocation)
            /opt/swift/usr/lib/swift_static/linux/libFoundation.a(Host.swift.o):function f: error: undefined reference to 'x'
            /lib/x86_64-linux-gnu/libcurl.a(libcurl_la-psl.o):function Curl_psl_destroy: error: undefined reference to 'psl_free'
            /lib/x86_64-linux-gnu/libcurl.a(libcurl_la-version.o):function curl_version: error: undefined reference to 'zlibVersion'
            """)
        XCTAssertEqual(log.missingLibraries, ["curl"])
        XCTAssertTrue(log.failureMessage(product: "Fetch", embedded: false, dynamicLibc: false).contains("URLSession needs libcurl"))
        XCTAssertTrue(!log.failureMessage(product: "Fetch", embedded: false, dynamicLibc: true).contains("--link dynamic-libc"))
    }

    /// The same failure as lld (the default linker) reports it.
    func testStaticArchiveWithUnresolvedDependenciesAsLLDSaysIt() {
        let log = BuildLog(text: """
            error: link command failed with exit code 1 (use -v to see invocation)
            ld.lld: error: undefined symbol: libssh2_session_abstract
            >>> referenced by libcurl_la-libssh2.o:(ssh_attach) in archive /lib/x86_64-linux-gnu/libcurl.a
            ld.lld: error: undefined symbol: swift_x
            >>> referenced by Host.swift.o:(f) in archive /opt/swift/usr/lib/swift_static/linux/libFoundation.a
            ld.lld: error: undefined symbol: psl_free
            >>> referenced by libcurl_la-psl.o:(Curl_psl_destroy) in archive /lib/x86_64-linux-gnu/libcurl.a
            """)
        XCTAssertEqual(log.missingLibraries, ["curl"])
        XCTAssertTrue(log.failureMessage(product: "Fetch", embedded: false, dynamicLibc: false).contains("URLSession needs libcurl"))
    }

    func testEmbeddedFailureNamesTheFirstErrorAndTheWayOut() {
        let log = BuildLog(text: "[1/3] Compiling\n  /p/main.swift:3:8: error: cannot find 'Foundation' in scope\n/p/a.swift:1: error: second\n")
        let message = log.failureMessage(product: "App", embedded: true, dynamicLibc: false)
        XCTAssertTrue(message.contains("/p/main.swift:3:8: error: cannot find 'Foundation'"))
        XCTAssertTrue(message.contains("drop --embedded"))
        XCTAssertTrue(!message.contains("second") && !message.contains("\n"))
    }

    func testPlainFailureWithoutErrorLine() {
        XCTAssertEqual(BuildLog(text: "killed\n").failureMessage(product: "A", embedded: false, dynamicLibc: false), "building 'A' failed (the log is above)")
    }

    func testStaticGlibcWarningsAndCompileCount() {
        let log = BuildLog(text: """
            [1/4] Compiling HTTPServer Server.swift
            [2/4] Compiling HelloWeb main.swift
            warning: Using 'getaddrinfo' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
            """)
        XCTAssertTrue(log.hasStaticGlibcWarnings)
        XCTAssertEqual(log.compiledSteps, 2)
        XCTAssertTrue(!BuildLog(text: "Build of product 'A' complete!").hasStaticGlibcWarnings)
        XCTAssertEqual(BuildLog(text: "[1/1] Planning build\nBuild complete!").compiledSteps, 0)
    }

    func testPlatformsAreAListAndSwiftSDKIsThePlugins() throws {
        let parsed = try PluginArgumentsTests.parse(["--embedded", "--platform", "linux/amd64,linux/arm64", "--push", "127.0.0.1:5000/app:1"])
        XCTAssertEqual(parsed.platforms, ["linux/amd64", "linux/arm64"])
        XCTAssertTrue(parsed.passthrough.isEmpty)  // --platform is the plugin's, not passed on as one value
        let standard = try PluginArgumentsTests.parse(["--platform=linux/arm64", "--swift-sdk", "aarch64-swift-linux-musl"])
        XCTAssertEqual(standard.platforms, ["linux/arm64"])
        XCTAssertEqual(standard.swiftSDK, "aarch64-swift-linux-musl")
        for bad in [["--platform", "linux/amd64,,linux/arm64"], ["--platform", "linux/arm64", "--platform", "linux/arm64"],
                    ["--platform", "linux/amd64,linux/arm64", "--swift-sdk", "x86_64-swift-linux-musl"]] {
            assertThrows(PluginUsageError.self) { try PluginArgumentsTests.parse(bad) }
        }
    }

    func testAMissingSwiftSDKNamesSwiftSDKList() {
        let log = BuildLog(text: "error: No valid Swift SDK bundles found at /root/.swiftpm/swift-sdks.\n")
        let message = log.failureMessage(product: "App", embedded: false, dynamicLibc: false, swiftSDK: "aarch64-swift-linux-musl")
        XCTAssertTrue(message.contains("aarch64-swift-linux-musl") && message.contains("`swift sdk list`"))
        XCTAssertTrue(!message.contains("\n"))
    }


    func testTheProvenanceNamesTheRegistryBaseTheBuildPinned() throws {
        let tagged = try PluginArgumentsTests.parse(["--from", "registry.example/base:1"])
        XCTAssertEqual(tagged.provenanceBase(pinned: "registry.example/base:1@sha256:" + String(repeating: "a", count: 64)),
                       "registry.example/base:1@sha256:" + String(repeating: "a", count: 64), "the digest the build resolved the tag to")
        let byDigest = "registry.example/base@sha256:" + String(repeating: "b", count: 64)
        XCTAssertEqual(try PluginArgumentsTests.parse(["--from", byDigest]).provenanceBase(pinned: nil), byDigest)
        XCTAssertNil(try PluginArgumentsTests.parse(["--from", "oci-layout:base@sha256:" + String(repeating: "c", count: 64)]).provenanceBase(pinned: nil),
                     "a local base has no registry digest to name")
        XCTAssertNil(try PluginArgumentsTests.parse([]).provenanceBase(pinned: nil), "scratch")
    }
}
