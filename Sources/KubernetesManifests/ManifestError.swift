/// Everything that can go wrong while reading, checking or rewriting manifests. Each message is one
/// line that names the file (and line, where there is one) and says what to do.
public enum ManifestError: Error, Equatable, CustomStringConvertible {
    case syntax(file: String, line: Int, message: String)
    case invalidReference(file: String, line: Int, value: String, reason: String)
    case unknownProduct(product: String, file: String, line: Int, executables: [String])
    case missingImage(product: String, file: String, line: Int)
    case sharedRepository(product: String, other: String, repository: String, file: String, line: Int)
    case invalidImageMapping(String)
    case unreadable(path: String, reason: String)
    case tooLarge(path: String, bytes: Int, limit: Int)
    case noManifests(path: String)
    case notUTF8(file: String, line: Int)

    public var description: String {
        switch self {
        case let .syntax(file, line, message):
            return "\(file):\(line): YAML syntax error: \(message)"
        case let .invalidReference(file, line, value, reason):
            let shown = value.count > 80 ? value.prefix(80) + "…" : value
            return "\(file):\(line): image '\(shown)' is not a valid swift://PRODUCT reference: \(reason)"
        case let .unknownProduct(product, file, line, executables):
            let known = executables.isEmpty ? "none" : executables.joined(separator: ", ")
            return "\(file):\(line): swift://\(product) names no executable product of this package (executable products: \(known))"
        case let .missingImage(product, file, line):
            return "\(file):\(line): no --image \(product)=REF@sha256:… was given for swift://\(product)"
        case let .sharedRepository(product, other, repository, file, line):
            return "\(file):\(line): swift://\(product) and swift://\(other) would both be pushed to \(repository); rename one of the two products"
        case let .invalidImageMapping(text):
            return "invalid --image '\(text)': expected PRODUCT=HOST[:PORT]/REPO@sha256:<64 hex digits>"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .tooLarge(path, bytes, limit):
            return "\(path) is \(bytes) bytes, over the \(limit)-byte limit for a manifest file; split it or pass the folder that holds the real manifests"
        case let .notUTF8(file, line):
            return "\(file):\(line): not valid UTF-8, which YAML and Kubernetes require; save the file as UTF-8"
        case let .noManifests(path):
            return "\(path) holds no .yaml, .yml or .json file; pass a manifest file or a folder of manifests"
        }
    }
}
