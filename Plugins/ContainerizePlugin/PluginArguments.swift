// Pure code (no PackagePlugin, no Foundation): Tests/ContainerizePluginTests compiles this very file
// through a symlink, since a plugin target cannot be imported by tests.

/// The command line of `swift package containerize`: the plugin's own options, plus every option of
/// `containertool build` (learnt from `containertool build --describe-options`), which go to the
/// tool unchanged and in order, so a new `build` option needs no plugin change.
struct PluginArguments: Equatable {
    var product: String?
    var embedded = false
    /// `--link static|dynamic-libc`; checked by `containertool build-flags`.
    var link: String?
    var dockerfileOnly = false
    var noDockerfile = false
    /// `--dockerfile PATH`: where the rendered Dockerfile goes.
    var dockerfile: String?
    var force = false
    var builderImage: String?
    var port: Int?
    var user: String?
    var verbose = false
    var help = false
    /// `--release`: write dist/ (docker archive, OCI archive, SBOM, digest), digest as the last stdout line.
    var release = false
    /// `--no-sbom`: no SBOM is made for, or attached to, a push or an OCI layout (a release still
    /// writes it to dist/).
    var noSBOM = false
    /// `--no-provenance`: the same for the SLSA provenance.
    var noProvenance = false
    /// `--sign-key FILE`: a release signs each pushed image (cosign format) with this EC P-256 PEM key.
    var signKey: String?
    var version: String?
    var dist: String?
    /// `--resolve FILE_OR_DIR` (repeatable) and `--kubernetes`: see KubernetesCommands.swift.
    var resolve: [String] = []
    var kubernetes = false
    /// `--output KIND:DEST` values, including those from `--push REF`.
    var outputs: [String] = []
    /// The `--push REF` values alone (the summary and `--release` name them).
    var pushes: [String] = []
    var tag: String?
    var exposes: [String] = []
    /// `--platform linux/amd64,linux/arm64` (comma-separated, repeatable): one build per platform and
    /// one image index; empty builds for the host.
    var platforms: [String] = []
    /// `--swift-sdk NAME`: the Swift SDK the nested build goes through (e.g. the Static Linux SDK's).
    var swiftSDK: String?
    /// `--load`: put the image into the local engine (streamed into `docker load`/`podman load`).
    var load = false
    /// `--run`: load it, then run it in the foreground with its port published; Ctrl-C stops and removes it.
    var run = false
    /// `--engine docker|podman|auto` for `--load`/`--run` (default auto: Docker if it answers, else Podman).
    var engine: String?
    /// `--run -- ARG…`: the words after `--`, given to the container after its entrypoint.
    var runArguments: [String] = []
    /// Every other `containertool build` option, in the order given, each with its value if it takes one.
    var passthroughOptions: [[String]] = []
    /// The same, flat: what is appended to `containertool build`.
    var passthrough: [String] { passthroughOptions.flatMap { $0 } }

    /// The passed-through options another subcommand (`containertool dockerfile`) also accepts, so
    /// an image option the Dockerfile can honour reaches it without a plugin change.
    func passthrough(acceptedBy other: ToolOptions) -> [String] {
        passthroughOptions.filter { other.valueOptions.contains($0[0]) || other.flags.contains($0[0]) }.flatMap { $0 }
    }

    /// The `--from` value given for `containertool build`, when it names a base (not `scratch`).
    var base: String? {
        guard let from = passthroughOptions.last(where: { $0.count == 2 && $0[0] == "--from" })?[1], from != "scratch" else { return nil }
        return from
    }

    /// `containertool sbom` options that list the base of a `--from` build: the base as the build
    /// resolved it (`pinned`, the build report's `HOST/REPO:TAG@sha256:…`, so a tag that moved since
    /// cannot give the SBOM another base; else the reference as given), the platform whose image the
    /// SBOM describes, and the build's registry options that `sbom` also accepts (`--plain-http`,
    /// `--registry-ca`, …). Empty without a base.
    func sbomBaseArguments(pinned: String? = nil, platform: String?, acceptedBy sbom: ToolOptions) -> [String] {
        guard let base else { return [] }
        var arguments = ["--base", pinned ?? base]
        if let platform { arguments += ["--platform", platform] }
        let shared = passthroughOptions.filter { $0[0] != "--from" && (sbom.valueOptions.contains($0[0]) || sbom.flags.contains($0[0])) }
        return arguments + shared.flatMap { $0 }
    }

    /// The registry base the provenance names: as the build pinned a tag (`pinned`, the build report's
    /// `HOST/REPO:TAG@sha256:…`), or as given when given by digest; nil on scratch and for a local
    /// base (it has no registry digest to name).
    func provenanceBase(pinned: String?) -> String? {
        if let pinned { return pinned }
        guard let base, base.contains("@sha256:"), !["oci-layout:", "oci-archive:", "docker-archive:"].contains(where: base.hasPrefix) else { return nil }
        return base
    }

    /// The options `containertool build` accepts: `--describe-options` prints this table.
    struct ToolOptions: Equatable {
        var valueOptions: Set<String>
        var flags: Set<String>
        /// Options of `containertool build` the plugin sets itself; a user cannot pass them.
        static let reserved: Set<String> = ["--executable", "--json", "--dry-run", "--describe-options"]
    }

