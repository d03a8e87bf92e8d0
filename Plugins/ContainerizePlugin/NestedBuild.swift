import Foundation

/// Builds one product in release with the flags `containertool build-flags` gives, through a nested
/// `swift build` with its own scratch path. Why not `PackageManager.build`: it builds into the
/// package's normal release folder, so flags that differ from a plain `swift build -c release`
/// recompile everything every time the user alternates the two; and it shows no progress until the
/// end. A separate `--scratch-path` keeps both builds incremental, and the child's output streams live.
struct NestedBuild {
    /// `swift`, and the arguments before `build` (`["swift"]` when it is run through /usr/bin/env).
    let swift: (executable: URL, leadingArguments: [String])
    let packageDirectory: URL
    /// One folder per set of flags (standard, embedded, dynamic-libc), so switching modes rebuilds
    /// nothing either. Relative to the package root; inside `.build`, which every .gitignore and
    /// .dockerignore already skips.
    let scratchPath: String
    /// The Swift SDK the flags build through, for the error when it is missing.
    let swiftSDK: String?
    /// The linker flags that write the link trace, `{prefix}` not yet replaced (see `linkTracePrefix`).
    let linkTraceFlags: [String]

    init(swift: (URL, [String]), packageDirectory: URL, flags: ToolContract.BuildFlags) {
        self.swift = swift
        self.packageDirectory = packageDirectory
        swiftSDK = flags.swiftSDK
        linkTraceFlags = flags.linkTraceFlags ?? []
        let suffix = [flags.mode == "standard" ? nil : flags.mode, flags.link == "static" ? nil : flags.link,
                      (flags.platform ?? flags.swiftSDK).map { $0.replacingOccurrences(of: "/", with: "-") }].compactMap { $0 }
        scratchPath = ([".build/containerize-build"] + suffix).joined(separator: "-")
    }

    var scratchDirectory: URL { packageDirectory.appendingPathComponent(scratchPath) }

    /// Where the product's binary lands.
    func binary(for product: String) -> URL {
        scratchDirectory.appendingPathComponent("release").appendingPathComponent(product)
    }

    /// Where the last link in this scratch folder wrote what it used (`.link-inputs`, `.why-extract`):
    /// one path for every product, so the flags, and SwiftPM's plan, stay the same across products.
    var linkTracePrefix: URL { scratchDirectory.appendingPathComponent("containerize-link-trace") }

    /// Whether the trace on disk is the link of `product` (its dependency file names the binary
    /// as its target): another product's link, or an up-to-date binary never traced, is not.
    func hasLinkTrace(for product: String) -> Bool {
        guard let text = try? String(contentsOf: linkTracePrefix.appendingPathExtension("link-inputs"), encoding: .utf8),
              let colon = text.range(of: ":") else { return false }
        let target = URL(fileURLWithPath: String(text[..<colon.lowerBound])).resolvingSymlinksInPath().path
        return target == binary(for: product).resolvingSymlinksInPath().path
    }

    /// Runs the build; returns its log. Throws a one-line error that says what to do. With
    /// `needsLinkTrace`, a binary that is up to date but whose link was not traced is relinked.
    func build(product: String, flags: [String], embedded: Bool, dynamicLibc: Bool, needsLinkTrace: Bool = false) throws -> BuildLog {
        let log = try buildOnce(product: product, flags: flags, embedded: embedded, dynamicLibc: dynamicLibc)
        guard needsLinkTrace, !linkTraceFlags.isEmpty, !hasLinkTrace(for: product) else { return log }
        try? FileManager.default.removeItem(at: binary(for: product))
        return try buildOnce(product: product, flags: flags, embedded: embedded, dynamicLibc: dynamicLibc)
    }

    /// The environment without the shell's bookkeeping (`_`, `OLDPWD`, `SHLVL`, `PWD`): SwiftPM plans
    /// the build again (0.2–1 s) whenever any variable differs from the last build's, and these differ
    /// between `swift package …` typed in a terminal, run through `time`, or from a script.
    static func stableEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { !["_", "OLDPWD", "SHLVL", "PWD"].contains($0.key) }
    }

    private func buildOnce(product: String, flags: [String], embedded: Bool, dynamicLibc: Bool) throws -> BuildLog {
        let trace = linkTraceFlags.map { $0.replacingOccurrences(of: "{prefix}", with: linkTracePrefix.path) }
        let arguments = swift.leadingArguments + ["build", "-c", "release", "--product", product, "--scratch-path", scratchDirectory.path] + flags + trace
        let result = try Subprocess.run(swift.executable, arguments, in: packageDirectory,
                                        environment: Self.stableEnvironment(ProcessInfo.processInfo.environment), mergeOutput: true)
        let log = BuildLog(text: result.stderr)
        guard result.status == 0 else {
            throw PluginError.buildFailed(log.failureMessage(product: product, embedded: embedded, dynamicLibc: dynamicLibc, swiftSDK: swiftSDK))
        }
        guard FileManager.default.isExecutableFile(atPath: binary(for: product).path) else {
            throw PluginError.builtBinaryMissing(path: binary(for: product).path)
        }
        if log.hasStaticGlibcWarnings { printError(BuildLog.staticGlibcNote) }
        return log
    }
}
