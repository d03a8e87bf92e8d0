import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A parsed `WWW-Authenticate` header: `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`.
struct AuthChallenge: Sendable, Equatable {
    enum Scheme: String, Sendable { case basic, bearer }
    var scheme: Scheme
    var parameters: [String: String]

    var realm: String? { parameters["realm"] }
    var service: String? { parameters["service"] }
    var scope: String? { parameters["scope"] }

    /// Parses the first challenge of `header`; nil for schemes other than Basic and Bearer.
    init?(header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let schemeEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        guard let scheme = Scheme(rawValue: trimmed[..<schemeEnd].lowercased()) else { return nil }
        self.scheme = scheme
        self.parameters = Self.parseParameters(trimmed[schemeEnd...])
    }

    /// `key=value` or `key="value, with commas"` pairs separated by commas.
    static func parseParameters(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        var rest = text[...]
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "," })
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\", let escaped = rest.first { value.append(escaped); rest = rest.dropFirst(); continue }
                    if character == "\"" { break }
                    value.append(character)
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            result[key] = value
        }
        return result
    }
}

extension RegistryClient {
    /// The scope a push needs on this repository.
    var pushScope: String { "repository:\(reference.repository):pull,push" }

    /// Answers `challenge`: Basic uses the credential directly; Bearer fetches a token from the realm.
    /// Throws `unauthorized` when there is no credential for a Basic challenge.
    func authenticate(for challenge: AuthChallenge) async throws {
        switch challenge.scheme {
        case .basic:
            guard let credential else { throw RegistryError.unauthorized(registry: reference.registry, username: nil) }
            log("authenticating to \(reference.registry) as \(credential)")
            authorization = credential.basicAuthorization
        case .bearer:
            authorization = "Bearer " + (try await fetchToken(challenge))
        }
    }

    /// The bearer-token flow: `GET realm?service=…&scope=…`, with Basic credentials when we have them.
    func fetchToken(_ challenge: AuthChallenge) async throws -> String {
        guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
            throw RegistryError.tokenRequestFailed(realm: challenge.realm ?? "(no realm)", status: nil, detail: "the challenge has no usable realm URL")
        }
        var scopes = [pushScope]
        if let scope = challenge.scope, scope != pushScope { scopes.append(scope) }
        var query = components.queryItems ?? []
        if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
        query += scopes.map { URLQueryItem(name: "scope", value: $0) }
        components.queryItems = query
        guard let url = components.url else {
            throw RegistryError.tokenRequestFailed(realm: realm, status: nil, detail: "the realm URL is malformed")
        }
        let host = components.host ?? ""
        guard components.scheme == "https" || ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) || baseURL.scheme == "http" else {
            throw RegistryError.tokenRequestFailed(realm: realm, status: nil, detail: "refusing to send credentials to a plain-HTTP token service")
        }
        var request = URLRequest(url: url)
        if let credential {
            log("requesting a push token from \(host) as \(credential)")
            request.setValue(credential.basicAuthorization, forHTTPHeaderField: "Authorization")
        } else {
            log("requesting an anonymous push token from \(host)")
        }
        request.setValue("swift-containerize", forHTTPHeaderField: "User-Agent")
        let data: Data
        let http: HTTPURLResponse
        do {
            (data, http) = try await transport.data(for: request)
        } catch let error as URLError {
            throw TransientFailure(problem: Self.describe(error, host: host))
        }
        switch http.statusCode {
        case 200:
            guard let token = (try? JSONDecoder().decode(TokenResponse.self, from: data))?.bearer, !token.isEmpty else {
                throw RegistryError.tokenRequestFailed(realm: realm, status: 200, detail: "the answer holds no token")
            }
            return token
        case 401, 403:
            throw RegistryError.unauthorized(registry: reference.registry, username: credential?.username)
        case 500...599:
            throw TransientFailure(problem: "HTTP \(http.statusCode) from the token service \(host)")
        default:
            throw RegistryError.tokenRequestFailed(realm: realm, status: http.statusCode, detail: "unexpected answer")
        }
    }
}
