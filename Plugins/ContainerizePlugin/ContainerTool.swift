import Foundation
import PackagePlugin

/// The plugin's whole contract with `containertool`: every call, and the JSON each one answers with.
/// Nothing here reads the tool's human output.
struct ContainerTool {
    let url: URL
    let verbose: Bool

    typealias BuildReport = ToolContract.BuildReport

    /// The `containertool` of the package in the graph that provides it (this plugin's), from the
    /// machine's cache (ToolCache.swift), built there first when its sources changed.
    static func cached(in graph: Package, swift: (executable: URL, leadingArguments: [String]), verbose: Bool) throws -> ContainerTool {
        guard let (owner, product) = productNamed("containertool", in: graph) else {
            throw ToolCacheError.noSources(graph.directoryURL.path)
        }
        let used = Set(product.targets.flatMap { [$0] + $0.recursiveTargetDependencies }.map(\.id))
        let unrelated = owner.targets.filter { !used.contains($0.id) }.compactMap { $0 as? SourceModuleTarget }
            .flatMap { $0.sourceFiles.map { $0.url.standardizedFileURL.path } }
        let cache = ToolCache(sourcePackage: owner.directoryURL, unrelatedFiles: Set(unrelated),
                              directory: ToolCache.defaultDirectory(environment: ProcessInfo.processInfo.environment, home: NSHomeDirectory()))
        let toolchainPath = swift.leadingArguments.isEmpty ? swift.executable.path : Self.onPath("swift") ?? swift.executable.path
        let url = try cache.tool(toolchain: ToolCache.toolchainIdentity(toolchainPath), build: { scratch in
            let arguments = swift.leadingArguments + ["build", "-c", ToolCache.configuration, "--product", "containertool",
                                                      "--package-path", cache.sourcePackage.path, "--scratch-path", scratch.path]
            // Its progress shows, as the product's build does: the first build takes 25–50 s.
            let result = try Subprocess.run(swift.executable, arguments, mergeOutput: true)
            guard result.status == 0 else {
                let reason = BuildLog(text: result.stderr).firstError ?? "swift build exited with status \(result.status)"
                throw PluginError.buildFailed("building containertool failed: \(reason); the build's output is above")
            }
            return scratch.appendingPathComponent(ToolCache.configuration).appendingPathComponent("containertool")
        }, progress: printError)
        return ContainerTool(url: url, verbose: verbose)
    }

    /// The package that defines the executable product `name`, searched from the root down its
    /// dependencies: the one this plugin's sources are in (`pluginFile`), else the first found — so
    /// a user's own product of that name is never taken for ours.
    private static func productNamed(_ name: String, in root: Package, pluginFile: String = #filePath) -> (Package, ExecutableProduct)? {
        var found: [(Package, ExecutableProduct)] = []
        var pending = [root]
        var visited: Set<String> = []
        while !pending.isEmpty {
            let package = pending.removeFirst()
            guard visited.insert(package.id).inserted else { continue }
            if let product = package.products(ofType: ExecutableProduct.self).first(where: { $0.name == name }) { found.append((package, product)) }
            pending += package.dependencies.map(\.package)
        }
        let plugin = URL(fileURLWithPath: pluginFile).standardizedFileURL.path
        return found.first { plugin.hasPrefix($0.0.directoryURL.standardizedFileURL.path + "/") } ?? found.first
    }

