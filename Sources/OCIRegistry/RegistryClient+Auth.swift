import Foundation

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
    /// The scope a push needs on this repository, plus pull on the repositories blobs may be mounted from.
    var pushScopes: [String] {
        ["repository:\(reference.repository):\(pullOnly ? "pull" : "pull,push")"] + mountSources.filter { $0 != reference.repository }.map { "repository:\($0):pull" }
    }

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

    /// The bearer-token flow: `GET realm?service=…&scope=…`, with this registry's Basic credentials when
    /// we have them. They go to the realm's origin only: a redirect elsewhere is followed without them,
    /// and a plain-HTTP realm of an HTTPS registry (other than on loopback) is refused.
    func fetchToken(_ challenge: AuthChallenge) async throws -> String {
        guard let realm = challenge.realm, var components = URLComponents(string: realm) else {
            throw RegistryError.tokenRequestFailed(realm: challenge.realm ?? "(no realm)", status: nil, detail: "the challenge has no usable realm URL")
        }
        var scopes = pushScopes
        if let scope = challenge.scope, !scopes.contains(scope) { scopes.append(scope) }
        var query = components.queryItems ?? []
        if let service = challenge.service { query.append(URLQueryItem(name: "service", value: service)) }
        query += scopes.map { URLQueryItem(name: "scope", value: $0) }
        components.queryItems = query
        guard let url = components.url, let realmOrigin = Origin(url) else {
            throw RegistryError.tokenRequestFailed(realm: realm, status: nil, detail: "the realm is not an http(s) URL")
        }
        let loopbackRealm = ["localhost", "127.0.0.1", "::1"].contains(realmOrigin.host)
        guard realmOrigin.scheme == "https" || loopbackRealm || baseURL.scheme == "http" else {
            throw RegistryError.tokenRequestFailed(realm: realm, status: nil, detail: "refusing to send credentials to a plain-HTTP token service")
        }
        let response: HTTPResponse
        if let credential, credential.isIdentityToken {
            response = try await exchangeIdentityToken(credential, realm: realm, service: challenge.service, scopes: scopes)
        } else {
            if let credential {
                log("requesting a \(pullOnly ? "pull" : "push") token from \(realmOrigin) as \(credential)")
            } else {
                log("requesting an anonymous \(pullOnly ? "pull" : "push") token from \(realmOrigin)")
            }
            do {
                response = try await follow(HTTPRequest("GET", url), authorization: credential?.basicAuthorization, authorizedOrigin: realmOrigin)
            } catch let failure as TransientFailure {
                throw TransientFailure(problem: "token service: \(failure.problem)", retryAfter: failure.retryAfter)
            }
        }
        switch response.status {
        case 200:
            guard let token = (try? JSONDecoder().decode(TokenResponse.self, from: response.body))?.bearer, !token.isEmpty else {
                throw RegistryError.tokenRequestFailed(realm: realm, status: 200, detail: "the answer holds no token")
            }
            // It becomes a header line: nothing but visible ASCII (no CR/LF smuggling a second header).
            guard token.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                throw RegistryError.tokenRequestFailed(realm: realm, status: 200, detail: "the token holds characters a header cannot carry")
            }
            return token
        case 401, 403:
            throw RegistryError.unauthorized(registry: reference.registry, username: credential?.username)
        case 429, 500...599:
            throw TransientFailure(problem: "HTTP \(response.status) from the token service \(realmOrigin)",
                                   retryAfter: response.header("Retry-After").flatMap(Double.init))
        default:
            throw RegistryError.tokenRequestFailed(realm: realm, status: response.status, detail: "unexpected answer")
        }
    }

    /// The OAuth2 flow for an identity token: `POST realm` with `grant_type=refresh_token`. The token is
    /// in the body, so the answer must come from the realm itself: no redirect is followed.
    func exchangeIdentityToken(_ credential: Credential, realm: String, service: String?, scopes: [String]) async throws -> HTTPResponse {
        var form = URLComponents()
        form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "client_id", value: "swift-containerize"),
                           URLQueryItem(name: "refresh_token", value: credential.password)]
            + (service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            + scopes.map { URLQueryItem(name: "scope", value: $0) }
        // `+` is a space in a form body: encode it (and the other reserved characters) explicitly.
        let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        guard let url = URL(string: realm), Origin(url) != nil else { throw RegistryError.tokenRequestFailed(realm: realm, status: nil, detail: "the realm URL is malformed") }
        log("exchanging \(credential) for a push token at \(Origin(url)?.description ?? realm)")
        let request = HTTPRequest("POST", url, headers: [("Content-Type", "application/x-www-form-urlencoded"), ("User-Agent", "swift-containerize")],
                                  body: Data(body.utf8))
        let response: HTTPResponse
        do {
            response = try await perform(request)
        } catch let failure as TransientFailure {
            throw TransientFailure(problem: "token service: \(failure.problem)", retryAfter: failure.retryAfter)
        }
        if RedirectPolicy.redirectStatuses.contains(response.status) {
            throw RegistryError.tokenRequestFailed(realm: realm, status: response.status, detail: "the token service redirects; an identity token is only sent to the realm itself")
        }
        return response
    }
}
