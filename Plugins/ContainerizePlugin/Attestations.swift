import Foundation

/// The SBOM (SPDX 2.3, from the link) and the provenance (SLSA v1 in an in-toto statement) of a
/// built image, and their attachment as OCI 1.1 referrers to where the image went: each push
/// (`containertool attach REF@DIGEST`) and each OCI layout (`containertool attach oci-layout:DIR@DIGEST`).
/// `--release` writes them into dist/ through here too; every other build into .build/containerize/.
/// The documents name no time unless SOURCE_DATE_EPOCH does, so the same inputs attach the same bytes.
struct Attestations {
    enum Kind: Hashable, CaseIterable {
        case sbom, provenance
    }

    /// One document written: what it is, where, and the artifact type it is attached as.
    struct Document {
        var kind: Kind
        var path: URL
        var artifactType: String { kind == .sbom ? "application/spdx+json" : "application/vnd.in-toto+json" }
    }

    /// What git says about the package (each nil outside a checkout).
    struct PackageFacts {
        /// `git describe --tags --always`.
        var described: String?
        var commit: String?
        /// The `origin` remote.
        var source: String?
        /// The last commit's author: the SBOM's supplier of the product.
        var supplier: String?
        /// The last commit's time, in seconds since 1970.
        var commitTime: String?

        static func read(_ packageDirectory: URL) -> PackageFacts {
            let git = { (arguments: [String]) -> String? in
                let result = try? Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["git", "-C", packageDirectory.path] + arguments, show: false)
                guard let result, result.status == 0 else { return nil }
                let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                return text.isEmpty ? nil : text
            }
            return PackageFacts(described: git(["describe", "--tags", "--always"]), commit: git(["rev-parse", "HEAD"]),
                                source: git(["remote", "get-url", "origin"]), supplier: git(["log", "-1", "--format=%an"]),
                                commitTime: git(["log", "-1", "--format=%ct"]))
        }