    /// The first `name` on PATH.
    private static func onPath(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { $0 + "/" + name }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The options `containertool build` (or `dockerfile`) accepts, for passing through the ones the
    /// plugin does not own.
    func options(of subcommand: String) throws -> PluginArguments.ToolOptions {
        let table: ToolContract.OptionTable = try decode(run([subcommand, "--describe-options"]))
        return .init(valueOptions: Set(table.valueOptions), flags: Set(table.flags))
    }

    func buildFlags(embedded: Bool, link: String?, platform: String? = nil, swiftSDK: String? = nil,
                    swiftSDKsPath: String? = nil) throws -> ToolContract.BuildFlags {
        var arguments = ["build-flags", "--json"]
        if embedded { arguments.append("--embedded") }
        if let link { arguments += ["--link", link] }
        if let platform { arguments += ["--platform", platform] }
        if let swiftSDK { arguments += ["--swift-sdk", swiftSDK] }
        if let swiftSDKsPath { arguments += ["--swift-sdks-path", swiftSDKsPath] }
        return try decode(run(arguments))
    }

    /// `containertool build --dry-run`: every option, reference and output path checked before compiling.
    func checkBuild(_ arguments: [String]) throws {
        _ = try run(["build", "--dry-run"] + arguments)
    }

    func build(_ arguments: [String]) throws -> BuildReport {
        try decode(run(["build", "--json"] + arguments))
    }

    func dockerfile(_ arguments: [String], dryRun: Bool) throws -> ToolContract.DockerfileReport {
        try decode(run(["dockerfile", "--json"] + (dryRun ? ["--dry-run"] : []) + arguments))
    }

    func sbom(_ arguments: [String]) throws {
        _ = try run(["sbom"] + arguments)
    }

    /// `containertool attach REF --file …`: OCI 1.1 referrers of a pushed image.
    func attach(_ arguments: [String]) throws -> [ToolContract.AttachedReferrer] {
        try decode(run(["attach", "--json"] + arguments))
    }

    /// `containertool sign REF --key FILE`: a cosign-format signature of a pushed image.
    func sign(_ arguments: [String]) throws -> ToolContract.SignatureReport {
        try decode(run(["sign", "--json"] + arguments))
    }

    /// `containertool attest REF --key FILE --predicate FILE`: a signed in-toto statement (cosign's `.att`).
    func attest(_ arguments: [String]) throws -> ToolContract.AttestationReport {
        try decode(run(["attest", "--json"] + arguments))
    }

    func provenance(_ arguments: [String]) throws {
        _ = try run(["provenance"] + arguments)
    }

    /// `containertool run IMAGE …`: the container's output shows live (its standard output too);
    /// returns when it ends. Ctrl-C reaches containertool, which stops and removes the container.
    func runContainer(_ arguments: [String]) throws {
        if verbose { printError("+ containertool run " + arguments.map(Subprocess.shellQuoted).joined(separator: " ")) }
        let result = try Subprocess.run(url, ["run"] + arguments, mergeOutput: true) { $0.hasPrefix("containertool run: ") }
        guard result.status == 0 else {
            let message = result.heldBack.first.map { String($0.dropFirst("containertool run: ".count)) }
            throw PluginError.toolReported(message ?? "containertool run stopped with exit status \(result.status)")
        }
    }

    /// The standard output of a subcommand that prints text rather than JSON (`resolve`, `kubernetes`).
    func output(of arguments: [String]) throws -> String {
        try run(arguments)
    }

    /// Runs one subcommand; its progress lines show live, its error becomes the thrown message.
    private func run(_ arguments: [String]) throws -> String {
        if verbose { printError("+ containertool " + arguments.map(Subprocess.shellQuoted).joined(separator: " ")) }
        let subcommand = arguments[0]
        let result = try Subprocess.run(url, arguments) { $0.hasPrefix("containertool \(subcommand): ") }
        guard result.status == 0 else {
            let message = result.heldBack.first.map { String($0.dropFirst("containertool \(subcommand): ".count)) }
            throw PluginError.toolReported(message ?? "containertool \(subcommand) stopped with exit status \(result.status)")
        }
        return result.stdout
    }

    private func decode<Value: Decodable>(_ text: String) throws -> Value {
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? text
        do {
            return try JSONDecoder().decode(Value.self, from: Data(line.utf8))
        } catch {
            throw PluginError.unreadableToolOutput(String(text.prefix(200)))
        }
    }
}
