import Foundation
import PackagePlugin

/// `containerize --resolve FILE_OR_DIR --push REGISTRY/PREFIX` (ko's `resolve`) and
/// `containerize --kubernetes`. The YAML work is `containertool resolve` and `containertool kubernetes`;
/// this file only orders the steps: check everything, then build and push each product once, then
/// print the manifests with the pinned images.
///
/// SwiftPM merges a plugin's standard error into its own standard output, so with `--resolve` the YAML
/// is the only thing this file prints: progress goes through `Diagnostics.progress` (SwiftPM's standard
/// error), and `containertool`'s progress lines too. `… --resolve deploy --push R/P > resolved.yaml` works.
///
/// Builds go through `NestedBuild` with `containertool build-flags`, and every `containertool` call
/// through `ContainerTool`, whose progress lines go to `Diagnostics.progress` as well.
enum KubernetesCommands {
    static func perform(_ options: PluginArguments, package: Package, tool: ContainerTool, swift: (URL, [String])) throws {
        let run = { (arguments: [String]) throws -> String in try tool.output(of: arguments) }
        if options.kubernetes {
            try writeStarter(options, package: package, run: run)
        } else {
            try resolve(options, package: package, tool: tool, swift: swift, run: run)
        }
    }

    // MARK: --kubernetes

    private static func writeStarter(_ options: PluginArguments, package: Package, run: ([String]) throws -> String) throws {
        guard options.resolve.isEmpty, options.outputs.isEmpty else {
            throw PluginUsageError("--kubernetes writes deploy/PRODUCT.yaml only; run --resolve … --push … as a second step")
        }
        let product = try ProductChoice.choose(options.product, in: package)
        let output = package.directoryURL.appendingPathComponent("deploy/\(product.name).yaml")
        let executables = package.products(ofType: ExecutableProduct.self).map(\.name)
        var arguments = ["kubernetes", "--product", product.name, "--output", output.path, "--executables", executables.joined(separator: ",")]
        if let port = options.port { arguments += ["--port", String(port)] }
        if let user = options.user { arguments += ["--user", user] }
        if options.force { arguments.append("--force") }
        print(try run(arguments), terminator: "")
        print("""

            Next:
              swift package --allow-writing-to-package-directory containerize --resolve deploy/\(product.name).yaml --push REGISTRY/PREFIX > resolved.yaml
              kubectl apply -f resolved.yaml
            """)
    }

    // MARK: --resolve

    /// What `containertool resolve --list --json` prints.
    private struct Listing: Decodable {
        struct Product: Decodable {
            var name: String
            var repository: String?
        }
        var products: [Product]
    }

