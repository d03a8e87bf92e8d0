import Testing

/// The plugin's own argument handling. The plugin target cannot be imported, so this target compiles
/// the plugin's pure files (PluginArguments.swift, BuildLog.swift) through symlinks: the tests run the
/// very code the plugin runs.
@Suite("swift package containerize: arguments")
struct PluginArgumentsTests {
    /// What `containertool build --describe-options` answers (a subset is enough here, plus one option
    /// the plugin has never heard of, as a new `build` option would be).
    static let tool = PluginArguments.ToolOptions(
        valueOptions: ["--executable", "--output", "--tag", "--label", "--env", "--cmd", "--resource", "--user", "--expose", "--registry-ca"],
        flags: ["--json", "--dry-run", "--describe-options", "--ca-certificates", "--bundle-shared-libraries", "--plain-http"])

    static func parse(_ arguments: [String]) throws -> PluginArguments {
        try PluginArguments.parse(arguments, tool: tool)
    }

    @Test func ownOptionsAndPassthroughInOrder() throws {
        let parsed = try Self.parse([
            "--product", "App", "--label", "a=b", "--embedded", "--plain-http", "--registry-ca=/x y/ca.pem",
            "--cmd", "--port=9000", "--push", "127.0.0.1:5000/app:1", "--env=K=V=W",
        ])
        #expect(parsed.product == "App")
        #expect(parsed.embedded)
        #expect(parsed.port == nil)  // `--port=9000` was --cmd's value
        #expect(parsed.pushes == ["127.0.0.1:5000/app:1"])
        #expect(parsed.outputs == ["registry:127.0.0.1:5000/app:1"])
        #expect(parsed.passthrough == [
            "--label", "a=b", "--plain-http", "--registry-ca", "/x y/ca.pem", "--cmd", "--port=9000", "--env", "K=V=W",
        ])
    }

    @Test func optionsTheDockerfileAlsoTakesReachIt() throws {
        let parsed = try Self.parse(["--env", "A=1", "--cmd", "--env", "--ca-certificates", "--label=k=v"])
        let dockerfile = PluginArguments.ToolOptions(valueOptions: ["--env", "--product"], flags: ["--ca-certificates"])
        #expect(parsed.passthrough(acceptedBy: dockerfile) == ["--env", "A=1", "--ca-certificates"])
    }

    @Test func valuesThatLookLikeOptionsStayValues() throws {
        let parsed = try Self.parse(["--tag", "--weird", "--cmd", "-v", "--label", "--help=x"])
        #expect(parsed.tag == "--weird")
        #expect(!parsed.verbose && !parsed.help)
        #expect(parsed.passthrough == ["--cmd", "-v", "--label", "--help=x"])
    }

    @Test(arguments: [
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
        (["--release", "--version="], "--version needs a version such as 1.2.0"),
        (["--link", "dynamic-libc", "--dockerfile-only"], "builds fully static only"),
    ])
    func mistakesAreOneLineUsageErrors(arguments: [String], message: String) {
        #expect {
            try Self.parse(arguments)
        } throws: { error in
            guard let error = error as? PluginUsageError else { return false }
            return error.message.contains(message) && !error.message.contains("\n")
        }
    }

    @Test func releaseWithPushIsAccepted() throws {
        let parsed = try Self.parse(["--release", "--version", "1.2.0", "--push", "r.example/app:1.2.0", "--dist", "out dir"])
        #expect(parsed.release && parsed.version == "1.2.0" && parsed.dist == "out dir")
        #expect(!parsed.rendersDockerfile)
    }

    @Test func dockerfilePerProduct() throws {
        #expect(try Self.parse([]).dockerfilePath(product: "A", executableProductCount: 1) == "Dockerfile")
        #expect(try Self.parse([]).dockerfilePath(product: "A", executableProductCount: 2) == "Dockerfile.A")
        #expect(try Self.parse(["--dockerfile", "ops/A.Dockerfile"]).dockerfilePath(product: "A", executableProductCount: 2) == "ops/A.Dockerfile")
        #expect(!(try Self.parse(["--link", "dynamic-libc"])).rendersDockerfile)
        #expect(!(try Self.parse(["--no-dockerfile"])).rendersDockerfile)
    }

    @Test func portOnlyWhenGivenOrKnown() throws {
        #expect(try Self.parse([]).exposedPort(product: "Tool") == nil)
        #expect(try Self.parse([]).exposedPort(product: "HelloWeb") == 8080)
        #expect(try Self.parse(["--port", "9000"]).exposedPort(product: "Tool") == 9000)
    }

    @Test func releaseTags() {
        #expect(PluginArguments.releaseTag(product: "MyServer", version: "1.2.0") == "myserver:1.2.0")
        #expect(PluginArguments.releaseTag(product: "App", version: "1.0.0+build/7") == "app:1.0.0-build-7")
        #expect(PluginArguments.releaseTag(product: "App", version: "-rc") == "app:v-rc")
        #expect(PluginArguments.releaseTag(product: "App", version: String(repeating: "9", count: 300)).count == "app:".count + 128)
    }
}