    /// The plugin's options that take a value.
    static let ownValueOptions: Set<String> = [
        "--product", "--link", "--dockerfile", "--builder-image", "--port", "--user", "--version", "--dist", "--sign-key",
        "--push", "--output", "--tag", "--expose", "--resolve", "--platform", "--swift-sdk", "--engine",
    ]
    /// The plugin's flags.
    static let ownFlags: Set<String> = [
        "--embedded", "--dockerfile-only", "--no-dockerfile", "--force", "--release", "--no-attach", "--no-sbom", "--no-provenance", "--kubernetes", "--verbose", "-v", "--help", "-h",
        "--load", "--run",
    ]

    static func parse(_ arguments: [String], tool: ToolOptions) throws(PluginUsageError) -> PluginArguments {
        var parsed = PluginArguments()
        var remaining = arguments[...]
        while let next = remaining.popFirst() {
            if next == "--" {  // `--run -- ARG…`: the rest is the container's
                parsed.runArguments = Array(remaining)
                guard parsed.run else { throw PluginUsageError("arguments after -- go to the container: add --run") }
                break
            }
            // `--option=value` is `--option value`; a value is taken whole whatever it looks like
            // (`--cmd --port=9000` passes `--port=9000` to the product).
            var name = next
            var inlineValue: String?
            if next.hasPrefix("--"), let equals = next.firstIndex(of: "=") {
                name = String(next[..<equals])
                inlineValue = String(next[next.index(after: equals)...])
            }
            let takesValue = ownValueOptions.contains(name) || (!ownFlags.contains(name) && tool.valueOptions.contains(name))
            let isFlag = ownFlags.contains(name) || tool.flags.contains(name)
            guard !ToolOptions.reserved.contains(name), takesValue || isFlag else {
                if !next.hasPrefix("-") { throw PluginUsageError("unexpected argument '\(next)' (options start with --)") }
                throw PluginUsageError("unknown option '\(name)'" + (Self.closestOption(to: name, tool: tool).map { "; did you mean \($0)?" } ?? ""))
            }
            var value = ""
            if takesValue {
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard let following = remaining.popFirst() else { throw PluginUsageError("\(name) needs a value") }
                    value = following
                }
            } else if inlineValue != nil {
                throw PluginUsageError("\(name) takes no value")
            }
            switch name {
            case "--product": parsed.product = value
            case "--link": parsed.link = value
            case "--dockerfile": parsed.dockerfile = value
            case "--builder-image": parsed.builderImage = value
            case "--port":
                guard let port = Int(value), (1...65535).contains(port) else {
                    throw PluginUsageError("--port needs a number from 1 to 65535, not '\(value)'")
                }
                parsed.port = port
            case "--user":
                let ids = value.split(separator: ":", omittingEmptySubsequences: false)
                guard ids.count == 2, ids.allSatisfy({ UInt32($0) != nil }) else {
                    throw PluginUsageError("--user needs a numeric UID:GID such as 65532:65532, not '\(value)'")
                }
                parsed.user = value
            case "--version": parsed.version = value
            case "--dist": parsed.dist = value
            case "--sign-key": parsed.signKey = value
            case "--push":
                parsed.pushes.append(value)
                parsed.outputs.append("registry:" + value)
            case "--output": parsed.outputs.append(value)
            case "--tag": parsed.tag = value
            case "--expose": parsed.exposes.append(value)
            case "--platform":
                for platform in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                    guard !platform.isEmpty else { throw PluginUsageError("--platform '\(value)' has an empty entry; write e.g. linux/amd64,linux/arm64") }
                    guard !parsed.platforms.contains(platform) else { throw PluginUsageError("--platform \(platform) is given twice") }
                    parsed.platforms.append(platform)
                }
            case "--swift-sdk": parsed.swiftSDK = value
            case "--engine":
                guard ["docker", "podman", "auto"].contains(value) else {
                    throw PluginUsageError("--engine needs docker, podman or auto, not '\(value)'")
                }
                parsed.engine = value
            case "--load": parsed.load = true
            case "--run": parsed.run = true
            case "--embedded": parsed.embedded = true
            case "--dockerfile-only": parsed.dockerfileOnly = true
            case "--no-dockerfile": parsed.noDockerfile = true
            case "--force": parsed.force = true
            case "--release": parsed.release = true
            case "--no-attach":  // both of the below: what it meant when only a release attached
                parsed.noSBOM = true
                parsed.noProvenance = true
            case "--no-sbom": parsed.noSBOM = true
            case "--no-provenance": parsed.noProvenance = true
            case "--resolve": parsed.resolve.append(value)
            case "--kubernetes": parsed.kubernetes = true
            case "--verbose", "-v": parsed.verbose = true
            case "--help", "-h": parsed.help = true
            default: parsed.passthroughOptions.append(takesValue ? [name, value] : [name])
            }
        }
        try parsed.checkCombinations()
        return parsed
    }

    private func checkCombinations() throws(PluginUsageError) {
        if dockerfileOnly && noDockerfile { throw PluginUsageError("--dockerfile-only and --no-dockerfile exclude each other") }
        if signKey != nil && (!release || pushes.isEmpty) {
            throw PluginUsageError("--sign-key signs what a release pushes; add --release and --push REF")
        }
        if release && dockerfileOnly { throw PluginUsageError("--release builds an image; drop --dockerfile-only") }
        if release && outputs.count != pushes.count {
            throw PluginUsageError("--release writes its own outputs into dist/; use --push REF for a registry and --dist DIR for the folder")
        }
        if !release && (version != nil || dist != nil) {
            throw PluginUsageError("--version and --dist belong to --release; add --release")
        }
        // An empty value (an unset shell variable) made a release labelled version '' and tagged 'v'.
        if version?.isEmpty == true { throw PluginUsageError("--version needs a version such as 1.2.0, not ''") }
        if (load || run) && (release || dockerfileOnly || kubernetes || !resolve.isEmpty) {
            let other = release ? "--release" : dockerfileOnly ? "--dockerfile-only" : kubernetes ? "--kubernetes" : "--resolve"
            throw PluginUsageError("--\(run ? "run" : "load") puts the image into the local engine; it does not combine with \(other)")
        }
        if engine != nil && !(load || run) { throw PluginUsageError("--engine chooses the engine of --load or --run; add one of them") }
        if platforms.count > 1 && swiftSDK != nil {
            throw PluginUsageError("--swift-sdk names the SDK of one platform; build one --platform at a time with it")
        }
        if isDynamicLibc && dockerfileOnly {
            throw PluginUsageError("the rendered Dockerfile builds fully static only; drop --link dynamic-libc or --dockerfile-only")
        }
    }

    /// The known option nearest to a mistyped one (`--no-sboms` → `--no-sbom`): one edit away (two
    /// for a name of 7 characters or more, where two edits still leave it recognisable), and only
    /// when one option is the nearest.
    static func closestOption(to name: String, tool: ToolOptions) -> String? {
        let known = ownValueOptions.union(ownFlags).union(tool.valueOptions).union(tool.flags).subtracting(ToolOptions.reserved)
        let limit = name.count >= 7 ? 2 : 1
        let scored = known.filter { $0.hasPrefix("--") }.map { (option: $0, distance: editDistance(Array(name), Array($0))) }.filter { $0.distance <= limit }
        guard let best = scored.map(\.distance).min() else { return nil }
        let nearest = scored.filter { $0.distance == best }
        return nearest.count == 1 ? nearest[0].option : nil
    }

    /// Levenshtein distance (insertions, deletions, substitutions).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The attestations (SBOM, provenance) a build attaches: every push and every OCI layout gets
    /// them unless turned off; docker and OCI archives and the local engine have no place for
    /// referrers. A release's own outputs are archives, so only its pushes count there.
    var attachesAttestations: Bool {
        guard !(noSBOM && noProvenance), !dockerfileOnly else { return false }
        if release { return !pushes.isEmpty }
        if outputs.isEmpty { return !(load || run) }  // the default outputs include an OCI layout
        return outputs.contains { $0.hasPrefix("registry:") || $0.hasPrefix("oci-layout:") }
    }

    /// `engine:NAME` for `--load`/`--run`, else nil.
    var engineOutput: String? { load || run ? "engine:" + (engine ?? "auto") : nil }

    /// True for `--link dynamic-libc`: the image carries the shared-library closure and the loader.
    var isDynamicLibc: Bool { link == "dynamic-libc" }

    /// Whether a Dockerfile is rendered: not for `--no-dockerfile`, `--release` or a dynamic link
    /// (the rendered Dockerfile's build is fully static).
    var rendersDockerfile: Bool { !noDockerfile && !release && !isDynamicLibc }

    /// The port the image declares and the `docker run -p` hint uses: the one given, else 8080 for
    /// HelloWeb (known to listen there), else none — a command-line tool exposes nothing.
    func exposedPort(product: String) -> Int? {
        port ?? (product == "HelloWeb" ? 8080 : nil)
    }

    /// The rendered Dockerfile's path relative to the package root: `--dockerfile PATH`, else
    /// `Dockerfile` for a package with one executable product and `Dockerfile.<product>` for several,
    /// so one product's Dockerfile never replaces another's.
    func dockerfilePath(product: String, executableProductCount: Int) -> String {
        dockerfile ?? (executableProductCount > 1 ? "Dockerfile.\(product)" : "Dockerfile")
    }

    /// The docker archive's tag in `--release`: `<product lowercased>:<version>`, the version made a valid tag.
    static func releaseTag(product: String, version: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        var tag = String(version.map { allowed.contains($0) ? $0 : "-" }.prefix(128))
        if tag.isEmpty || tag.first == "." || tag.first == "-" { tag = "v" + tag.prefix(127) }
        return product.lowercased() + ":" + tag
    }
}

/// A mistake on the plugin's command line.
struct PluginUsageError: Error, CustomStringConvertible, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { "\(message)\nRun `swift package containerize --help` for the options." }
}
