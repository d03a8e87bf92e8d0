import Foundation
import PackagePlugin

/// `swift package containerize`: pick the product, check every option with `containertool`, build
/// the product in its own scratch folder with the flags `containertool build-flags` gives, hand the
/// binary to `containertool build`, and only then render the Dockerfile (or, with `--release`, fill
/// dist/). All image, flag and rendering logic lives in `containertool`, where tests reach it.
@main
struct ContainerizePlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let package = context.package
        let verbose = arguments.contains("--verbose") || arguments.contains("-v")
        let tool = try ContainerTool.cached(in: package, swift: Self.swiftExecutable(context), verbose: verbose)
        var options = try PluginArguments.parse(arguments, tool: try tool.options(of: "build"))
        if options.help { return print(PluginHelp.text) }
        // The SBOM names the image's time: SOURCE_DATE_EPOCH, else the image's own (0), never "now",
        // so two builds of the same inputs (--resolve's too) attach the same bytes; a release sets the commit's time.
        if options.attachesAttestations && !options.release && (ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"] ?? "").isEmpty {
            setenv("SOURCE_DATE_EPOCH", "0", 1)
        }
        if options.kubernetes || !options.resolve.isEmpty {  // Kubernetes manifests: KubernetesCommands.swift
            return try KubernetesCommands.perform(options, package: package, tool: tool, swift: Self.swiftExecutable(context))
        }

        let product = try ProductChoice.choose(options.product, in: package)
        // URLSession cannot link fully static: choose the link that works before compiling, and say so.
        if options.link == nil && !options.embedded && !options.dockerfileOnly,
           let found = ProductChoice.dynamicOnlyImport(of: product, packageDirectory: package.directoryURL) {
            printError(LinkModeDetection.note(product: product.name, module: found.module, file: found.file))
            options.link = "dynamic-libc"
        }
        let executableCount = ProductChoice.userExecutables(in: package).count
        let root = package.directoryURL
        let dockerfile = URL(fileURLWithPath: options.dockerfilePath(product: product.name, executableProductCount: executableCount), relativeTo: root).standardizedFileURL
        let dockerfileArguments = dockerfileArguments(options, product: product.name, dockerfile: dockerfile, package: package)
            + options.passthrough(acceptedBy: try tool.options(of: "dockerfile"))
        let summaryStream: (String) -> Void = options.release ? { printError($0) } : { print($0) }

        if options.dockerfileOnly {
            let report = try tool.dockerfile(dockerfileArguments, dryRun: false)
            summaryStream("Dockerfile for '\(product.name)' (\(options.embedded ? "Embedded Swift" : "standard") build):")
            report.files.forEach { summaryStream("  \($0.path): \($0.outcome)") }
            summaryStream("\nNext:\n  docker build -f \(Subprocess.shellQuoted(dockerfile.path)) -t \(product.name.lowercased()):latest \(Subprocess.shellQuoted(root.path))")
            return
        }

        // Everything that can be checked is checked before the compiler starts.
        // One nested build per platform (`--platform a,b`), each with the flags (and Swift SDK) the tool gives.
        let sdks = LocalSwiftSDK.directory(packageDirectory: root)
        let builds = try (options.platforms.isEmpty ? [nil] : options.platforms.map(Optional.some)).map { platform in
            let flags = try tool.buildFlags(embedded: options.embedded, link: options.link, platform: platform, swiftSDK: options.swiftSDK,
                                            swiftSDKsPath: options.swiftSDK == nil ? sdks.path : nil)
            return (platform: platform, flags: flags, build: NestedBuild(swift: Self.swiftExecutable(context), packageDirectory: root, flags: flags))
        }
        let flags = builds[0].flags
        var release = options.release ? try Release.prepare(options, product: product.name, packageDirectory: root) : nil
        defer { release?.discardStaging() }
        let binary = builds[0].build.binary(for: product.name)
        let outputFolder = root.appendingPathComponent(".build/containerize")
        var executables = builds.map { entry in entry.platform.map { "\($0)=" } ?? "" }
        executables = zip(executables, builds).map { $0 + $1.build.binary(for: product.name).path }
        let buildArguments = buildArguments(options, product: product.name, executables: executables, outputFolder: outputFolder,
                                            release: release, bundle: flags.bundleSharedLibraries, host: flags.hostPlatform)
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        try tool.checkBuild(buildArguments)
        if options.rendersDockerfile { _ = try tool.dockerfile(dockerfileArguments, dryRun: true) }

        let linkDescription = options.embedded ? "Embedded Swift" : options.isDynamicLibc ? "static Swift runtime, dynamic glibc" : "static Swift runtime"
        for entry in builds {
            if options.swiftSDK == nil, let sdk = entry.flags.swiftSDK, let platform = entry.platform {
                try LocalSwiftSDK.ensure(sdk, platform: platform, in: sdks, package: package)
            }
            let target = entry.platform.map { " for \($0)" } ?? ""
            printError("Building \(product.name)\(target) (release, \(linkDescription), stripped) in \(entry.build.scratchPath)…")
            _ = try entry.build.build(product: product.name, flags: entry.flags.swiftBuildFlags, embedded: options.embedded, dynamicLibc: options.isDynamicLibc,
                                      needsLinkTrace: options.release || (options.attachesAttestations && !options.noSBOM))
        }
        let report = try tool.build(buildArguments)

        var written: [String] = []
        if options.rendersDockerfile {
            written = try tool.dockerfile(dockerfileArguments, dryRun: false).files.map { "\($0.path): \($0.outcome)" }
        } else if options.isDynamicLibc && !options.noDockerfile && !options.release {
            printError("note: no Dockerfile rendered: its build is fully static, and --link dynamic-libc is not")
        }
        let buildParameters = Attestations.buildParameters(options, flags: flags)
        let sbomLinkArguments = Self.sbomLinkArguments(builds[0].build, product: product.name, package: package, dynamicLibc: options.isDynamicLibc)
        let attaching = Attestations.kinds(options)
        // The SBOM lists the base of the image whose link it lists (the first platform's; without
        // --platform, the one image's, which a Swift SDK may have made for another architecture).
        let sbomBaseArguments = options.base == nil ? [] : options.sbomBaseArguments(pinned: report.base, platform: builds[0].platform ?? report.platform,
                                                                                     acceptedBy: try tool.options(of: "sbom"))
        let provenanceBase = options.provenanceBase(pinned: report.base)
        if var finished = release {
            finished.buildParameters = buildParameters
            finished.sbomLinkArguments = sbomLinkArguments
            finished.sbomBaseArguments = sbomBaseArguments
            finished.provenanceBase = provenanceBase
            finished.attachOptions = options.passthrough(acceptedBy: try tool.options(of: "attach"))
            finished.attaching = attaching
            if let key = options.signKey {
                finished.signing = (URL(fileURLWithPath: key, relativeTo: root).standardizedFileURL.path, options.passthrough(acceptedBy: try tool.options(of: "sign")))
            }
            let (digest, moved) = try finished.finish(report, tool: tool)
            release = nil
            Summary(report: moved, binary: binary, port: options.exposedPort(product: product.name), written: finished.writtenFiles, print: printError).show()
            print(digest)  // the last, and only, line on standard output
            return
        }
        if options.attachesAttestations {
            written += try Attestations.attachToOutputs(of: report, kinds: attaching, product: product.name, packageDirectory: root, folder: outputFolder,
                                                        sbomLinkArguments: sbomLinkArguments + sbomBaseArguments, buildParameters: buildParameters,
                                                        base: provenanceBase,
                                                        registryOptions: { options.passthrough(acceptedBy: try tool.options(of: "attach")) }, tool: tool)
        }
        Summary(report: report, binary: binary, port: options.exposedPort(product: product.name), written: written,
                running: options.run, print: summaryStream).show()
        if options.run {
            var arguments = [report.tag] + ["--engine", report.outputs.first { $0.kind == "engine" }?.destination ?? options.engine ?? "auto"]
            if let port = options.exposedPort(product: product.name) { arguments += ["--port", String(port)] }
            try tool.runContainer(arguments + ["--"] + options.runArguments)
        }
    }

    /// `containertool sbom` options naming what the product's last link used, when `build` traced it;
    /// with `dynamicLibc` also the shared libraries the image carries (the SBOM names each one's package).
    static func sbomLinkArguments(_ build: NestedBuild, product: String, package: Package, dynamicLibc: Bool) -> [String] {
        guard build.hasLinkTrace(for: product) else { return [] }
        return ["--link-trace", build.linkTracePrefix.path, "--build-directory", build.scratchDirectory.path, "--root-package", package.id]
            + moduleOwners(of: package).flatMap { ["--module-owner", $0] }
            + (dynamicLibc ? ["--bundled-libraries-of", build.binary(for: product).path] : [])
    }

    /// `MODULE=PACKAGE` for every module of the package and its dependency graph, so the SBOM can tell
    /// which SwiftPM package each linked object came from.
    static func moduleOwners(of root: Package) -> [String] {
        var owners: [String: String] = [:]
        var pending = [root]
        var visited: Set<String> = []
        while let package = pending.popLast() {
            guard visited.insert(package.id).inserted else { continue }
            for target in package.targets {
                owners[(target as? SourceModuleTarget)?.moduleName ?? target.name] = package.id
            }
            pending += package.dependencies.map(\.package)
        }
        return owners.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// The toolchain's `swift`: the plugin runs inside it, so it is found beside SwiftPM's other tools;
    /// else the first `swift` on PATH.
    static func swiftExecutable(_ context: PluginContext) -> (URL, [String]) {
        if let swift = try? context.tool(named: "swift").url { return (swift, []) }
        return (URL(fileURLWithPath: "/usr/bin/env"), ["swift"])
    }

    /// `containertool dockerfile …` for the package root.
    private func dockerfileArguments(_ options: PluginArguments, product: String, dockerfile: URL, package: Package) -> [String] {
        var arguments = [
            "--product", product, "--output", dockerfile.path,
            "--dockerignore", package.directoryURL.appendingPathComponent(".dockerignore").path,
            "--context", package.directoryURL.path,  // the `docker build` hint's context, wherever --dockerfile puts the file
        ]
        if let template = TemplateLocator.template(for: package) { arguments += ["--template", template.path] }
        if let image = options.builderImage { arguments += ["--builder-image", image] }
        if let port = options.exposedPort(product: product) { arguments += ["--port", String(port)] }
        arguments += options.exposes.flatMap { ["--expose", $0] }  // as the image: they replace --port
        if let user = options.user { arguments += ["--user", user] }
        if options.embedded { arguments.append("--embedded") }
        if options.force { arguments.append("--force") }
        return arguments
    }

    /// `containertool build …` with the plugin's defaults for whatever the user did not give, then
    /// every option the plugin does not own, unchanged.
    private func buildArguments(_ options: PluginArguments, product: String, executables: [String], outputFolder: URL,
                                release: Release?, bundle: Bool, host: String?) -> [String] {
        var arguments = executables.flatMap { ["--executable", $0] }
        // A docker archive holds one platform: the host's when it was built, else the first.
        if let first = options.platforms.first {
            arguments += ["--platform", options.platforms.first { $0 == host } ?? first]
        }
        var outputs = options.outputs
        if let release {
            outputs = release.outputs + outputs
        } else if let engine = options.engineOutput {
            // The edit loop writes only what is asked: the image goes into the engine, no archive or layout.
            outputs.append(engine)
        } else if outputs.isEmpty {
            outputs = ["docker-archive:" + outputFolder.appendingPathComponent("\(product).tar").path,
                       "oci-layout:" + outputFolder.appendingPathComponent("\(product)-oci").path]
        }
        arguments += outputs.flatMap { ["--output", $0] }
        arguments += ["--tag", options.tag ?? release?.tag ?? "\(product.lowercased()):latest"]
        let exposes = options.exposes.isEmpty ? options.exposedPort(product: product).map { ["\($0)/tcp"] } ?? [] : options.exposes
        arguments += exposes.flatMap { ["--expose", $0] }
        if let user = options.user { arguments += ["--user", user] }
        if let release { arguments += release.labels.flatMap { ["--label", $0] } }
        if bundle && !options.passthrough.contains("--bundle-shared-libraries") { arguments.append("--bundle-shared-libraries") }
        return arguments + options.passthrough
    }
}
