/// Replaces the bytes of each `swift://PRODUCT` reference with a pinned image reference and keeps
/// every other byte (comments, quotes, line ends, byte order mark) as it was.
public enum ManifestRewriter {
    /// - Parameters:
    ///   - references: what `ProductReferenceScanner.scan` found in `bytes`.
    ///   - images: product name → replacement, e.g. `registry.example.com/team/helloweb@sha256:…`.
    /// - Throws: `ManifestError.missingImage` for a product without a replacement.
    public static func rewrite(_ bytes: [UInt8], references: [ProductReference], images: [String: String]) throws(ManifestError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + references.count * 96)
        var copied = 0
        for reference in references.sorted(by: { $0.start < $1.start }) {
            guard let image = images[reference.product] else {
                throw .missingImage(product: reference.product, file: reference.file, line: reference.line)
            }
            output += bytes[copied..<reference.start]
            output += Array(image.utf8)
            copied = reference.end
        }
        output += bytes[copied...]
        return output
    }
}
