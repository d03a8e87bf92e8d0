/// How the product is compiled: with the standard Swift runtime, or as Embedded Swift.
/// This file is the one owner of the compiler flags: `containertool build-flags` prints them for the
/// plugin and scripts/bench.sh, and the rendered Dockerfile's `swift build` line is made from them.
public enum BuildMode: String, Sendable, CaseIterable {
    /// The full Swift runtime, linked statically: any product builds this way.
    case standard
    /// Embedded Swift: no runtime floor (a hello server is ~700 KB), but no Foundation, no existentials.
    case embedded

    /// How the C library and other system libraries are linked.
    public enum Link: String, Sendable, CaseIterable {
        /// Everything static (`-static-executable`): the binary runs on `scratch` alone.
        case fullyStatic = "static"
        /// The Swift runtime static, glibc and system libraries (libcurl for FoundationNetworking)
        /// dynamic: the image must carry the shared-library closure and the loader.
        case dynamicLibc = "dynamic-libc"
    }

    /// The `swift build` arguments after `swift build -c release --product NAME` that make the
    /// binary fully static and stripped, so it runs on `scratch`.
    public var swiftBuildFlags: [String] { swiftBuildFlags(link: .fullyStatic) ?? [] }

    /// The `swift build` arguments for a link mode. Embedded Swift is always linked statically:
    /// `nil` for `.dynamicLibc`.
    public func swiftBuildFlags(link: Link) -> [String]? {
        switch (self, link) {
        case (.standard, .fullyStatic):
            return ["--static-swift-stdlib", "-Xswiftc", "-static-executable"] + Self.linkerFlags
        case (.standard, .dynamicLibc):
            return ["--static-swift-stdlib"] + Self.linkerFlags
        case (.embedded, .fullyStatic):
            // `-static-executable` does not combine with Embedded (it selects the non-embedded
            // static resource directory), so the static link goes through the clang linker driver.
            return [
                "-Xswiftc", "-enable-experimental-feature", "-Xswiftc", "Embedded", "-Xswiftc", "-wmo",
                "-Xswiftc", "-Xclang-linker", "-Xswiftc", "-static",
                "-Xswiftc", "-Xclang-linker", "-Xswiftc", "-no-pie",
            ] + Self.linkerFlags
        case (.embedded, .dynamicLibc):
            return nil
        }
    }

    /// lld (which every Swift 6 toolchain for Linux ships as `ld.lld`) and a stripped binary. lld
    /// links HelloWeb's static executable in 135 ms where gold takes 341 ms (scripts/bench-image.sh
    /// measures it), and the binary behaves the same: the edit loop's relink is the part that waits.
    static let linkerFlags = ["-Xswiftc", "-use-ld=lld", "-Xlinker", "-s"]

    /// Makes lld write every input it opened (`PREFIX.link-inputs`, a make-style dependency file)
    /// and every archive member it extracted (`PREFIX.why-extract`): what the SBOM names as linked.
    /// Only the link step reads them, so adding them recompiles nothing.
    public static func linkTraceFlags(prefix: String) -> [String] {
        ["-Xlinker", "--dependency-file=\(prefix).link-inputs", "-Xlinker", "--why-extract=\(prefix).why-extract"]
    }

    /// The full release build command for one product, as one shell line. The link also writes its
    /// trace to `linkTracePrefix(product:)`, which the rendered Dockerfile's `link-trace` stage exports.
    public func swiftBuildCommand(product: String) -> String {
        (["swift", "build", "-c", "release", "--product", product] + swiftBuildFlags
            + BuildMode.linkTraceFlags(prefix: BuildMode.linkTracePrefix(product: product))).joined(separator: " ")
    }

    /// Where the rendered Dockerfile's build writes the link trace, relative to the package root:
    /// `.build` exists by the time anything links, so no template needs a `mkdir` for it.
    public static func linkTracePrefix(product: String) -> String { ".build/\(product)" }

    /// The rendered Dockerfile's `link-trace` stage script: the link trace, and what the builder's
    /// package database says of every file (`dpkg-query -S '*'`, each package's version and
    /// `/etc/os-release`) and the toolchain's `swift --version`, so `containertool sbom --link-trace` names the builder's Debian packages
    /// and versions, not those of the machine it runs on. Collected into `/link-trace`.
    public static func linkTraceRecording(product: String) -> String {
        let prefix = linkTracePrefix(product: product)
        return [
            "mkdir -p /link-trace",
            "cp \(prefix).link-inputs \(prefix).why-extract /link-trace/",
            "{ dpkg-query -S '*' 2>/dev/null || true; } > /link-trace/\(product).dpkg-owners",
            "dpkg-query -W -f '${binary:Package}\\t${Version}\\t${Architecture}\\n' > /link-trace/\(product).dpkg-versions",
            "cp /etc/os-release /link-trace/\(product).os-release",
            "swift --version > /link-trace/\(product).swift-version 2>&1",
        ].joined(separator: " \\\n    && ")
    }
}
