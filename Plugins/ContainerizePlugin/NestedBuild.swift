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

    /// The first nested build would resolve the graph and check out every dependency again (11 s for
    /// a Hummingbird app here), although SwiftPM did that for `.build` a moment ago to load the plugin:
    /// so the first one starts from a copy of `.build`'s checkouts and their state (1.3 s for that
    /// app's 184 MB). A copy, not links: a later update of one folder must not touch the other. The
    /// state file comes last, so an interrupted copy counts as none and is redone.
    func seedDependencies() {
        let outer = packageDirectory.appendingPathComponent(".build")
        let state = "workspace-state.json"
        let manager = FileManager.default
        guard !manager.fileExists(atPath: scratchDirectory.appendingPathComponent(state).path),
              manager.fileExists(atPath: outer.appendingPathComponent(state).path),
              manager.fileExists(atPath: outer.appendingPathComponent("checkouts").path) else { return }
        let parts = ["checkouts", "repositories", "artifacts"].filter { manager.fileExists(atPath: outer.appendingPathComponent($0).path) }
        let staging = scratchDirectory.appendingPathComponent(".containerize-seed")
        for leftover in parts + [staging.lastPathComponent] { try? manager.removeItem(at: scratchDirectory.appendingPathComponent(leftover)) }
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            #if os(Linux)
            let options = ["-a", "--reflink=auto"]  // GNU cp: a copy-on-write clone where the file system has them
            #else
            let options = ["-a"]  // BSD cp has no --reflink
            #endif
            let copy = try Subprocess.run(URL(fileURLWithPath: "/bin/cp"), options + (parts + [state]).map { outer.appendingPathComponent($0).path } + [staging.path],
                                          show: false)
            guard copy.status == 0 else { throw CocoaError(.fileWriteUnknown) }
            for part in parts + [state] {
                try manager.moveItem(at: staging.appendingPathComponent(part), to: scratchDirectory.appendingPathComponent(part))
            }
        } catch {
            // Not worth failing for: the build resolves and checks out on its own.
            for part in parts { try? manager.removeItem(at: scratchDirectory.appendingPathComponent(part)) }
        }
        try? manager.removeItem(at: staging)
    }

    private func buildOnce(product: String, flags: [String], embedded: Bool, dynamicLibc: Bool) throws -> BuildLog {
        seedDependencies()
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
