/// Finds every `swift://PRODUCT` value of a field named `image` in a YAML stream (one file, any number
/// of documents) and the exact bytes it occupies, so a rewrite can change those bytes and nothing else.
///
/// This is not a YAML parser: it follows only the structure needed to find `image` keys and their
/// scalar values — documents, comments, block mappings and sequences, flow collections (JSON too),
/// plain, single- and double-quoted scalars, block scalars (skipped, or read when they are the image
/// value), anchors, tags and aliases. It reports the syntax errors that would make a rewrite wrong:
/// unterminated quotes and flow collections, tabs in indentation, and bad indentation around `image:`.
/// Input may start with a UTF-8 byte order mark and use LF or CRLF line ends. (A class, not a struct:
/// in a debug build — the one a plugin runs — every helper call on a struct copies it.)
public final class ProductReferenceScanner {
    /// The input, copied once to a buffer: no reference counting per byte (it matters in debug builds).
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let file: String
    private let lineStarts: [Int]
    private var references: [ProductReference] = []
    /// Index of the current document; -1 before the first one begins.
    private var document = -1
    private var inDocument = false

    /// Columns of the block mapping keys open at this point (innermost last).
    private var mappingColumns: [Int] = []
    /// The previous content line ended where a nested block may start (`key:` or `-` with no value).
    private var previousLineOpened = true
    /// The previous content line was `image: VALUE`: a more indented line after it is an error.
    private var imageValueLine: (keyColumn: Int, line: Int)?
    /// The previous content line was `image:` with no value: the value may be on the next line.
    private var pendingImageKey: (keyColumn: Int, line: Int)?

    /// Scans `bytes`; `file` only names the file in references and errors.
    public static func scan(_ bytes: [UInt8], file: String) throws(ManifestError) -> [ProductReference] {
        let scanner = ProductReferenceScanner(bytes: bytes, file: file)
        try scanner.run()
        return scanner.references
    }

