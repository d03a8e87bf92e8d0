/// One `--image PRODUCT=REF@sha256:…` argument: the pinned reference that replaces `swift://PRODUCT`.
public struct ImageMapping: Sendable, Equatable {
    public var product: String
    public var reference: String

    /// Parses `PRODUCT=HOST[:PORT]/REPO@sha256:<64 hex>`. The reference may hold only characters that
    /// are safe in any YAML scalar style, so it can replace a plain or quoted value as it is.
    public init(parsing text: String) throws(ManifestError) {
        guard let equals = text.firstIndex(of: "=") else { throw .invalidImageMapping(text) }
        product = String(text[..<equals])
        reference = String(text[text.index(after: equals)...])
        guard ProductReferenceScanner.productNameProblem(product) == nil else { throw .invalidImageMapping(text) }
        let parts = reference.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].contains("/"), !parts[0].hasPrefix("/"), !parts[0].hasSuffix("/"),
              parts[1].hasPrefix("sha256:"), parts[1].utf8.count == 71,
              parts[1].utf8.dropFirst(7).allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              parts[0].utf8.allSatisfy({ byte in
                  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                      || byte == .dot || byte == .dash || byte == .underscore || byte == .slash || byte == .colon
              })
        else { throw .invalidImageMapping(text) }
    }

    /// The repository name for a product under a prefix: `127.0.0.1:5000/team` + `HelloWeb` →
    /// `127.0.0.1:5000/team/helloweb` (repository names are lowercase in the OCI distribution spec).
    public static func repository(prefix: String, product: String) -> String {
        var trimmed = Substring(prefix)
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        return trimmed + "/" + product.lowercased()
    }
}
