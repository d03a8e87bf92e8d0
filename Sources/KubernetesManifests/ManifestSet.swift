/// The manifests behind one or more command-line paths, scanned: what `resolve --list` reports and
/// what `resolve --image …` rewrites.
public struct ManifestSet: Sendable {
    public struct File: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public var references: [ImageReference]
    }

    public var files: [File]

    /// Reads and scans every manifest file under `paths`; the first syntax error stops it.
    public static func load(_ paths: [String]) throws(ManifestError) -> ManifestSet {
        var files: [File] = []
        for path in paths {
            for file in try ManifestFiles.collect(path) {
                let bytes = try ManifestFiles.read(file)
                files.append(File(path: file, bytes: bytes, references: try ImageReferenceScanner.scan(bytes, file: file)))
            }
        }
        return ManifestSet(files: files)
    }

    public var references: [ImageReference] { files.flatMap(\.references) }

    /// Each product once, in order of first appearance.
    public var products: [String] {
        var seen: Set<String> = []
        return references.map(\.product).filter { seen.insert($0).inserted }
    }

    /// Checks that every referenced product is in `executables`.
    public func check(executables: [String]) throws(ManifestError) {
        let known = Set(executables)
        if let unknown = references.first(where: { !known.contains($0.product) }) {
            throw .unknownProduct(product: unknown.product, file: unknown.file, line: unknown.line, executables: executables.sorted())
        }
    }

    /// All files rewritten and joined as one YAML stream: one file comes out byte for byte with only
    /// its references replaced; several are joined with `---` lines, as `ko resolve` does.
    public func resolved(images: [String: String]) throws(ManifestError) -> [UInt8] {
        var output: [UInt8] = []
        for (index, file) in files.enumerated() {
            if index > 0 {
                if let last = output.last, last != .newline { output.append(.newline) }
                output += Array("---\n".utf8)
            }
            output += try ManifestRewriter.rewrite(file.bytes, references: file.references, images: images)
        }
        return output
    }
}
