import Foundation

/// `swift package containerize --release`: the pipeline step for any package that depends on the
/// plugin. Outputs are staged in a hidden folder beside dist/ and moved in whole at the end, so a
/// failed run leaves the old dist/ as it was:
///   dist/NAME.tar (docker archive), dist/NAME-oci.tar (OCI archive), dist/NAME.spdx.json (SPDX 2.3),
///   dist/NAME.provenance.json (SLSA Provenance v1 in an in-toto statement),
///   dist/digest (the manifest digest a registry stores), dist/attached.json (each push's referrers,
///   signature and attestations, when something was pushed), and the digest as the last stdout line.
struct Release {
    var product: String
    var version: String
    /// The git facts (revision, source, supplier), also the SBOM's and provenance's.
    var facts: Attestations.PackageFacts
    var tag: String
    var labels: [String]
    var packageDirectory: URL
    var dist: URL
    var staging: URL?
    var pushes: [String]
    /// `KEY=VALUE` external parameters of the build for the provenance (product, mode, flags, …).
    var buildParameters: [String] = []
    /// When the release started, for the provenance (RFC 3339).
    var started = ""
    /// Registry options for `containertool attach` (the build's `--plain-http`, `--registry-ca`, …).
    var attachOptions: [String] = []
    /// What is attached to each push (`--no-sbom`, `--no-provenance`, `--no-attach` remove them);
    /// dist/ has both documents either way.
    var attaching: Set<Attestations.Kind> = Set(Attestations.Kind.allCases)
    /// `--sign-key`: sign each push with it, with these registry options.
    var signing: (key: String, options: [String])?
    /// `containertool sbom` options that name what the link used (`--link-trace …`); empty without a trace.
    var sbomLinkArguments: [String] = []
    /// `containertool sbom` options that list the `--from` base (`--base …`); empty on scratch.
    var sbomBaseArguments: [String] = []
    /// The registry base as the build resolved it, for the provenance (`Attestations.base`).
    var provenanceBase: String?
    /// The paths in dist/ after `finish`, for the summary.
    var writtenFiles: [String] = []
    /// What `finish` attached to each pushed image, its signature and attestations, also written to dist/attached.json.
    var attached: [Attached] = []

    /// One pushed image's referrers, signature and attestations (`dist/attached.json` lists these).
    struct Attached: Codable {
        var image: String
        var referrers: [ToolContract.AttachedReferrer]
        var signature: ToolContract.SignatureReport?
        /// The provenance and the SBOM, signed under cosign's `.att` tag (with `--sign-key`).
        var attestations: [ToolContract.AttestationReport]? = nil
    }

    var outputs: [String] {
        guard let staging else { return [] }
        return ["docker-archive:" + staging.appendingPathComponent("\(product).tar").path,
                "oci-archive:" + staging.appendingPathComponent("\(product)-oci.tar").path]
    }

