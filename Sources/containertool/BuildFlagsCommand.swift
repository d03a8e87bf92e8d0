import ContainerImage
import DockerfileRenderer

/// `containertool build-flags`: the `swift build` flags of a build mode, from their one owner
/// (`BuildMode`), for the plugin, scripts/bench.sh and anyone scripting a release build.
enum BuildFlagsCommand {
    static let usage = """
        usage: containertool build-flags [--embedded] [--link static|dynamic-libc] [--json]

        Prints the flags that follow `swift build -c release --product NAME` for a build that runs on
        `scratch`, one per line (bash: mapfile -t flags < <(containertool build-flags)).

          --embedded        Embedded Swift (always linked statically)
          --link static     everything static, -static-executable (default)
          --link dynamic-libc
                            static Swift runtime, dynamic glibc and system libraries (libcurl for
                            FoundationNetworking); the image then needs `build --bundle-shared-libraries`
          --json            one JSON object: {"bundleSharedLibraries", "link", "mode", "swiftBuildFlags"}
          -h, --help        show this help
        """

    static let parser = CommandLineParser(valueOptions: ["--link"], flags: ["--embedded", "--json"])

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        let mode: BuildMode = parsed.has("--embedded") ? .embedded : .standard
        let linkName = parsed.last("--link") ?? BuildMode.Link.fullyStatic.rawValue
        guard let link = BuildMode.Link(rawValue: linkName) else {
            throw UsageError("--link '\(linkName)' is unknown; use static or dynamic-libc")
        }
        guard let flags = mode.swiftBuildFlags(link: link) else {
            throw UsageError("--embedded is always linked statically; drop --link \(linkName) or --embedded")
        }
        if parsed.has("--json") {
            let report = ToolContract.BuildFlags(mode: mode.rawValue, link: link.rawValue, swiftBuildFlags: flags, bundleSharedLibraries: link == .dynamicLibc)
            print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
        } else {
            flags.forEach { print($0) }
        }
    }
}