    private static func resolve(_ options: PluginArguments, package: Package, tool: ContainerTool, swift: (URL, [String]),
                                run: ([String]) throws -> String) throws {
        let registries = options.outputs.filter { $0.hasPrefix("registry:") }
        guard registries.count == 1, registries.count == options.outputs.count else {
            throw PluginUsageError(registries.isEmpty
                ? "--resolve needs --push REGISTRY/PREFIX: each product is pushed to PREFIX/<product> and pinned by digest"
                : "--resolve takes one --push REGISTRY/PREFIX and no other --output")
        }
        let prefix = String(registries[0].dropFirst("registry:".count))
        let paths = options.resolve.map { URL(fileURLWithPath: $0, relativeTo: package.directoryURL).standardizedFileURL.path }
        let executables = package.products(ofType: ExecutableProduct.self).map(\.name)

        // 1. Every file parses and every product is known, before anything is built or pushed.
        let listingJSON = try run(["resolve"] + paths + ["--list", "--json", "--push", prefix,
                                                         "--executables", executables.joined(separator: ",")])
        let listing: Listing
        do {
            listing = try JSONDecoder().decode(Listing.self, from: Data(listingJSON.utf8))
        } catch {
            throw PluginError.unreadableToolOutput(listingJSON)
        }
        if listing.products.isEmpty { Diagnostics.warning("no image: swift://PRODUCT in \(options.resolve.joined(separator: " ")); printing it unchanged") }

        // 2. Build and push each product once.
        var images: [String] = []
        for item in listing.products {
            let product = try ProductChoice.choose(item.name, in: package)
            guard let repository = item.repository else { throw PluginError.unreadableToolOutput(listingJSON) }
            Diagnostics.progress("Building \(product.name) for swift://\(product.name) → \(repository)…")
            let (executables, first, flags) = try buildExecutables(product.name, options: options, tool: tool, swift: swift, package: package)
            var build = executables.flatMap { ["--executable", $0] } + ["--output", "registry:" + repository,
                         "--tag", "\(product.name.lowercased()):latest"]
            if let port = options.exposedPort(product: product.name) {
                build += (options.exposes.isEmpty ? ["\(port)/tcp"] : options.exposes).flatMap { ["--expose", $0] }
            } else {
                build += options.exposes.flatMap { ["--expose", $0] }
            }
            if let user = options.user { build += ["--user", user] }
            if options.isDynamicLibc && !options.passthrough.contains("--bundle-shared-libraries") { build.append("--bundle-shared-libraries") }
            let report = try tool.build(build + options.passthrough)
            guard let pinned = report.pushed.first(where: { $0.hasPrefix(repository + "@sha256:") }) else {
                throw PluginError.unreadableToolOutput(report.pushed.joined(separator: " "))
            }
            Diagnostics.progress("swift://\(product.name) → \(pinned)")
            if options.attachesAttestations {  // the SBOM and the provenance of each pushed image, as a plain --push has them
                let lines = try Attestations.attachToOutputs(
                    of: report, kinds: Attestations.kinds(options), product: product.name, packageDirectory: package.directoryURL,
                    folder: package.directoryURL.appendingPathComponent(".build/containerize"),
                    sbomLinkArguments: ContainerizePlugin.sbomLinkArguments(first, product: product.name, package: package, dynamicLibc: options.isDynamicLibc)
                        + (options.base == nil ? [] : options.sbomBaseArguments(pinned: report.base, platform: report.platform, acceptedBy: try tool.options(of: "sbom"))),
                    buildParameters: Attestations.buildParameters(options, flags: flags),
                    base: options.provenanceBase(pinned: report.base),
                    registryOptions: { options.passthrough(acceptedBy: try tool.options(of: "attach")) }, tool: tool)
                lines.forEach { Diagnostics.progress("  " + $0) }
            }
            images += ["--image", "\(product.name)=\(pinned)"]
        }

        // 3. The manifests with every reference pinned, on standard output.
        FileHandle.standardOutput.write(Data(try run(["resolve"] + paths + images).utf8))
    }

    // MARK: Build

    /// The product built as the image path builds it: one nested build per `--platform` (each with the
    /// flags and Swift SDK `containertool build-flags` gives), as `--executable [PLATFORM=]PATH` values.
    private static func buildExecutables(_ product: String, options: PluginArguments, tool: ContainerTool, swift: (URL, [String]),
                                         package: Package) throws -> (executables: [String], first: NestedBuild, flags: ToolContract.BuildFlags) {
        let root = package.directoryURL
        let sdks = LocalSwiftSDK.directory(packageDirectory: root)
        var executables: [String] = []
        var first: (NestedBuild, ToolContract.BuildFlags)?
        for platform in options.platforms.isEmpty ? [nil] : options.platforms.map(Optional.some) {
            let flags = try tool.buildFlags(embedded: options.embedded, link: options.link, platform: platform, swiftSDK: options.swiftSDK,
                                            swiftSDKsPath: options.swiftSDK == nil ? sdks.path : nil)
            if options.swiftSDK == nil, let sdk = flags.swiftSDK, let platform {
                try LocalSwiftSDK.ensure(sdk, platform: platform, in: sdks, package: package)
            }
            let build = NestedBuild(swift: swift, packageDirectory: root, flags: flags)
            _ = try build.build(product: product, flags: flags.swiftBuildFlags, embedded: options.embedded, dynamicLibc: options.isDynamicLibc,
                                needsLinkTrace: first == nil && options.attachesAttestations && !options.noSBOM)
            executables.append((platform.map { "\($0)=" } ?? "") + build.binary(for: product).path)
            if first == nil { first = (build, flags) }
        }
        guard let first else { throw PluginError.buildFailed("no platform was built for \(product)") }
        return (executables, first.0, first.1)
    }
}
