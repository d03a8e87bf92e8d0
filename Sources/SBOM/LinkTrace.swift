/// What a link really used, read from the two files lld writes when asked
/// (`--dependency-file=FILE`: every input it opened; `--why-extract=FILE`: every archive member it
/// pulled in, and for which symbol). An archive the linker opened but took nothing from (libdispatch
/// in a server that never touches Dispatch) is not in the binary, so it is not in the SBOM.
public struct LinkTrace: Sendable, Equatable {
    /// Object files and shared libraries given to the link: all of them are in the output.
    public var inputs: [String]
    /// Archives with at least one extracted member, and how many members.
    public var archives: [String: Int]

    public init(inputs: [String], archives: [String: Int]) {
        self.inputs = inputs
        self.archives = archives
    }

    /// Every path that contributed, sorted: inputs that are not archives, then the archives used.
    public var contributingPaths: [String] { (inputs.filter { !Self.isArchive($0) } + archives.keys).sorted() }

    static func isArchive(_ path: String) -> Bool { path.hasSuffix(".a") }

    /// The same trace with relative paths (a link run by hand) made absolute against `directory`,
    /// the folder the link ran in.
    public func absolute(in directory: String) -> LinkTrace {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : base + path }
        return LinkTrace(inputs: inputs.map(absolute), archives: Dictionary(archives.map { (absolute($0.key), $0.value) }, uniquingKeysWith: +))
    }

    /// Reads lld's make-style dependency file (`OUTPUT: IN1 IN2 \` …, then one `IN:` line per
    /// input) and its `--why-extract` table (`reference<TAB>extracted<TAB>symbol`, a header line,
    /// `extracted` as `ARCHIVE(MEMBER)`). Without a why-extract table every archive counts as used
    /// (the conservative answer for a linker that cannot say).
    public static func parse(dependencyFile: String, whyExtract: String?) -> LinkTrace {
        var inputs: [String] = []
        var seen: Set<String> = []
        // The first rule's prerequisites are the inputs; escaped spaces (`\ `) stay in a path.
        var text = dependencyFile.replacingOccurrences(of: "\\\n", with: " ")
        if let end = text.firstIndex(of: "\n") { text = String(text[..<end]) }
        if let colon = text.range(of: ": ") ?? (text.hasSuffix(":") ? text.range(of: ":", options: .backwards) : nil) {
            var current = ""
            var escaped = false
            for character in text[colon.upperBound...] {
                if escaped { current.append(character); escaped = false; continue }
                if character == "\\" { escaped = true; continue }
                if character == " " || character == "\t" {
                    if !current.isEmpty, seen.insert(current).inserted { inputs.append(current) }
                    current = ""
                } else {
                    current.append(character)
                }
            }
            if !current.isEmpty, seen.insert(current).inserted { inputs.append(current) }
        }
        var archives: [String: Int] = [:]
        if let whyExtract {
            // Bytes, not Characters: a big program's table has hundreds of thousands of lines.
            var counts: [String: Int] = [:]
            for line in whyExtract.utf8.split(separator: UInt8(ascii: "\n")).dropFirst() {
                guard let tab = line.firstIndex(of: UInt8(ascii: "\t")) else { continue }
                let rest = line[line.index(after: tab)...]
                let extracted = rest.prefix { $0 != UInt8(ascii: "\t") }
                guard let open = extracted.firstIndex(of: UInt8(ascii: "(")) else { continue }
                counts[String(decoding: extracted[..<open], as: UTF8.self), default: 0] += 1
            }
            archives = counts
        } else {
            for input in inputs where isArchive(input) { archives[input] = 1 }
        }
        return LinkTrace(inputs: inputs, archives: archives)
    }
}
