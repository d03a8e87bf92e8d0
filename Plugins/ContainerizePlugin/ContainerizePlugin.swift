import Foundation
import PackagePlugin

/// `swift package containerize`: pick the product, render the Dockerfile, build the product
/// fully static through SwiftPM, and hand the binary to `containertool build`.
/// All rendering and image logic lives in `containertool` and its libraries, where tests reach it.
@main
struct ContainerizePlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let options = try PluginArguments.parse(arguments)
        if options.help {
            print(PluginArguments.help)
            return
        }
        if options.kubernetes || !options.resolve.isEmpty {  // Kubernetes manifests: KubernetesCommands.swift
            return try KubernetesCommands.perform(options, context: context, packageManager: packageManager)
        }
        let package = context.package
        let product = try ProductChoice.choose(options.product, in: package)
        let containertool = try context.tool(named: "containertool").url
        let port = options.port ?? 8080
        var written: [String] = []

        if !options.noDockerfile {
            let rendered = try ToolRunner.run(
                containertool, dockerfileArguments(options, product: product.name, package: package),
                streamProgress: false, verbose: options.verbose)
            // `containertool dockerfile` prints a heading, then one "  PATH: created|updated|…" line per file.
            written += rendered.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let tag = options.tag ?? "\(product.name.lowercased()):latest"
        if options.dockerfileOnly {
            print("Dockerfile for '\(product.name)' (\(options.embedded ? "Embedded Swift" : "standard") build):")
            written.forEach { print("  \($0)") }
            print("\nNext:\n  docker build -t \(tag) \(ToolRunner.shellQuoted(package.directoryURL.path))")
            print("  docker run --rm -p \(port):\(port) \(tag)")
            return
        }

        Diagnostics.progress("Building \(product.name) (release, \(options.embedded ? "Embedded Swift" : "static Swift runtime"), stripped)…")
        let binary = try StaticBuild.build(
            product, embedded: options.embedded, verbose: options.verbose, packageManager: packageManager)
        // containertool checks that the binary is static (or bundles its libraries when asked)
        // before it assembles anything.
        let outputFolder = package.directoryURL.appendingPathComponent(".build/containerize")
        try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        let json = try ToolRunner.run(
            containertool, buildArguments(options, product: product.name, tag: tag, binary: binary, outputFolder: outputFolder, port: port),
            streamProgress: true, verbose: options.verbose)
        let report = try BuildReport.decode(json)
        printSummary(report, product: product.name, binary: binary, written: written, port: port)
    }

    /// `containertool dockerfile …` for the package root.
    private func dockerfileArguments(_ options: PluginArguments, product: String, package: Package) -> [String] {
        let root = package.directoryURL
        var arguments = [
            "dockerfile", "--product", product,
            "--output", root.appendingPathComponent("Dockerfile").path,
            "--dockerignore", root.appendingPathComponent(".dockerignore").path,
        ]
        if let template = TemplateLocator.template(for: package) { arguments += ["--template", template.path] }
        if let image = options.builderImage { arguments += ["--builder-image", image] }
        if let port = options.port { arguments += ["--port", String(port)] }
        if let user = options.user { arguments += ["--user", user] }
        if options.embedded { arguments.append("--embedded") }
        if options.force { arguments.append("--force") }
        return arguments
    }

    /// `containertool build …` with the plugin's defaults for whatever the user did not give.
    private func buildArguments(
        _ options: PluginArguments, product: String, tag: String, binary: URL, outputFolder: URL, port: Int
    ) -> [String] {
        var arguments = ["build", "--executable", binary.path, "--json"]
        let outputs = options.outputs.isEmpty
            ? ["docker-archive:" + outputFolder.appendingPathComponent("\(product).tar").path,
               "oci-layout:" + outputFolder.appendingPathComponent("\(product)-oci").path]
            : options.outputs
        arguments += outputs.flatMap { ["--output", $0] }
        arguments += ["--tag", tag]
        let exposes = options.exposes.isEmpty ? ["\(port)/tcp"] : options.exposes
        arguments += exposes.flatMap { ["--expose", $0] }
        if let user = options.user { arguments += ["--user", user] }
        return arguments + options.passthrough
    }

    private func printSummary(_ report: BuildReport, product: String, binary: URL, written: [String], port: Int) {
        let binarySize = (try? FileManager.default.attributesOfItem(atPath: binary.path)[.size] as? Int) ?? nil
        print("""

            Image   \(report.tag)
            digest  \(report.digest)
            ID      \(report.configDigest) (the image ID `docker images` shows)
            size    \(humanSize(report.uncompressedSize)) uncompressed, \(humanSize(report.compressedSize)) compressed
            binary  \(binary.path)\(binarySize.map { " (\(humanSize($0)))" } ?? "")

            Written:
            """)
        for output in report.outputs { print("  \(output.kind): \(output.destination)") }
        for pushed in report.pushed ?? [] { print("  pushed: \(pushed)") }
        for line in written { print("  \(line)") }

        print("\nNext:")
        if let archive = report.outputs.first(where: { $0.kind == "docker-archive" }) {
            print("  docker load -i \(ToolRunner.shellQuoted(archive.destination))")
            print("  docker run --rm -p \(port):\(port) \(report.tag)")
        } else if let layout = report.outputs.first(where: { $0.kind == "oci-layout" }) {
            print("  skopeo copy \(ToolRunner.shellQuoted("oci:" + layout.destination)) docker-daemon:\(report.tag)")
            print("  docker run --rm -p \(port):\(port) \(report.tag)")
        } else if let pushed = report.pushed?.first {
            print("  docker run --rm -p \(port):\(port) \(pushed)")
        }
    }
}