    /// Reads the release facts from git (all optional outside a checkout) and makes the staging folder.
    static func prepare(_ options: PluginArguments, product: String, packageDirectory: URL) throws -> Release {
        let facts = Attestations.PackageFacts.read(packageDirectory)
        var version = options.version ?? facts.version
        if version.hasPrefix("v"), version.dropFirst().first?.isNumber == true { version.removeFirst() }
        let revision = facts.commit ?? "unknown"
        let source = facts.source
        // One timestamp for the image and the SBOM: the last commit's, so every machine builds the same bytes.
        if (ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"] ?? "").isEmpty {
            setenv("SOURCE_DATE_EPOCH", facts.commitTime ?? "0", 1)
        }
        var labels = ["org.opencontainers.image.version=\(version)", "org.opencontainers.image.revision=\(revision)"]
        if let source { labels.append("org.opencontainers.image.source=\(source)") }

        let dist = URL(fileURLWithPath: options.dist ?? "dist", relativeTo: packageDirectory).standardizedFileURL
        try checkReplaceable(dist, packageDirectory: packageDirectory)
        let parent = dist.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        removeAbandonedStaging(beside: dist)
        let staging = parent.appendingPathComponent(".\(dist.lastPathComponent).staging-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        printError("release: \(product) \(version), revision \(revision)\(options.pushes.isEmpty ? "" : ", push " + options.pushes.joined(separator: " "))")
        return Release(product: product, version: version, facts: facts,
                       tag: PluginArguments.releaseTag(product: product, version: version), labels: labels,
                       packageDirectory: packageDirectory, dist: dist, staging: staging, pushes: options.pushes,
                       started: ISO8601DateFormatter().string(from: Date()))
    }

    /// Writes the SBOM and the digest, checks the pushes, and moves the staging folder to dist/.
    /// Returns the digest and the report with the outputs' final paths in dist/.
    mutating func finish(_ report: ContainerTool.BuildReport, tool: ContainerTool) throws -> (String, ContainerTool.BuildReport) {
        guard let staging else { throw PluginError.releaseFailed("the staging folder is gone") }
        guard let archive = report.outputs.first(where: { $0.kind == "oci-archive" }) else {
            throw PluginError.releaseFailed("containertool wrote no OCI archive")
        }
        let digest = archive.digest
        for pushed in report.pushed where !pushed.hasSuffix("@" + digest) {
            throw PluginError.releaseFailed("the registry holds \(pushed), not \(digest)")
        }
        // The SBOM and the provenance about the image as a registry stores it (the OCI archive's digest).
        let documents = try Attestations(product: product, version: version, packageDirectory: packageDirectory, facts: facts,
                                         sbomLinkArguments: sbomLinkArguments + sbomBaseArguments, buildParameters: buildParameters, started: started,
                                         base: provenanceBase)
            .write(Set(Attestations.Kind.allCases), into: staging, image: "\(tag)@\(digest)", pushed: report.pushed, tool: tool)
        try Data((digest + "\n").utf8).write(to: staging.appendingPathComponent("digest"))
        // Attached where the image went (OCI 1.1 referrers: the referrers API, or the fallback tag).
        for pushed in report.pushed {
            var done = Attached(image: pushed, referrers: [], signature: nil)
            done.referrers = try Attestations.attach(documents.filter { attaching.contains($0.kind) }, to: pushed, registryOptions: attachOptions, tool: tool)
            if let signing {
                done.signature = try tool.sign([pushed, "--key", signing.key] + signing.options)
                done.attestations = try attestations(of: pushed, signing: signing, tool: tool)
            }
            attached.append(done)
        }
        if !attached.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try (encoder.encode(attached) + Data("\n".utf8)).write(to: staging.appendingPathComponent("attached.json"))
        }

        // The old dist/ steps aside before the new one moves in, then goes.
        let previous = staging.appendingPathExtension("previous")
        let hadPrevious = FileManager.default.fileExists(atPath: dist.path)
        if hadPrevious { try FileManager.default.moveItem(at: dist, to: previous) }
        do {
            try FileManager.default.moveItem(at: staging, to: dist)
        } catch {
            if hadPrevious { try? FileManager.default.moveItem(at: previous, to: dist) }
            throw PluginError.releaseFailed("could not move the results into \(dist.path): \(error.localizedDescription)")
        }
        self.staging = nil
        try? FileManager.default.removeItem(at: previous)
        writtenFiles = ["\(product).spdx.json", "\(product).provenance.json", "digest"].map { dist.appendingPathComponent($0).path }
        if !attached.isEmpty { writtenFiles.append(dist.appendingPathComponent("attached.json").path) }
        for image in attached {
            for referrer in image.referrers {
                writtenFiles.append(Attestations.summaryLine(target: image.image, referrer))
            }
            if let signature = image.signature { writtenFiles.append("signed: \(signature.signatureTag) (\(signature.signatureManifest))") }
            for attestation in image.attestations ?? [] {
                writtenFiles.append("attested: \(attestation.attestationTag) \(attestation.predicateType) (\(attestation.attestationManifest))")
            }
        }
        var moved = report
        for index in moved.outputs.indices where moved.outputs[index].destination.hasPrefix(staging.path + "/") {
            moved.outputs[index].destination = dist.path + moved.outputs[index].destination.dropFirst(staging.path.count)
        }
        return (digest, moved)
    }

    /// The provenance (a statement already, signed as it is) and the SBOM (wrapped, predicate type
    /// `https://spdx.dev/Document`), attested about `pushed` with the signing key.
    func attestations(of pushed: String, signing: (key: String, options: [String]), tool: ContainerTool) throws -> [ToolContract.AttestationReport] {
        guard let staging else { throw PluginError.releaseFailed("the staging folder is gone") }
        return try [("\(product).provenance.json", "slsaprovenance1"), ("\(product).spdx.json", "spdxjson")].map { file, type in
            try tool.attest([pushed, "--key", signing.key, "--predicate", staging.appendingPathComponent(file).path, "--type", type] + signing.options)
        }
    }

    /// dist/ is replaced whole, so it must be a folder a release wrote (it has a `digest` file) or an
    /// empty one — never the package, a parent of it, or a folder of the user's files.
    static func checkReplaceable(_ dist: URL, packageDirectory: URL) throws {
        let path = dist.path, package = packageDirectory.standardizedFileURL.path
        if path == "/" || package == path || package.hasPrefix(path + "/") {
            throw PluginError.releaseFailed("--dist \(path) would replace the package itself; choose a folder such as dist")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        guard isDirectory.boolValue, entries.isEmpty || entries.contains("digest") else {
            throw PluginError.releaseFailed("\(path) exists and is not a release folder (no digest file), so it is not replaced; remove it or choose another --dist")
        }
    }

    /// Staging folders of runs that were killed (their process is gone) are removed.
    static func removeAbandonedStaging(beside dist: URL) {
        let parent = dist.deletingLastPathComponent()
        let prefix = ".\(dist.lastPathComponent).staging-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(prefix) {
            let pid = name.dropFirst(prefix.count).prefix { $0.isNumber }
            if let pid = Int32(pid), kill(pid, 0) == 0 || errno == EPERM { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    /// Removes the staging folder of a run that did not finish.
    func discardStaging() {
        if let staging { try? FileManager.default.removeItem(at: staging) }
    }
}
