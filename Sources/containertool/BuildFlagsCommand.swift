import OCIModel
import ContainerImage
import DockerfileRenderer

/// `containertool build-flags`: the `swift build` flags of a build mode, from their one owner
/// (`BuildMode`), for the plugin, scripts/bench.sh and anyone scripting a release build.
enum BuildFlagsCommand {
    static let usage = """
        usage: containertool build-flags [--embedded] [--link static|dynamic-libc] [--platform OS/ARCH]
                                         [--swift-sdk NAME] [--swift-sdks-path DIR] [--json]

        Prints the flags that follow `swift build -c release --product NAME` for a build that runs on
        `scratch`, one per line (bash: mapfile -t flags < <(containertool build-flags)).

          --embedded        Embedded Swift (always linked statically)
          --link static     everything static, -static-executable (default)
          --link dynamic-libc
                            static Swift runtime, dynamic glibc and system libraries (libcurl for
                            FoundationNetworking); the image then needs `build --bundle-shared-libraries`
          --platform OS/ARCH
                            build for this platform (linux/amd64, linux/arm64): another CPU than the
                            host's needs a Swift SDK (Embedded: the local embedded-linux-ARCH SDK of
                            scripts/make-swift-sdk.sh; standard: --swift-sdk, see `swift sdk list`)
          --swift-sdk NAME  build through this installed Swift SDK (e.g. aarch64-swift-linux-musl)
          --swift-sdks-path DIR
                            where the Swift SDK bundles are (passed on to swift build)
          --json            one JSON object: {"bundleSharedLibraries", "link", "linkTraceFlags", "mode",
                            "platform", "swiftBuildFlags", "swiftSDK"}; linkTraceFlags make lld write
                            {prefix}.link-inputs and {prefix}.why-extract for `containertool sbom --link-trace`
          -h, --help        show this help
        """

    static let parser = CommandLineParser(valueOptions: ["--link", "--platform", "--swift-sdk", "--swift-sdks-path"], flags: ["--embedded", "--json"])

    /// The host's platform name (`linux/amd64`, `linux/arm64`).
    static var hostPlatform: String {
        #if arch(arm64)
        return "linux/arm64"
        #else
        return "linux/amd64"
        #endif
    }

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        let mode: BuildMode = parsed.has("--embedded") ? .embedded : .standard
        let linkName = parsed.last("--link") ?? BuildMode.Link.fullyStatic.rawValue
        guard let link = BuildMode.Link(rawValue: linkName) else {
            throw UsageError("--link '\(linkName)' is unknown; use static or dynamic-libc")
        }
        var platform: String?
        if let text = parsed.last("--platform") {
            do { platform = try Platform(parsing: text).name } catch { throw UsageError("--platform: \(error)") }
        }
        let cross = CrossBuild(platform: platform, swiftSDK: parsed.last("--swift-sdk"),
                               swiftSDKsPath: parsed.last("--swift-sdks-path").map(BuildCommand.absolutePath), hostPlatform: hostPlatform)
        let crossFlags: [String]?
        do { crossFlags = try cross.swiftBuildFlags(mode: mode, link: link) } catch { throw UsageError(error.description) }
        guard let flags = crossFlags else {
            throw UsageError("--embedded is always linked statically; drop --link \(linkName) or --embedded")
        }
        if parsed.has("--json") {
            let report = ToolContract.BuildFlags(mode: mode.rawValue, link: link.rawValue, swiftBuildFlags: flags, bundleSharedLibraries: link == .dynamicLibc,
                                                 platform: platform, swiftSDK: cross.sdkName(mode: mode), hostPlatform: hostPlatform,
                                                 linkTraceFlags: BuildMode.linkTraceFlags(prefix: "{prefix}"))
            print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
        } else {
            flags.forEach { print($0) }
        }
    }
}
