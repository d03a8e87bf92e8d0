/// The manifests behind one or more command-line paths, scanned: what `resolve --list` reports and
/// what `resolve --image …` rewrites.
public struct ManifestSet: Sendable {
    public struct File: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public var references: [ProductReference]
    }

    public var files: [File]

    /// Reads and scans every manifest file under `paths`; the first syntax error stops it.
    public static func load(_ paths: [String]) throws(ManifestError) -> ManifestSet {
        var files: [File] = []
        for path in paths {
            for file in try ManifestFiles.collect(path) {
                let bytes = try ManifestFiles.read(file)
                files.append(File(path: file, bytes: bytes, references: try ProductReferenceScanner.scan(bytes, file: file)))
            }
        }
        return ManifestSet(files: files)
    }

    public var references: [ProductReference] { files.flatMap(\.references) }

    /// `FILE:LINE` of every `swift://` that is not an image reference (a comment, another field, a
    /// block scalar's text): left as it is, and worth a note in case it was meant as an image.
    public var unresolvedMentions: [String] {
        let scheme = Array(ProductReference.scheme.utf8)
        var places: [String] = []
        for file in files {
            let covered = Set(file.references.map(\.start))
            var line = 1
            var index = 0
            let bytes = file.bytes
            while index + scheme.count <= bytes.count {
                if bytes[index] == .newline { line += 1 }
                if bytes[index] == scheme[0], bytes[index..<(index + scheme.count)].elementsEqual(scheme), !covered.contains(index) {
                    places.append("\(file.path):\(line)")
                }
                index += 1
            }
        }
        return places
    }

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
    /// its references replaced; several are joined with `---` lines, as `ko resolve` does (or `...`
    /// before a file that starts with a `%YAML` directive, which may only follow a document end), and
    /// without the byte order marks of the files after the first.
    public func resolved(images: [String: String]) throws(ManifestError) -> [UInt8] {
        var output: [UInt8] = []
        for (index, file) in files.enumerated() {
            if index > 0 {
                if let last = output.last, last != .newline { output.append(.newline) }
                output += Array((Self.startsWithDirective(file.bytes) ? "...\n" : "---\n").utf8)
            }
            let rewritten = try ManifestRewriter.rewrite(file.bytes, references: file.references, images: images)
            // A byte order mark is only harmless at the start of the stream: inside it, parsers read it
            // as part of the first key.
            output += index > 0 && ProductReferenceScanner.hasByteOrderMark(rewritten) ? rewritten[3...] : rewritten[...]
        }
        return output
    }

    /// True when the first line that is not blank or a comment is a directive (`%YAML 1.2`).
    static func startsWithDirective(_ bytes: [UInt8]) -> Bool {
        var text = bytes[...]
        if ProductReferenceScanner.hasByteOrderMark(bytes) { text = text.dropFirst(3) }
        for line in text.split(separator: .newline) {
            guard let first = line.first(where: { $0 != .space && $0 != .tab && $0 != .carriageReturn }) else { continue }
            if first == .hash { continue }
            return line.first == .percent
        }
        return false
    }
}
