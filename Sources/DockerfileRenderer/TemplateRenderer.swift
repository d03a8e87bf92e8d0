/// Substitutes `{{NAME}}` placeholders in a template.
///
/// Every placeholder in the template must have a value: an unknown one is an error rather than
/// a silent empty string, so a typo in a hand-edited template is caught at render time.
public struct TemplateRenderer: Sendable {
    /// The value of each placeholder, keyed by its name without braces (`PRODUCT`, not `{{PRODUCT}}`).
    public var values: [String: String]

    public init(values: [String: String]) {
        self.values = values
    }

    /// Returns `template` with every `{{NAME}}` replaced by `values[NAME]`.
    /// - Throws: `DockerfileRendererError.unknownPlaceholder` or `.unterminatedPlaceholder`.
    public func render(_ template: String) throws -> String {
        var output = ""
        output.reserveCapacity(template.utf8.count)
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw DockerfileRendererError.unterminatedPlaceholder(line: lineNumber(of: open.lowerBound, in: template))
            }
            let name = afterOpen[..<close.lowerBound].trimmingWhitespace()
            guard let value = values[name] else {
                throw DockerfileRendererError.unknownPlaceholder(
                    name: name, line: lineNumber(of: open.lowerBound, in: template), known: values.keys.sorted())
            }
            output += value
            rest = afterOpen[close.upperBound...]
        }
        output += rest
        return output
    }

    private func lineNumber(of index: String.Index, in text: String) -> Int {
        text[..<index].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