@Suite("swift package containerize: build log")
struct BuildLogTests {
    static let curlLog = """
        [5/6] Linking Fetcher
        /usr/bin/ld.gold: error: cannot find -lcurl
        /usr/bin/ld.gold: error: cannot find -lcurl
        FoundationNetworking/URLSession.swift:12: error: undefined reference to 'curl_easy_init'
        clang: error: linker command failed with exit code 1 (use -v to see invocation)
        """

    @Test func missingStaticArchiveIsExplained() {
        let log = BuildLog(text: Self.curlLog)
        #expect(log.missingLibraries == ["curl"])
        let message = log.failureMessage(product: "Fetcher", embedded: false, dynamicLibc: false)
        #expect(message.contains("libcurl has no complete static archive"))
        #expect(message.contains("--link dynamic-libc"))
        #expect(!message.contains("\n"))
    }

    /// Debian's libcurl.a exists, but its own dependencies (libpsl, libssh2, OpenSSL …) have no archives.
    @Test func staticArchiveWithUnresolvedDependencies() {
        let log = BuildLog(text: """
            error: link command failed with exit code 1 (use -v to see invocation)
            /opt/swift/usr/lib/swift_static/linux/libFoundation.a(Host.swift.o):function f: error: undefined reference to 'x'
            /lib/x86_64-linux-gnu/libcurl.a(libcurl_la-psl.o):function Curl_psl_destroy: error: undefined reference to 'psl_free'
            /lib/x86_64-linux-gnu/libcurl.a(libcurl_la-version.o):function curl_version: error: undefined reference to 'zlibVersion'
            """)
        #expect(log.missingLibraries == ["curl"])
        #expect(log.failureMessage(product: "Fetch", embedded: false, dynamicLibc: false).contains("URLSession needs libcurl"))
        #expect(!log.failureMessage(product: "Fetch", embedded: false, dynamicLibc: true).contains("--link dynamic-libc"))
    }

    @Test func embeddedFailureNamesTheFirstErrorAndTheWayOut() {
        let log = BuildLog(text: "[1/3] Compiling\n  /p/main.swift:3:8: error: cannot find 'Foundation' in scope\n/p/a.swift:1: error: second\n")
        let message = log.failureMessage(product: "App", embedded: true, dynamicLibc: false)
        #expect(message.contains("/p/main.swift:3:8: error: cannot find 'Foundation'"))
        #expect(message.contains("drop --embedded"))
        #expect(!message.contains("second") && !message.contains("\n"))
    }

    @Test func plainFailureWithoutErrorLine() {
        #expect(BuildLog(text: "killed\n").failureMessage(product: "A", embedded: false, dynamicLibc: false) == "building 'A' failed (the log is above)")
    }

    @Test func staticGlibcWarningsAndCompileCount() {
        let log = BuildLog(text: """
            [1/4] Compiling HTTPServer Server.swift
            [2/4] Compiling HelloWeb main.swift
            warning: Using 'getaddrinfo' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
            """)
        #expect(log.hasStaticGlibcWarnings)
        #expect(log.compiledSteps == 2)
        #expect(!BuildLog(text: "Build of product 'A' complete!").hasStaticGlibcWarnings)
        #expect(BuildLog(text: "[1/1] Planning build\nBuild complete!").compiledSteps == 0)
    }

    @Test func platformsAreAListAndSwiftSDKIsThePlugins() throws {
        let parsed = try PluginArgumentsTests.parse(["--embedded", "--platform", "linux/amd64,linux/arm64", "--push", "127.0.0.1:5000/app:1"])
        #expect(parsed.platforms == ["linux/amd64", "linux/arm64"])
        #expect(parsed.passthrough.isEmpty)  // --platform is the plugin's, not passed on as one value
        let standard = try PluginArgumentsTests.parse(["--platform=linux/arm64", "--swift-sdk", "aarch64-swift-linux-musl"])
        #expect(standard.platforms == ["linux/arm64"])
        #expect(standard.swiftSDK == "aarch64-swift-linux-musl")
        for bad in [["--platform", "linux/amd64,,linux/arm64"], ["--platform", "linux/arm64", "--platform", "linux/arm64"],
                    ["--platform", "linux/amd64,linux/arm64", "--swift-sdk", "x86_64-swift-linux-musl"]] {
            #expect(throws: PluginUsageError.self) { try PluginArgumentsTests.parse(bad) }
        }
    }

    @Test func aMissingSwiftSDKNamesSwiftSDKList() {
        let log = BuildLog(text: "error: No valid Swift SDK bundles found at /root/.swiftpm/swift-sdks.\n")
        let message = log.failureMessage(product: "App", embedded: false, dynamicLibc: false, swiftSDK: "aarch64-swift-linux-musl")
        #expect(message.contains("aarch64-swift-linux-musl") && message.contains("`swift sdk list`"))
        #expect(!message.contains("\n"))
    }
}
