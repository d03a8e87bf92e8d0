import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Speaks the OCI distribution API to one repository of one registry.
///
/// Every request carries the current authorization; a 401 with a `WWW-Authenticate` challenge
/// triggers one authentication (Basic or bearer token, see `RegistryClient+Auth.swift`) and a resend.
/// Operations are retried as a whole by `withRetry` on connection errors and 5xx answers.
actor RegistryClient {
    let reference: RegistryReference
    /// `http(s)://HOST[:PORT]/` — plain HTTP only for loopback registries or when `insecure`.
    nonisolated let baseURL: URL
    let credential: Credential?
    let retryPolicy: RetryPolicy
    let log: @Sendable (String) -> Void
    let transport: HTTPTransport
    /// The `Authorization` header value in use; never logged.
    var authorization: String?

    init(reference: RegistryReference, insecure: Bool, credential: Credential?, retryPolicy: RetryPolicy,
         requestTimeout: Double, log: @escaping @Sendable (String) -> Void) throws {
        self.reference = reference
        let scheme = (reference.isLoopback || insecure) ? "http" : "https"
        guard let url = URL(string: "\(scheme)://\(reference.apiHost)/") else {
            throw RegistryError.invalidReference(reference.description, reason: "'\(reference.apiHost)' is not a valid host")
        }
        baseURL = url
        self.credential = credential
        self.retryPolicy = retryPolicy
        self.log = log
        transport = HTTPTransport(requestTimeout: requestTimeout)
    }

    deinit { transport.invalidate() }

    /// `/v2/<repository>/<suffix>` on the registry.
    func url(_ suffix: String) -> URL {
        baseURL.appendingPathComponent("v2/\(reference.repository)/\(suffix)")
    }

    /// A `Location` header, which may be relative, as an absolute URL with extra query text appended verbatim
    /// (the registry's own query, e.g. `_state`, is kept byte for byte).
    func uploadURL(location: String, appendingQuery extra: String? = nil) throws -> URL {
        var text = location
        if let extra { text += (text.contains("?") ? "&" : "?") + extra }
        guard let url = URL(string: text, relativeTo: baseURL)?.absoluteURL else {
            throw RegistryError.unexpectedResponse(operation: "blob upload", status: 202, detail: "the registry sent an unusable Location header")
        }
        return url
    }

    // MARK: Sending

    /// A transport failure or 5xx: worth retrying.
    struct TransientFailure: Error {
        var problem: String
    }

    /// Sends `request` with the current authorization; on 401 authenticates once from the challenge and resends.
    /// Connection errors become `TransientFailure`; 5xx answers too.
    func send(_ request: URLRequest, body: Data? = nil) async throws -> (Data, HTTPURLResponse) {
        var (data, response) = try await sendOnce(request, body: body)
        if response.statusCode == 401, let header = response.header("WWW-Authenticate"),
           let challenge = AuthChallenge(header: header) {
            try await authenticate(for: challenge)
            (data, response) = try await sendOnce(request, body: body)
        }
        if (500...599).contains(response.statusCode) {
            throw TransientFailure(problem: "HTTP \(response.statusCode) from \(request.httpMethod ?? "GET") \(request.url?.path ?? "")")
        }
        return (data, response)
    }

    func sendOnce(_ request: URLRequest, body: Data?) async throws -> (Data, HTTPURLResponse) {
        var request = request
        // Credentials go only to the registry itself: an upload `Location` may name another host
        // (a storage backend), which must not see them.
        if let authorization, let url = request.url, Self.sameOrigin(url, baseURL) {
            request.setValue(authorization, forHTTPHeaderField: "Authorization")
        }
        if let body {
            request.httpBody = body
            request.setValue(String(body.count), forHTTPHeaderField: "Content-Length")
        }
        request.setValue("swift-containerize", forHTTPHeaderField: "User-Agent")
        do {
            return try await transport.data(for: request)
        } catch let error as URLError {
            throw TransientFailure(problem: Self.describe(error, host: reference.registry))
        }
    }

    /// Same scheme, host and port.
    static func sameOrigin(_ url: URL, _ base: URL) -> Bool {
        url.scheme == base.scheme && url.host == base.host && url.port == base.port
    }

    static func describe(_ error: URLError, host: String) -> String {
        switch error.code {
        case .cannotConnectToHost: return "connection to \(host) refused"
        case .timedOut: return "request to \(host) timed out"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve \(host)"
        case .networkConnectionLost: return "connection to \(host) lost"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid:
            return "TLS handshake with \(host) failed (for a plain-HTTP registry use --insecure-registry)"
        default: return "network error \(error.code.rawValue) talking to \(host)"
        }
    }

    /// Runs `operation`, retrying after `TransientFailure` with exponential backoff per `retryPolicy`;
    /// when attempts run out, throws `RegistryError.unreachable`.
    func withRetry<T: Sendable>(_ what: String, _ operation: () async throws -> T) async throws -> T {
        let delays = retryPolicy.delays
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let failure as TransientFailure {
                guard attempt <= delays.count else {
                    throw RegistryError.unreachable(registry: reference.registry, attempts: attempt, lastProblem: failure.problem)
                }
                let delay = delays[attempt - 1]
                log("\(what): \(failure.problem); retrying in \(String(format: "%.1f", delay)) s (attempt \(attempt + 1) of \(delays.count + 1))")
                try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
                attempt += 1
            }
        }
    }

    // MARK: Answers

    /// The error for an unsuccessful answer, naming what to check for 401/403/404/413.
    func failure(_ operation: String, _ response: HTTPURLResponse, _ data: Data, bytes: Int64 = 0) -> RegistryError {
        let registry = reference.registry
        switch response.statusCode {
        case 401: return .unauthorized(registry: registry, username: credential?.username)
        case 403: return .forbidden(registry: registry, repository: reference.repository, username: credential?.username)
        case 404: return .notFound(registry: registry, repository: reference.repository, what: operation)
        case 413: return .tooLarge(registry: registry, what: operation, bytes: bytes)
        default:
            let detail = (try? JSONDecoder().decode(RegistryErrorBody.self, from: data))?.summary
                ?? String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .unexpectedResponse(operation: operation, status: response.statusCode, detail: detail)
        }
    }

    /// `GET /v2/`: checks the registry answers the distribution API and sets up authorization early.
    func ping() async throws {
        try await withRetry("contacting \(reference.registry)") {
            let (data, response) = try await send(URLRequest(url: baseURL.appendingPathComponent("v2/")))
            guard response.statusCode == 200 else { throw failure("the API check (GET /v2/)", response, data) }
        }
    }
}

extension HTTPURLResponse {
    /// A header by case-insensitive name.
    func header(_ name: String) -> String? {
        for (key, value) in allHeaderFields {
            if let key = key as? String, key.caseInsensitiveCompare(name) == .orderedSame { return value as? String }
        }
        return nil
    }
}
