import Foundation

/// A username and password (or token) for one registry. Its `description` never shows the secret.
public struct Credential: Sendable, Equatable, CustomStringConvertible {
    public var username: String
    public var password: String
    /// Where it was found, e.g. `/home/me/.docker/config.json` — for logs.
    public var source: String

    public init(username: String, password: String, source: String) {
        self.username = username
        self.password = password
        self.source = source
    }

    /// Docker's marker for an identity (OAuth2 refresh) token: `Username: "<token>"` from a helper, or
    /// an `identitytoken` field in `auths`. The bearer flow then trades it at the realm for an access token.
    public static let identityTokenUsername = "<token>"
    public var isIdentityToken: Bool { username == Self.identityTokenUsername }

    public var description: String { isIdentityToken ? "an identity token (from \(source))" : "user '\(username)' (from \(source))" }

    /// The value of a `Basic` Authorization header.
    var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// Finds registry credentials, first match wins, in this order:
///
/// 1. Docker's config: `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`, as Docker
///    reads it: a `credHelpers` entry for the registry runs `docker-credential-<name> get` (and only
///    that); else a `credsStore` runs its helper; else (or when the store has nothing) an `auths`
///    entry whose key is the registry (`host[:port]`, also written `https://host[:port]`, `http://…`
///    or with a trailing path such as `/v1/`), with a base64 `auth` of `user:password` (or plain
///    `username`/`password` fields, or an `identitytoken`). Helpers get the server URL on stdin and answer JSON
///    (`Username`, `Secret`), within `helperTimeout` seconds; a missing or failing helper is an error.
/// 2. `$HOME/.netrc`: a `machine` entry equal to `host:port` or `host`, else a `default` entry.
/// 3. The environment: `CONTAINERIZE_REGISTRY_USERNAME` and `CONTAINERIZE_REGISTRY_PASSWORD`.
///
/// Without any, the push is anonymous.
public struct CredentialStore: Sendable {
    public var environment: [String: String]
    /// Seconds a credential helper may take before it is killed.
    public var helperTimeout: Double

    /// `environment` supplies `HOME`, `DOCKER_CONFIG`, `PATH` (for helpers) and the two variables; tests pass their own.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, helperTimeout: Double = 10) {
        self.environment = environment
        self.helperTimeout = helperTimeout
    }

    /// The credential for `registry` (`host[:port]` as written in the image reference), or nil.
    /// Throws `RegistryError.credentialHelperFailed` when a configured helper is missing or fails.
    public func credential(for registry: String) throws -> Credential? {
        try dockerConfigCredential(for: registry) ?? netrcCredential(for: registry) ?? environmentCredential()
    }

    var dockerConfigPath: String? {
        if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty { return directory + "/config.json" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.docker/config.json" }
        return nil
    }

    func dockerConfigCredential(for registry: String) throws -> Credential? {
        guard let path = dockerConfigPath,
              let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        let wanted = Self.registryKeys(for: registry)
        let helpers = (json["credHelpers"] as? [String: Any]) ?? [:]
        for (key, value) in helpers.sorted(by: { $0.key < $1.key }) where wanted.contains(Self.normalizedRegistryKey(key)) {
            guard let name = value as? String, !name.isEmpty else { continue }
            return try CredentialHelper(name: name, configPath: path, setting: "credHelpers", environment: environment, timeout: helperTimeout)
                .credential(for: Self.helperServerURL(for: registry))
        }
        if let store = json["credsStore"] as? String, !store.isEmpty,
           let found = try CredentialHelper(name: store, configPath: path, setting: "credsStore", environment: environment, timeout: helperTimeout)
               .credential(for: Self.helperServerURL(for: registry)) {
            return found
        }
        guard let auths = json["auths"] as? [String: Any] else { return nil }
        for (key, value) in auths.sorted(by: { $0.key < $1.key }) where wanted.contains(Self.normalizedRegistryKey(key)) {
            guard let entry = value as? [String: Any] else { continue }
            if let token = entry["identitytoken"] as? String, !token.isEmpty {
                return Credential(username: Credential.identityTokenUsername, password: token, source: path)
            }
            if let auth = entry["auth"] as? String, !auth.isEmpty,
               let decoded = Data(base64Encoded: auth).flatMap({ String(data: $0, encoding: .utf8) }),
               let colon = decoded.firstIndex(of: ":") {
                return Credential(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]), source: path)
            }
            if let username = entry["username"] as? String, let password = entry["password"] as? String {
                return Credential(username: username, password: password, source: path)
            }
        }
        return nil
    }

    /// The keys an `auths` entry may use for `registry`; Docker Hub is stored as `index.docker.io`.
    static func registryKeys(for registry: String) -> Set<String> {
        let key = registry.lowercased()
        if ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(key) {
            return ["docker.io", "index.docker.io", "registry-1.docker.io"]
        }
        return [key]
    }

    /// What a helper is asked for: the registry as written; Docker Hub as `https://index.docker.io/v1/`, as `docker login` stores it.
    static func helperServerURL(for registry: String) -> String {
        registryKeys(for: registry).contains("index.docker.io") ? "https://index.docker.io/v1/" : registry
    }

    /// `https://host:port/v1/` → `host:port`.
    static func normalizedRegistryKey(_ key: String) -> String {
        var text = Substring(key.lowercased())
        for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        return String(text)
    }

    func netrcCredential(for registry: String) -> Credential? {
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        let path = home + "/.netrc"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let entries = Self.parseNetrc(text)
        let host = registry.split(separator: ":", maxSplits: 1).first.map(String.init) ?? registry
        let match = entries.first { $0.machine == registry } ?? entries.first { $0.machine == host } ?? entries.first { $0.machine == nil }
        guard let match, let login = match.login, let password = match.password else { return nil }
        return Credential(username: login, password: password, source: path)
    }

    struct NetrcEntry: Equatable {
        /// nil for the `default` entry.
        var machine: String?
        var login: String?
        var password: String?
    }

    /// Tokens separated by whitespace: `machine NAME`, `default`, `login NAME`, `password SECRET`;
    /// `macdef` bodies (until an empty line) are skipped.
    static func parseNetrc(_ text: String) -> [NetrcEntry] {
        var entries: [NetrcEntry] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var tokens: [String] = []
        while let line = lines.popFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            if words.first == "macdef" {
                while let body = lines.popFirst(), !body.trimmingCharacters(in: .whitespaces).isEmpty {}
                continue
            }
            tokens += words
        }
        var index = 0
        func next() -> String? {
            defer { index += 1 }
            return index < tokens.count ? tokens[index] : nil
        }
        while let token = next() {
            switch token {
            case "machine": entries.append(NetrcEntry(machine: next()))
            case "default": entries.append(NetrcEntry(machine: nil))
            case "login": if !entries.isEmpty { entries[entries.count - 1].login = next() } else { _ = next() }
            case "password": if !entries.isEmpty { entries[entries.count - 1].password = next() } else { _ = next() }
            case "account": _ = next()
            default: continue
            }
        }
        return entries
    }

    func environmentCredential() -> Credential? {
        guard let username = environment["CONTAINERIZE_REGISTRY_USERNAME"], !username.isEmpty,
              let password = environment["CONTAINERIZE_REGISTRY_PASSWORD"]
        else { return nil }
        return Credential(username: username, password: password, source: "CONTAINERIZE_REGISTRY_USERNAME/CONTAINERIZE_REGISTRY_PASSWORD")
    }
}
