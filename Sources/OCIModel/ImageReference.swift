/// An image reference, `[HOST[:PORT]/]NAME[:TAG][@sha256:HEX]`, parsed by the grammar of the
/// distribution spec (`reference.go`) with Docker's normalisation: without a registry host the
/// reference names Docker Hub (`docker.io`), and a one-component name there gets `library/`.
///
/// The first component is a host when it contains `.` or `:`, is `localhost`, is a bracketed
/// IPv6 literal, or has uppercase letters (as Docker decides). This is the only reference parser:
/// `--tag`, `--push`, `registry:` outputs and the registry client all use it.
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The registry as written, e.g. `127.0.0.1:5000`, `[::1]:5000`, `ghcr.io`, `docker.io`.
    public var registry: String
    /// The repository inside the registry, e.g. `team/hello` or `library/swift`.
    public var repository: String
    /// The tag; `latest` when neither a tag nor a digest was given.
    public var tag: String?
    /// `sha256:…` when the reference is pinned.
    public var digest: String?

    /// What a valid reference looks like, for error messages.
    public static let validForm = "[HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST] with a lowercase NAME, e.g. helloweb:1.0 or localhost:5000/team/helloweb:1.0"

    /// Parses `text`; `allowDigest: false` for names of local images (`--tag`), which cannot be pinned.
    public init(parsing text: String, allowDigest: Bool = true) throws(ReferenceError) {
        func invalid(_ reason: String) -> ReferenceError { ReferenceError(reference: text, reason: reason) }
        guard !text.isEmpty else { throw invalid("it is empty") }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7f }) else {
            // Shown with control characters as `?`: the message stays one line and cannot drive a terminal.
            let shown = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : $0 }))
            throw ReferenceError(reference: shown, reason: "it contains whitespace or a character outside ASCII")
        }
        // `USER:PASSWORD@HOST/…` (an `@` before the first `/`): refused without echoing what precedes the `@`.
        if let at = text.firstIndex(of: "@"), let slash = text.firstIndex(of: "/"), at < slash {
            throw ReferenceError(reference: "…@" + text[text.index(after: at)...],
                                 reason: "it holds credentials before the host (USER:PASSWORD@); never put them in a reference, use docker login, ~/.netrc or CONTAINERIZE_REGISTRY_USERNAME/CONTAINERIZE_REGISTRY_PASSWORD")
        }
        var remainder = Substring(text)
        var digest: String?
        if let at = remainder.firstIndex(of: "@") {
            let candidate = String(remainder[remainder.index(after: at)...])
            guard allowDigest else { throw invalid("a local image name cannot be pinned to a digest; leave out @\(candidate)") }
            guard Self.isValidDigest(candidate) else { throw invalid("the digest must be sha256: followed by 64 lowercase hex digits") }
            digest = candidate
            remainder = remainder[..<at]
        }

        var components = remainder.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = "docker.io"
        if components.count > 1, let first = components.first, Self.looksLikeHost(first) {
            guard Self.isValidHost(first) else {
                throw invalid("the registry host '\(first)' must be a host name, an IPv4 address or a bracketed IPv6 address, with an optional :PORT")
            }
            registry = first == "index.docker.io" ? "docker.io" : first
            components.removeFirst()
        }

        var tag: String?
        if let last = components.last, let colon = last.firstIndex(of: ":") {
            let candidate = String(last[last.index(after: colon)...])
            guard Self.isValidTag(candidate) else {
                throw invalid("the tag '\(candidate)' must be 1–128 characters of [A-Za-z0-9_.-], not starting with . or -")
            }
            tag = candidate
            components[components.count - 1] = String(last[..<colon])
        }
        if let bad = components.first(where: { !Self.isValidPathComponent($0) }) {
            let detail = bad.isEmpty ? "has an empty component" : "has the component '\(bad)'"
            throw invalid("the name '\(components.joined(separator: "/"))' \(detail); names are lowercase [a-z0-9] parts joined by '.', '_', '__' or '-', separated by '/'")
        }
        if registry == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        let repository = components.joined(separator: "/")
        guard registry.utf8.count + 1 + repository.utf8.count <= 255 else { throw invalid("the name is longer than 255 characters") }
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
        if registry.hasPrefix("["), let close = registry.firstIndex(of: "]") { return String(registry[...close]) }
        return String(registry.split(separator: ":", maxSplits: 1).first ?? Substring(registry))
    }

    /// Whether the registry is this machine, where plain HTTP is acceptable.
    public var isLoopback: Bool { ["localhost", "127.0.0.1", "[::1]"].contains(hostWithoutPort) }

    /// What a manifest is stored under: the digest when pinned, otherwise the tag.
    public var manifestReference: String { digest ?? tag ?? "latest" }

    /// The tag, `latest` for a reference pinned only by digest.
    public var tagOrLatest: String { tag ?? "latest" }

    /// `HOST/REPO@sha256:…` for a manifest digest.
    public func pinned(to digest: String) -> String { "\(registry)/\(repository)@\(digest)" }

    /// The fully qualified form, `docker.io/library/hello:1`, as containerd records image names.
    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// Docker's short form of the name: `hello` for `docker.io/library/hello`, `team/app` for
    /// `docker.io/team/app`, the full name for other registries.
    public var familiarName: String {
        guard registry == "docker.io" else { return "\(registry)/\(repository)" }
        return repository.hasPrefix("library/") && repository.split(separator: "/").count == 2 ? String(repository.dropFirst("library/".count)) : repository
    }

    /// `NAME:TAG` in Docker's short form, as `docker images` and `docker save`'s `RepoTags` show it.
    public var familiarDescription: String { "\(familiarName):\(tagOrLatest)" }

    /// `sha256:` and 64 lowercase hex digits.
    public static func isValidDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst("sha256:".count)
        return hex.count == 64 && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    public static func isValidTag(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWord(first) else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `[a-z0-9]+` joined by `.`, `_`, `__` or one or more `-` (the distribution spec's path component).
    public static func isValidPathComponent(_ text: String) -> Bool {
        var separator: [UInt8] = []
        var sawAlphanumeric = false
        for byte in text.utf8 {
            if isLowerAlphanumeric(byte) {
                if !separator.isEmpty {
                    guard isValidSeparator(separator) else { return false }
                    separator.removeAll()
                }
                sawAlphanumeric = true
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") {
                guard sawAlphanumeric else { return false }
                separator.append(byte)
            } else {
                return false
            }
        }
        return sawAlphanumeric && separator.isEmpty
    }

    private static func isValidSeparator(_ separator: [UInt8]) -> Bool {
        let dot = UInt8(ascii: "."), underscore = UInt8(ascii: "_"), dash = UInt8(ascii: "-")
        if separator == [dot] || separator == [underscore] || separator == [underscore, underscore] { return true }
        return separator.allSatisfy { $0 == dash }
    }

    /// Docker's rule for "the first component is a registry".
    static func looksLikeHost(_ component: String) -> Bool {
        component.contains(".") || component.contains(":") || component == "localhost" || component.hasPrefix("[")
            || component.utf8.contains { (0x41...0x5a).contains($0) }
    }

    /// `host[:port]` where host is a DNS name, an IPv4 address or `[IPv6]`.
    static func isValidHost(_ text: String) -> Bool {
        var host = Substring(text)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inner = host[host.index(after: host.startIndex)..<close]
            let after = host[host.index(after: close)...]
            guard isIPv6(inner) else { return false }
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
            host = ""
        } else if let colon = host.firstIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        if let port {
            guard !port.isEmpty, port.utf8.count <= 5, port.utf8.allSatisfy({ (0x30...0x39).contains($0) }), Int(port)! <= 65535 else { return false }
        }
        guard !host.isEmpty else { return text.hasPrefix("[") }
        // Domain components: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]; an IPv4 address fits too.
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.utf8.first, let last = label.utf8.last else { return false }
            return isAlphanumeric(first) && isAlphanumeric(last) && label.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
    }

    static func isIPv6(_ text: Substring) -> Bool {
        guard text.utf8.count >= 2, text.utf8.allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return false }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        guard groups.count >= 3, groups.count <= 9 else { return false }
        let compressions = text.ranges(of: "::").count
        guard compressions <= 1, !text.contains(":::") else { return false }
        if compressions == 0 && groups.count != 8 && !(groups.count == 7 && groups.last!.contains(".")) { return false }
        return groups.allSatisfy { $0.utf8.count <= 4 || $0.contains(".") }
    }

    private static func isWord(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || byte == UInt8(ascii: "_") }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isLowerAlphanumeric(byte) || (0x41...0x5a).contains(byte) }
    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7a).contains(byte) || (0x30...0x39).contains(byte) }
    private static func isHex(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) || (0x41...0x46).contains(byte) }
}

/// A reference that does not follow the grammar; the message says why and what a valid one looks like.
public struct ReferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reference: String
    public var reason: String
    public init(reference: String, reason: String) {
        self.reference = reference
        self.reason = reason
    }
    public var description: String {
        "invalid image reference '\(reference)': \(reason); use \(ImageReference.validForm)"
    }
}
