/// A parsed image reference: `[HOST[:PORT]/]REPO[:TAG][@sha256:HEX]`.
///
/// The first path component is a registry host when it contains `.` or `:`, or is `localhost`;
/// otherwise the reference names Docker Hub (`docker.io`, single names get the `library/` prefix).
public struct RegistryReference: Sendable, Equatable, CustomStringConvertible {
    /// The registry as written, e.g. `127.0.0.1:5000`, `ghcr.io`, `docker.io`.
    public var registry: String
    /// The repository inside the registry, e.g. `hello` or `library/swift`.
    public var repository: String
    /// The tag; `latest` when neither a tag nor a digest was given.
    public var tag: String?
    /// `sha256:…` when the reference was pinned.
    public var digest: String?

    /// Parses `reference`; throws `RegistryError.invalidReference` with the reason.
    public init(parsing reference: String) throws {
        func invalid(_ reason: String) -> RegistryError { .invalidReference(reference, reason: reason) }
        guard !reference.isEmpty else { throw invalid("it is empty") }
        guard !reference.contains(where: { $0.isWhitespace }) else { throw invalid("it contains whitespace") }

        var remainder = Substring(reference)
        var digest: String?
        if let at = remainder.firstIndex(of: "@") {
            let candidate = String(remainder[remainder.index(after: at)...])
            guard Self.isValidDigest(candidate) else { throw invalid("the digest must be sha256: followed by 64 lowercase hex digits") }
            digest = candidate
            remainder = remainder[..<at]
        }

        var components = remainder.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = "docker.io"
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" {
            registry = first
            components.removeFirst()
        }
        guard !registry.isEmpty else { throw invalid("the registry host is empty") }

        var tag: String?
        if let last = components.last, let colon = last.lastIndex(of: ":") {
            let candidate = String(last[last.index(after: colon)...])
            guard Self.isValidTag(candidate) else { throw invalid("the tag '\(candidate)' must be 1–128 characters of [A-Za-z0-9_.-], not starting with . or -") }
            tag = candidate
            components[components.count - 1] = String(last[..<colon])
        }
        if registry == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        let repository = components.joined(separator: "/")
        guard components.allSatisfy(Self.isValidPathComponent) else {
            throw invalid("the repository '\(repository)' must be lowercase path components of [a-z0-9] separated by '.', '_', '__' or '-'")
        }
        if tag == nil && digest == nil { tag = "latest" }

        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// The host (and port) the HTTP API is served from; Docker Hub's API lives on `registry-1.docker.io`.
    public var apiHost: String { registry == "docker.io" ? "registry-1.docker.io" : registry }

    /// The host without the port, used to decide about plain HTTP and to look up credentials.
    public var hostWithoutPort: String {
        if registry.hasPrefix("["), let close = registry.firstIndex(of: "]") {
            return String(registry[...close])
        }
        return String(registry.split(separator: ":", maxSplits: 1).first ?? Substring(registry))
    }

    /// Whether the registry is this machine, where plain HTTP is acceptable.
    public var isLoopback: Bool { ["localhost", "127.0.0.1", "[::1]"].contains(hostWithoutPort) }

    /// What a manifest is stored under: the digest when pinned, otherwise the tag.
    public var manifestReference: String { digest ?? tag ?? "latest" }

    /// `HOST/REPO@sha256:…` for a manifest digest.
    public func pinned(to digest: String) -> String { "\(registry)/\(repository)@\(digest)" }

    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    static func isValidDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.dropFirst("sha256:".count)
        return hex.count == 64 && hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    static func isValidTag(_ text: String) -> Bool {
        guard let first = text.first, text.count <= 128, first != ".", first != "-" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    /// `[a-z0-9]+` joined by `.`, `_`, `__` or any number of `-` (distribution's path-component grammar).
    static func isValidPathComponent(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return false }
        let alphanumeric: (Character) -> Bool = { $0.isASCII && (("a"..."z").contains($0) || $0.isNumber) }
        guard alphanumeric(first), alphanumeric(last) else { return false }
        var previous: Character = first
        var underscores = 0
        for character in text.dropFirst() {
            if alphanumeric(character) { underscores = 0; previous = character; continue }
            switch character {
            case "-": break
            case ".": if !alphanumeric(previous) { return false }
            case "_":
                underscores += 1
                if underscores > 2 || (underscores == 1 && !alphanumeric(previous)) { return false }
            default: return false
            }
            previous = character
        }
        return true
    }
}