        /// The version a build without `--version` has: git's description without a leading `v`.
        var version: String {
            var version = described ?? "0.0.0-dev"
            if version.hasPrefix("v"), version.dropFirst().first?.isNumber == true { version.removeFirst() }
            return version
        }
    }

    var product: String
    var version: String
    var packageDirectory: URL
    var facts: PackageFacts
    /// `containertool sbom` options that name what the link used (`--link-trace …`); empty without a trace.
    var sbomLinkArguments: [String] = []
    /// `KEY=VALUE` external parameters of the build for the provenance (product, mode, flags, …).
    var buildParameters: [String] = []
    /// When the build started (RFC 3339), for the provenance; nil records no time.
    var started: String?
    /// The registry base as the build resolved it (`HOST/REPO[:TAG]@sha256:…`), a resolved dependency
    /// of the provenance; nil on scratch or a local base.
    var base: String?

    /// Writes the documents of `kinds` into `folder` (`PRODUCT.spdx.json`, `PRODUCT.provenance.json`)
    /// about `image` (`NAME@sha256:…`), the provenance's subjects being it and each of `pushed`.
    func write(_ kinds: Set<Kind>, into folder: URL, image: String, pushed: [String], tool: ContainerTool) throws -> [Document] {
        var written: [Document] = []
        if kinds.contains(.sbom) {
            let output = folder.appendingPathComponent("\(product).spdx.json")
            var sbom = ["--package-path", packageDirectory.path, "--product", product, "--version", version, "--output", output.path]
            if let source = facts.source { sbom += ["--source", source] }
            sbom += ["--image", image] + sbomLinkArguments
            if let supplier = facts.supplier { sbom += ["--supplier", supplier] }
            try tool.sbom(sbom)
            written.append(Document(kind: .sbom, path: output))
        }
        if kinds.contains(.provenance) {
            // SLSA provenance about the image as a registry stores it, under its tag and each pushed reference.
            let output = folder.appendingPathComponent("\(product).provenance.json")
            var provenance = ["--subject", image, "--package-path", packageDirectory.path, "--output", output.path]
            if let started { provenance += ["--started", started] }
            for pushed in pushed { provenance += ["--subject", pushed] }
            if let source = facts.source { provenance += ["--source", source] }
            if let revision = facts.commit { provenance += ["--revision", revision] }
            if let base { provenance += ["--base", base] }
            provenance += (["product=\(product)", "version=\(version)"] + buildParameters).flatMap { ["--parameter", $0] }
            try tool.provenance(provenance)
            written.append(Document(kind: .provenance, path: output))
        }
        return written
    }

    /// Attaches `documents` to `target`: a pushed `HOST/REPO@sha256:…` (with the build's registry
    /// options) or an `oci-layout:DIR@sha256:…`.
    static func attach(_ documents: [Document], to target: String, registryOptions: [String], tool: ContainerTool) throws -> [ToolContract.AttachedReferrer] {
        guard !documents.isEmpty else { return [] }
        let files = documents.flatMap { ["--file", $0.path.path + ":" + $0.artifactType] }
        return try tool.attach([target] + files + (target.hasPrefix("oci-layout:") ? [] : registryOptions))
    }

    /// What a build's options turn on.
    static func kinds(_ options: PluginArguments) -> Set<Kind> {
        Set(Kind.allCases.filter { $0 == .sbom ? !options.noSBOM : !options.noProvenance })
    }

    /// The provenance's external parameters of a build: mode, link, platforms, compiler flags, tool options.
    static func buildParameters(_ options: PluginArguments, flags: ToolContract.BuildFlags) -> [String] {
        ["mode=\(options.embedded ? "embedded" : "standard")", "link=\(flags.link)"]
            + options.platforms.map { "platform=\($0)" } + flags.swiftBuildFlags.map { "swiftBuildFlag=\($0)" }
            + options.passthrough.map { "containertoolOption=\($0)" }
    }

    /// Outside a release: writes the documents of `kinds` into `folder` and attaches them to every
    /// push and OCI layout of `report`; returns the summary's lines (the files, then each attachment).
    /// The image is in place by now, so a failure is a one-line warning that says how to skip them,
    /// not a failed push (a registry that takes no artifact manifests); a release, whose pipeline
    /// relies on them, fails instead.
    static func attachToOutputs(of report: ToolContract.BuildReport, kinds: Set<Kind>, product: String, packageDirectory: URL, folder: URL,
                                sbomLinkArguments: [String], buildParameters: [String], base: String?, registryOptions: () throws -> [String],
                                tool: ContainerTool) throws -> [String] {
        let targets = targets(of: report)
        guard !targets.isEmpty, !kinds.isEmpty else { return [] }
        let facts = PackageFacts.read(packageDirectory)
        let attestations = Attestations(product: product, version: facts.version, packageDirectory: packageDirectory, facts: facts,
                                        sbomLinkArguments: sbomLinkArguments, buildParameters: buildParameters, base: base)
        let documents: [Document]
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            documents = try attestations.write(kinds, into: folder, image: "\(report.tag)@\(report.digest)", pushed: report.pushed, tool: tool)
        } catch {
            printError("warning: no SBOM or provenance was made: \(error); the image is written (--no-attach skips them)")
            return []
        }
        var lines = documents.map(\.path.path)
        let options = try registryOptions()
        for target in targets {
            do {
                lines += try attach(documents, to: target, registryOptions: options, tool: tool).map { summaryLine(target: target, $0) }
            } catch {
                printError("warning: the SBOM and provenance were not attached to \(target): \(error); the image is written (--no-attach skips attaching)")
                lines.append("not attached to \(target): see the warning above")
            }
        }
        return lines
    }

    /// The targets of a build: every pushed reference, and every OCI layout at the image's digest there.
    static func targets(of report: ToolContract.BuildReport) -> [String] {
        report.pushed + report.outputs.filter { $0.kind == "oci-layout" }.map { "oci-layout:\($0.destination)@\($0.digest)" }
    }

    /// The summary's line for one attached document.
    static func summaryLine(target: String, _ referrer: ToolContract.AttachedReferrer) -> String {
        let image = target.hasPrefix("oci-layout:") ? "oci-layout:" + (referrer.ociLayout ?? "") : String(target.split(separator: "@").first ?? "")
        let place = referrer.ociLayout != nil ? " (index.json)" : referrer.viaReferrersAPI ? "" : " (fallback tag)"
        return "attached to \(image): \(referrer.artifactType) \(referrer.digest)\(place)"
    }
}
