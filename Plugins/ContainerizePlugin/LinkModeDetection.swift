// Pure code (no PackagePlugin, no Foundation): Tests/ContainerizePluginTests compiles this very file
// through a symlink.

/// Which link a product needs, told from its sources before anything is compiled: a module that
/// imports FoundationNetworking (URLSession) links libcurl, which has no complete static archive on
/// Linux, so a fully static link fails with a page of undefined references. Such a product is built
/// with `--link dynamic-libc` instead, unless `--link` was given.
enum LinkModeDetection {
    /// The modules whose import needs a dynamic link, and why, for the one-line note.
    static let dynamicOnlyModules: [String: String] = [
        "FoundationNetworking": "URLSession needs libcurl",
        "FoundationXML": "XMLParser needs libxml2",
    ]

    /// The first dynamic-only module `source` imports, if any: `import M`, `import M.Sub`,
    /// `import struct M.T`, with attributes and access modifiers (`@preconcurrency`, `public`) before
    /// it, also inside `#if canImport(M)` (which holds on Linux). Line comments are skipped.
    static func dynamicOnlyImport(in source: String) -> String? {
        for statement in source.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == ";" }) {
            var words = statement.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
            while let first = words.first, first.hasPrefix("@") || modifiers.contains(String(first)) { words.removeFirst() }
            guard words.popFirst() == "import", var module = words.popFirst() else { continue }
            if importKinds.contains(String(module)), let next = words.popFirst() { module = next }
            let name = String(module.prefix { $0 != "." })
            if dynamicOnlyModules[name] != nil { return name }
        }
        return nil
    }

    private static let modifiers: Set<String> = ["public", "package", "internal", "fileprivate", "private", "open"]
    private static let importKinds: Set<String> = ["struct", "class", "enum", "protocol", "typealias", "func", "var", "let"]

    /// The note printed when the link was chosen for the user.
    static func note(product: String, module: String, file: String) -> String {
        "note: '\(product)' imports \(module) (\(dynamicOnlyModules[module] ?? "no static archive"), in \(file)), which cannot link fully static: "
            + "building with --link dynamic-libc (static Swift runtime, dynamic glibc; the image carries the shared libraries and the loader). "
            + "Pass --link static to insist on a static link"
    }
}