    private init(bytes input: [UInt8], file: String) {
        bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: input.count)
        _ = bytes.initialize(from: input)
        self.file = file
        var starts = [Self.hasByteOrderMark(input) ? 3 : 0]
        var index = 0
        while index < bytes.count {
            if bytes[index] == .newline { starts.append(index + 1) }
            index += 1
        }
        lineStarts = starts
    }

    deinit { bytes.deallocate() }

    static func hasByteOrderMark(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    // MARK: Lines

    private func run() throws(ManifestError) {
        var position = lineStarts[0]
        while position < bytes.count {
            let lineStart = position
            var index = position
            while byte(index) == .space { index += 1 }
            let indent = index - lineStart
            var content = index
            while byte(content) == .space || byte(content) == .tab { content += 1 }
            if isLineEnd(content) || byte(content) == .hash {
                position = nextLine(content)
                continue
            }
            if content != index {
                throw syntax(at: lineStart, "a tab in the indentation; YAML indents with spaces only")
            }
            if indent == 0, isDocumentMarker(at: index) {
                let isStart = byte(index) == .dash
                if isStart { beginDocument() } else { inDocument = false }
                index = skipBlanks(index + 3)
                if isStart, !isLineEnd(index), byte(index) != .hash {
                    position = try parseLine(at: index, indent: -1)
                } else {
                    position = nextLine(index)
                }
                continue
            }
            if indent == 0, byte(index) == .percent {  // %YAML / %TAG directive
                position = nextLine(index)
                continue
            }
            if !inDocument { beginDocument() }
            position = try parseLine(at: index, indent: indent)
        }
    }

    /// `---`, or the first content after the start or after `...`.
    private func beginDocument() {
        document += 1
        inDocument = true
        mappingColumns = []
        previousLineOpened = true
        imageValueLine = nil
        pendingImageKey = nil
    }

    /// Parses one content line that starts at `start` (`indent` spaces in), and returns where the next
    /// line starts (after a multi-line node, the line after its end).
    private func parseLine(at start: Int, indent: Int) throws(ManifestError) -> Int {
        if let image = imageValueLine, indent > image.keyColumn {
            throw syntax(at: start, "bad indentation after the image value on line \(image.line): "
                + "this line is indented deeper than `image:`, which makes it part of that value; align it with `image:`")
        }
        imageValueLine = nil
        let pendingImage = pendingImageKey
        pendingImageKey = nil
        var opened = previousLineOpened
        previousLineOpened = false

        var index = start
        var parentColumn = indent - 1
        var explicitKey = false
        // `- ` sequence entries, possibly several on one line (`- - a`), and `? ` explicit keys.
        while (byte(index) == .dash || byte(index) == .question) && isSeparator(index + 1) {
            if byte(index) == .question { explicitKey = true }
            let column = self.column(of: index)
            while let top = mappingColumns.last, top > column { mappingColumns.removeLast() }
            parentColumn = column
            opened = true
            index = skipBlanks(index + 1)
            if isLineEnd(index) || byte(index) == .hash {
                previousLineOpened = true
                return nextLine(index)
            }
        }

        let node = try parseNode(at: index, parentColumn: parentColumn, allowKey: true)
        if explicitKey, case let .scalar(name, _, _) = node.kind, name == "image" {
            throw syntax(at: index, "an explicit key (? image) is not supported here; write `image: VALUE` on one line")
        }
        switch node.kind {
        case let .key(name, afterColon):
            let keyColumn = column(of: index)
            var closest: Int?  // the innermost mapping this key falls out of
            while let top = mappingColumns.last, top > keyColumn { closest = mappingColumns.removeLast() }
            if mappingColumns.last != keyColumn {
                if !opened, name == "image", let expected = closest ?? mappingColumns.last {
                    throw syntax(at: index, "bad indentation: `image:` at column \(keyColumn + 1) lines up with no key above (expected column \(expected + 1))")
                }
                mappingColumns.append(keyColumn)
            }
            let valueStart = skipBlanks(afterColon)
            let value = try parseNode(at: valueStart, parentColumn: keyColumn, allowKey: false)
            try handleValue(value, ofKey: name, keyColumn: keyColumn, keyLine: lineNumber(of: index))
            return try endOfLine(after: value)
        case .scalar:
            if let image = pendingImage, indent > image.keyColumn {
                try record(node)
                imageValueLine = (image.keyColumn, lineNumber(of: start))
            }
            return try endOfLine(after: node)
        case .empty:
            previousLineOpened = true
            return try endOfLine(after: node)
        case .blockScalar, .flow, .alias:
            return try endOfLine(after: node)
        }
    }

    private func handleValue(_ value: Node, ofKey name: String, keyColumn: Int, keyLine: Int) throws(ManifestError) {
        switch value.kind {
        case .empty:
            previousLineOpened = true
            if name == "image" { pendingImageKey = (keyColumn, keyLine) }
        case .scalar:
            guard name == "image" else { return }
            try record(value)
            if !value.spansLines { imageValueLine = (keyColumn, keyLine) }
        case .blockScalar:
            if name == "image" { try record(value) }
        case .key, .flow, .alias:
            break
        }
    }

    /// After a node: only blanks and a comment may follow on its last line.
    private func endOfLine(after node: Node) throws(ManifestError) -> Int {
        if case .blockScalar = node.kind { return node.end }
        let index = skipBlanks(node.end)
        if !isLineEnd(index) {
            guard byte(index) == .hash, isBlank(index - 1) || isLineStart(index) else {
                throw syntax(at: index, "unexpected text after a value; quote the whole value or start a comment with ' #'")
            }
        }
        return nextLine(index)
    }

    // MARK: Nodes

    struct Node {
        enum Kind {
            case empty
            case key(String, afterColon: Int)
            /// A scalar's value, and the byte range to replace when it is rewritten.
            case scalar(String, contentStart: Int, contentEnd: Int)
            case blockScalar(String?, contentStart: Int, contentEnd: Int)
            case flow
            case alias
        }
        var kind: Kind
        /// Where the node starts (after anchors and tags) and ends.
        var start: Int
        var end: Int
        var spansLines = false
    }

    private func parseNode(at start: Int, parentColumn: Int, allowKey: Bool) throws(ManifestError) -> Node {
        var index = start
        // Node properties: anchors (&a) and tags (!t, !!str, !<…>).
        while byte(index) == .ampersand || byte(index) == .exclamation {
            while !isSeparator(index) { index += 1 }
            index = skipBlanks(index)
        }
        if isLineEnd(index) || byte(index) == .hash {
            return Node(kind: .empty, start: index, end: index)
        }
        switch byte(index) {
        case .star:
            var end = index
            while !isSeparator(end) && !isFlowIndicator(end) { end += 1 }
            return Node(kind: .alias, start: index, end: end)
        case .pipe, .greater:
            return try parseBlockScalar(at: index, parentColumn: parentColumn)
        case .quote, .apostrophe:
            var node = try parseQuoted(at: index)
            let afterBlanks = skipBlanks(node.end)
            if allowKey, byte(afterBlanks) == .colon, isSeparator(afterBlanks + 1), case let .scalar(name, _, _) = node.kind {
                node.kind = .key(name, afterColon: afterBlanks + 1)
                node.end = afterBlanks + 1
            }
            return node
        case .openBracket, .openBrace:
            let end = try skipFlowCollection(at: index)
            return Node(kind: .flow, start: index, end: end, spansLines: lineNumber(of: index) != lineNumber(of: end))
        default:
            return parsePlain(at: index, allowKey: allowKey)
        }
    }

    /// A plain (unquoted) scalar in block context, or a plain `key:`.
    private func parsePlain(at start: Int, allowKey: Bool) -> Node {
        var index = start
        var end = start
        while !isLineEnd(index) {
            if byte(index) == .colon, isSeparator(index + 1), allowKey {
                let name = text(start, trimmedEnd(start, index))
                return Node(kind: .key(name, afterColon: index + 1), start: start, end: index + 1)
            }
            if byte(index) == .hash, index > start, isBlank(index - 1) { break }
            index += 1
            if !isBlank(index - 1) { end = index }
        }
        return Node(kind: .scalar(text(start, end), contentStart: start, contentEnd: end), start: start, end: end)
    }

    /// A double- or single-quoted scalar, which may span lines.
    private func parseQuoted(at start: Int) throws(ManifestError) -> Node {
        let quote = bytes[start]
        var index = start + 1
        var value: [UInt8] = []
        while true {
            guard index < bytes.count, !(isLineStart(index) && isDocumentMarker(at: index)) else {
                throw syntax(at: start, "unterminated \(quote == .quote ? "double" : "single")-quoted string; close it with \(quote == .quote ? "\"" : "'")")
            }
            let current = bytes[index]
            if current == quote {
                if quote == .apostrophe, byte(index + 1) == .apostrophe {
                    value.append(quote)
                    index += 2
                    continue
                }
                break
            }
            if quote == .quote, current == .backslash, index + 1 < bytes.count {
                let (unescaped, length) = Self.unescape(bytes, at: index + 1)
                if value.count < Self.valueLimit { value += unescaped }
                index += 1 + length
                continue
            }
            if value.count < Self.valueLimit { value.append(current) }
            index += 1
        }
        if value.count >= Self.valueLimit { value += Array("…".utf8) }  // never a key or a product name
        let spansLines = lineNumber(of: start) != lineNumber(of: index)
        return Node(kind: .scalar(String(decoding: value, as: UTF8.self), contentStart: start + 1, contentEnd: index),
                    start: start, end: index + 1, spansLines: spansLines)
    }

    /// Quoted values are kept up to this many bytes: keys and image references are far shorter, and a
    /// megabyte-long string (a certificate, a script) costs no copy.
    static let valueLimit = 4096

    /// A double-quoted scalar's escape after its backslash (YAML 1.2 §5.7): the bytes it stands for and
    /// how many bytes it spans. `\x`, `\u` and `\U` are decoded too, since `"\u0073wift://app"` is
    /// `swift://app` to every YAML reader, so it must be resolved; an invalid escape is kept as written.
    static func unescape<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: Int) -> (bytes: [UInt8], length: Int)
        where Bytes.Index == Int {
        let byte = bytes[index]
        let hexDigits: Int
        switch byte {
        case UInt8(ascii: "n"): return ([.newline], 1)
        case UInt8(ascii: "t"), 0x09: return ([.tab], 1)
        case UInt8(ascii: "0"): return ([0], 1)
        case UInt8(ascii: "r"): return ([0x0D], 1)
        case .quote, .backslash, .slash, .space: return ([byte], 1)
        case UInt8(ascii: "x"): hexDigits = 2
        case UInt8(ascii: "u"): hexDigits = 4
        case UInt8(ascii: "U"): hexDigits = 8
        default: return ([.backslash, byte], 1)
        }
        guard index + hexDigits < bytes.count else { return ([.backslash, byte], 1) }
        var code: UInt32 = 0
        for digit in bytes[(index + 1)...(index + hexDigits)] {
            guard let value = hexValue(digit) else { return ([.backslash, byte], 1) }
            code = code << 4 | value
        }
        guard let scalar = Unicode.Scalar(code) else { return ([.backslash, byte], 1) }
        return (Array(String(Character(scalar)).utf8), 1 + hexDigits)
    }

    private static func hexValue(_ digit: UInt8) -> UInt32? {
        switch digit {
        case 0x30...0x39: return UInt32(digit - 0x30)
        case 0x41...0x46: return UInt32(digit - 0x41 + 10)
        case 0x61...0x66: return UInt32(digit - 0x61 + 10)
        default: return nil
        }
    }

    /// `|` or `>` with optional indicators; the content is every following line that is blank or
    /// indented deeper than the parent. Returns the content when it is one line (an image value).
    private func parseBlockScalar(at start: Int, parentColumn: Int) throws(ManifestError) -> Node {
        var index = start + 1
        var explicitIndent: Int?
        while let current = byte(index), current == .plus || current == .dash || (current >= 0x31 && current <= 0x39) {
            if current != .plus && current != .dash { explicitIndent = Int(current - 0x30) }
            index += 1
        }
        index = skipBlanks(index)
        guard isLineEnd(index) || byte(index) == .hash else {
            throw syntax(at: index, "unexpected text after a block scalar indicator (| or >)")
        }
        var position = nextLine(index)
        var contentIndent = explicitIndent.map { max(parentColumn, 0) + $0 }
        var contentLines: [(Int, Int)] = []
        while position < bytes.count {
            var first = position
            while byte(first) == .space { first += 1 }
            let lineEnd = endOfLineContent(first)
            if onlyBlanks(first, lineEnd) { position = nextLine(lineEnd); continue }
            let indent = first - position
            if indent == 0 && isDocumentMarker(at: first) { break }
            if indent <= parentColumn { break }
            if let expected = contentIndent {
                if indent < expected { break }
            } else {
                contentIndent = indent
            }
            contentLines.append((first, trimmedEnd(first, lineEnd)))
            position = nextLine(lineEnd)
        }
        if contentLines.count == 1, let (from, to) = contentLines.first {
            return Node(kind: .blockScalar(text(from, to), contentStart: from, contentEnd: to), start: start, end: position, spansLines: true)
        }
        let from = contentLines.first?.0 ?? position
        return Node(kind: .blockScalar(nil, contentStart: from, contentEnd: from), start: start, end: position, spansLines: true)
    }

    /// Skips a `[…]` or `{…}` collection (nesting, quotes, comments, several lines), recording
    /// `image: swift://…` pairs inside it; returns the index after the closing bracket.
    private func skipFlowCollection(at start: Int) throws(ManifestError) -> Int {
        struct Level { var closer: UInt8; var key: String?; var afterColon = false; var lastScalar: String? }
        var levels: [Level] = []
        var index = start
        var justClosedQuote = false
        while true {
            guard index < bytes.count, !(index > start && isLineStart(index) && isDocumentMarker(at: index)) else {
                throw syntax(at: start, "unterminated flow collection: '\(Character(UnicodeScalar(bytes[start])))' is never closed")
            }
            let current = bytes[index]
            let wasQuote = justClosedQuote
            justClosedQuote = false
            switch current {
            case .openBracket, .openBrace:
                if !levels.isEmpty, levels[levels.count - 1].afterColon {
                    levels[levels.count - 1].afterColon = false
                    levels[levels.count - 1].key = nil
                }
                levels.append(Level(closer: current == .openBracket ? .closeBracket : .closeBrace))
                index += 1
            case .closeBracket, .closeBrace:
                guard let level = levels.popLast(), level.closer == current else {
                    throw syntax(at: index, "'\(Character(UnicodeScalar(current)))' closes nothing that is open here")
                }
                index += 1
                if levels.isEmpty { return index }
            case .comma:
                levels[levels.count - 1].key = nil
                levels[levels.count - 1].afterColon = false
                levels[levels.count - 1].lastScalar = nil
                index += 1
            case .colon where wasQuote || isSeparator(index + 1) || isFlowIndicator(index + 1):
                levels[levels.count - 1].key = levels[levels.count - 1].lastScalar
                levels[levels.count - 1].afterColon = true
                index += 1
            case .space, .tab, .newline, .carriageReturn:
                if wasQuote && (current == .space || current == .tab) { justClosedQuote = true }
                index += 1
            case .hash where index == 0 || isBlank(index - 1) || byte(index - 1) == .newline:
                index = endOfLineContent(index)
            case .ampersand, .exclamation:
                while !isSeparator(index) && !isFlowIndicator(index) { index += 1 }
            default:
                let node: Node
                if current == .quote || current == .apostrophe {
                    node = try parseQuoted(at: index)
                    justClosedQuote = true
                } else {
                    node = parseFlowPlain(at: index)
                }
                guard case let .scalar(value, _, _) = node.kind else { index = node.end; continue }
                let top = levels.count - 1
                if levels[top].afterColon {
                    if levels[top].key == "image" { try record(node) }
                    levels[top].afterColon = false
                    levels[top].key = nil
                } else {
                    levels[top].lastScalar = value
                }
                index = max(node.end, index + 1)
            }
        }
    }

    /// A plain scalar inside a flow collection: ends at `,`, a bracket, `: `, ` #` or the line end.
    private func parseFlowPlain(at start: Int) -> Node {
        var index = start
        var end = start
        while !isLineEnd(index) {
            let current = bytes[index]
            if current == .comma || isFlowIndicator(index) { break }
            if current == .colon, isSeparator(index + 1) || isFlowIndicator(index + 1) { break }
            if current == .hash, index > start, isBlank(index - 1) { break }
            index += 1
            if !isBlank(index - 1) { end = index }
        }
        return Node(kind: .scalar(text(start, end), contentStart: start, contentEnd: end), start: start, end: end)
    }

    // MARK: References

    private func record(_ node: Node) throws(ManifestError) {
        let value: String
        let from: Int, to: Int
        switch node.kind {
        case let .scalar(text, start, end):
            (value, from, to) = (text, start, end)
        case let .blockScalar(text, start, end):
            guard let text else {
                if node.start < bytes.count, containsScheme(node.start, node.end) {
                    throw ManifestError.invalidReference(file: file, line: lineNumber(of: node.start), value: "|…",
                                                         reason: "a swift:// image must be a one-line value")
                }
                return
            }
            (value, from, to) = (text, start, end)
        default:
            return
        }
        guard value.contains(ProductReference.scheme) else { return }
        let line = lineNumber(of: from)
        guard value.hasPrefix(ProductReference.scheme) else {
            throw ManifestError.invalidReference(file: file, line: line, value: value, reason: "swift:// must start the value")
        }
        if node.spansLines, case .scalar = node.kind {
            let firstLine = value.split(separator: "\n", omittingEmptySubsequences: false)[0]
            throw ManifestError.invalidReference(file: file, line: line, value: firstLine + "…", reason: "a swift:// image must be on one line")
        }
        let product = String(value.dropFirst(ProductReference.scheme.count))
        if let reason = Self.productNameProblem(product) {
            throw ManifestError.invalidReference(file: file, line: line, value: value, reason: reason)
        }
        references.append(ProductReference(file: file, line: line, column: from - lineStarts[line - 1] + 1,
                                         document: document, product: product, start: from, end: to))
    }

    /// Why `name` cannot be an executable product's name, or nil when it can.
    static func productNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "no product name after swift://" }
        if name.contains(":") || name.contains("@") {
            return "name the product only (swift://PRODUCT); the tag and digest come from the build"
        }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == .dash || byte == .underscore || byte == .dot
        }
        if !allowed || name.hasPrefix(".") || name.hasPrefix("-") {
            return "a product name has letters, digits, '.', '_' and '-' only"
        }
        return nil
    }

    private func containsScheme(_ from: Int, _ to: Int) -> Bool {
        let scheme = Array(ProductReference.scheme.utf8)
        guard to - from >= scheme.count else { return false }
        for index in from...(to - scheme.count) where bytes[index] == scheme[0] {
            if Array(bytes[index..<(index + scheme.count)]) == scheme { return true }
        }
        return false
    }

    // MARK: Bytes

    private func byte(_ index: Int) -> UInt8? { index >= 0 && index < bytes.count ? bytes[index] : nil }

    private func isLineEnd(_ index: Int) -> Bool {
        guard index < bytes.count else { return true }
        if bytes[index] == .newline { return true }
        return bytes[index] == .carriageReturn && (index + 1 == bytes.count || bytes[index + 1] == .newline)
    }

    private func isBlank(_ index: Int) -> Bool { byte(index) == .space || byte(index) == .tab }

    /// A blank or a line end: what must follow `-`, `:` and `?` indicators and ends a property.
    private func isSeparator(_ index: Int) -> Bool { isLineEnd(index) || isBlank(index) }

    private func isFlowIndicator(_ index: Int) -> Bool {
        guard let value = byte(index) else { return false }
        return value == .comma || value == .openBracket || value == .closeBracket || value == .openBrace || value == .closeBrace
    }

    private func isLineStart(_ index: Int) -> Bool { index == lineStarts[0] || byte(index - 1) == .newline }

    /// `---` or `...` followed by a blank or the line end, at the start of a line.
    private func isDocumentMarker(at index: Int) -> Bool {
        guard let first = byte(index), first == .dash || first == .dot else { return false }
        return byte(index + 1) == first && byte(index + 2) == first && isSeparator(index + 3)
    }

    private func skipBlanks(_ index: Int) -> Int {
        var index = index
        while isBlank(index) { index += 1 }
        return index
    }

    /// The index of the line end (`\n`, `\r\n` or the end of input) at or after `index`.
    private func endOfLineContent(_ index: Int) -> Int {
        var index = index
        while !isLineEnd(index) { index += 1 }
        return index
    }

    private func nextLine(_ index: Int) -> Int {
        var index = endOfLineContent(index)
        if index < bytes.count, bytes[index] == .carriageReturn { index += 1 }
        return index < bytes.count ? index + 1 : index
    }

    private func onlyBlanks(_ from: Int, _ to: Int) -> Bool { (from..<max(from, to)).allSatisfy { isBlank($0) } }

    private func trimmedEnd(_ from: Int, _ to: Int) -> Int {
        var end = to
        while end > from, isBlank(end - 1) { end -= 1 }
        return end
    }

    private func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<max(from, to)], as: UTF8.self) }

    private func lineNumber(of index: Int) -> Int {
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        return low + 1
    }

    private func column(of index: Int) -> Int { index - lineStarts[lineNumber(of: index) - 1] }

    private func syntax(at index: Int, _ message: String) -> ManifestError {
        .syntax(file: file, line: lineNumber(of: index), message: message)
    }
}

extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let hash = UInt8(ascii: "#")
    static let dash = UInt8(ascii: "-")
    static let dot = UInt8(ascii: ".")
    static let underscore = UInt8(ascii: "_")
    static let slash = UInt8(ascii: "/")
    static let backslash = UInt8(ascii: "\\")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let question = UInt8(ascii: "?")
    static let percent = UInt8(ascii: "%")
    static let ampersand = UInt8(ascii: "&")
    static let exclamation = UInt8(ascii: "!")
    static let star = UInt8(ascii: "*")
    static let pipe = UInt8(ascii: "|")
    static let greater = UInt8(ascii: ">")
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let plus = UInt8(ascii: "+")
}
