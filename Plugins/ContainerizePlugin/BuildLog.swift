// Pure code (no PackagePlugin, no Foundation): Tests/ContainerizePluginTests compiles this very file
// through a symlink.

/// What a `swift build` log says, in one line each: the first error, the libraries the static link
/// could not find, and whether glibc's static-link warnings appeared.
struct BuildLog {
    var text: String

    private var lines: [Substring] { text.split(separator: "\n") }

    /// The first `…: error: …` line.
    var firstError: String? {
        lines.first { $0.contains("error:") }.map { String($0.drop { $0 == " " }) }
    }

    /// Libraries a fully static link cannot use, in the order they appear, each once: those without a
    /// static archive (`cannot find -lcurl`), and system archives whose own dependencies have none
    /// (`libcurl.a(…): error: undefined reference to 'psl_free'`). The Swift runtime's archives
    /// (under swift_static) are not counted: their undefined references are a different problem.
    var missingLibraries: [String] {
        var names: [String] = []
        func add(_ name: Substring) {
            let name = String(name.prefix { $0.isLetter || $0.isNumber || "_-+.".contains($0) })
            if !name.isEmpty && !names.contains(name) { names.append(name) }
        }
        for line in lines {
            for marker in ["cannot find -l", "unable to find library -l"] {
                if let range = line.firstRange(of: marker) { add(line[range.upperBound...]) }
            }
            // lld: `>>> referenced by x.o:(f) in archive /usr/lib/x86_64-linux-gnu/libcurl.a`
            if line.contains(">>> referenced by"), !line.contains("swift_static"),
               let archive = line.firstRange(of: " in archive ")?.upperBound, line.hasSuffix(".a") {
                let path = line[archive...].dropLast(2)
                let file = path[(path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex)...]
                if file.hasPrefix("lib") { add(file.dropFirst(3)) }
            }
            // gold: `libcurl.a(x.o): error: undefined reference to 'psl_free'`
            if line.contains("undefined reference"), !line.contains("swift_static"),
               let archiveEnd = line.firstRange(of: ".a(")?.lowerBound {
                let path = line[..<archiveEnd]
                let file = path[(path.lastIndex(of: "/").map(path.index(after:)) ?? path.startIndex)...]
                if file.hasPrefix("lib") { add(file.dropFirst(3)) }
            }
        }
        return names
    }

    /// glibc warns at a static link that `getaddrinfo`, `getpwnam`, `dlopen` … need its shared
    /// libraries at run time.
    var hasStaticGlibcWarnings: Bool {
        text.contains("in statically linked applications requires at runtime")
    }

    /// The number of `Compiling …` steps: zero when the build had nothing to do.
    var compiledSteps: Int {
        lines.filter { $0.contains("Compiling ") }.count
    }

    /// The one-line meaning of glibc's static-link warnings, printed once after the build.
    static let staticGlibcNote =
        "note: the static-glibc warnings above are expected: DNS and /etc/hosts work from scratch; NSS modules (LDAP or systemd users, mDNS) do not"

    /// The one-line error for a failed build, with what to do.
    func failureMessage(product: String, embedded: Bool, dynamicLibc: Bool, swiftSDK: String? = nil) -> String {
        let missing = missingLibraries
        if !missing.isEmpty && !embedded && !dynamicLibc {
            let names = missing.map { "lib\($0)" }.joined(separator: ", ")
            let because = missing.contains("curl") ? " (FoundationNetworking's URLSession needs libcurl)" : ""
            return "'\(product)' cannot be linked fully static: \(names) has no complete static archive (.a with its dependencies) here\(because); "
                + "rebuild with --link dynamic-libc (static Swift runtime, dynamic glibc; the image then carries the shared libraries and the loader)"
        }
        let first = firstError.map { ": \($0)" } ?? " (the log is above)"
        if let swiftSDK, text.contains("Swift SDK") {
            return "building '\(product)' with the Swift SDK \(swiftSDK) failed\(first); check the installed SDKs with `swift sdk list` and pass one of them to --swift-sdk"
        }
        if embedded {
            return "building '\(product)' as Embedded Swift failed\(first); "
                + "Embedded Swift has no Foundation, no existentials (`any P`) and no reflection: drop --embedded to build with the standard Swift runtime"
        }
        return "building '\(product)' failed\(first)"
    }
}
