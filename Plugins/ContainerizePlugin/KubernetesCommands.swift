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
/// Integration seams (two functions below): `buildBinary` (the static build) and `tool` (running
/// `containertool`); nothing else here depends on how the plugin builds or runs its tool.
enum KubernetesCommands {
    static func perform(_ options: PluginArguments, context: PluginContext, packageManager: PackageManager) throws {
        let containertool = try context.tool(named: "containertool").url
        let run = { (arguments: [String]) throws -> String in
            try tool(containertool, arguments, verbose: options.verbose)
        }
        if options.kubernetes {
            try writeStarter(options, package: context.package, run: run)
        } else {
            try resolve(options, package: context.package, packageManager: packageManager, run: run)
        }
    }

    // MARK: --kubernetes

    private static func writeStarter(_ options: PluginArguments, package: Package, run: ([String]) throws -> String) throws {
        guard options.resolve.isEmpty, options.outputs.isEmpty else {
            throw PluginError.usage("--kubernetes writes deploy/PRODUCT.yaml only; run --resolve … --push … as a second step")
        }
        let product = try ProductChoice.choose(options.product, in: package)
        let output = package.directoryURL.appendingPathComponent("deploy/\(product.name).yaml")
        var arguments = ["kubernetes", "--product", product.name, "--output", output.path]
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

    /// The part of `containertool build --json`'s result this file reads.
    private struct Pushed: Decodable {
        var pushed: [String]?
    }

    /// What `containertool resolve --list --json` prints.
    private struct Listing: Decodable {
        struct Product: Decodable {
            var name: String
            var repository: String?
        }
        var products: [Product]
    }

    private static func resolve(_ options: PluginArguments, package: Package, packageManager: PackageManager,
                                run: ([String]) throws -> String) throws {
        let registries = options.outputs.filter { $0.hasPrefix("registry:") }
        guard registries.count == 1, registries.count == options.outputs.count else {
            throw PluginError.usage(registries.isEmpty
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
            let binary = try buildBinary(product, options: options, packageManager: packageManager)
            let port = options.port ?? 8080
            let exposes = options.exposes.isEmpty ? ["\(port)/tcp"] : options.exposes
            var build = ["build", "--executable", binary.path, "--json", "--output", "registry:" + repository,
                         "--tag", "\(product.name.lowercased()):latest"]
            build += exposes.flatMap { ["--expose", $0] }
            if let user = options.user { build += ["--user", user] }
            let json = try run(build + options.passthrough)
            let line = json.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? json
            guard let report = try? JSONDecoder().decode(Pushed.self, from: Data(line.utf8)),
                  let pinned = report.pushed?.first(where: { $0.hasPrefix(repository + "@sha256:") }) else {
                throw PluginError.unreadableToolOutput(json)
            }
            Diagnostics.progress("swift://\(product.name) → \(pinned)")
            images += ["--image", "\(product.name)=\(pinned)"]
        }

        // 3. The manifests with every reference pinned, on standard output.
        FileHandle.standardOutput.write(Data(try run(["resolve"] + paths + images).utf8))
    }

    // MARK: Seams

    /// The product built fully static (the same build as the image path).
    private static func buildBinary(_ product: ExecutableProduct, options: PluginArguments, packageManager: PackageManager) throws -> URL {
        try StaticBuild.build(product, embedded: options.embedded, verbose: options.verbose, packageManager: packageManager)
    }

    /// Runs containertool and returns its standard output. Its standard error (progress) is passed on
    /// line by line as `Diagnostics.progress` (never onto SwiftPM's standard output); a failure becomes
    /// its own first message, one line.
    private static func tool(_ url: URL, _ arguments: [String], verbose: Bool) throws -> String {
        if verbose { Diagnostics.progress("+ containertool " + arguments.joined(separator: " ")) }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        // stderr goes to a file, not a second pipe: reading two pipes in turn can deadlock.
        let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("containerize-k8s-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorLog) }
        process.standardError = try FileHandle(forWritingTo: errorLog)
        try process.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            // The first line is the message (a usage hint may follow).
            let message = stderr.split(separator: "\n").first.map(String.init) ?? ""
            throw PluginError.toolReported(message.isEmpty ? "containertool \(arguments.first ?? "") failed with status \(process.terminationStatus)" : message)
        }
        for line in stderr.split(separator: "\n") { Diagnostics.progress(String(line)) }
        return stdout
    }
}
