import Foundation

/// Speaks the OCI distribution API to one repository of one registry.
///
/// Every request to the registry's own origin carries the current authorization, and no other
/// origin ever gets it; a 401 with a `WWW-Authenticate` challenge triggers one authentication
/// (Basic or bearer token, see `RegistryClient+Auth.swift`) and a resend. Redirects are followed
/// here, per `RedirectPolicy`. Operations are retried as a whole by `withRetry` on retryable failures.
actor RegistryClient {
    let reference: RegistryReference
    /// `https://HOST[:PORT]/`, or `http://` with `plainHTTP`, or after a loopback registry proved not to speak TLS.
    private(set) var baseURL: URL
    let credential: Credential?
    let retryPolicy: RetryPolicy
    let log: @Sendable (String) -> Void
    let transport: HTTPTransport
    let plainHTTP: Bool
    /// The extra CA files trusted for this registry, named in certificate errors.
    let extraCAs: [String]
    /// `ROOT/HOST[:PORT]` for each certs.d root in effect, for the TLS hints.
    let certsFolders: [String]
    /// Repositories blobs may be mounted from: their pull scope is asked for with the push scope.
    let mountSources: [String]
    /// Ask tokens for the pull scope only (a base image is read, never written).
    let pullOnly: Bool
    /// The `Authorization` header value for the registry's origin; never logged.
    var authorization: String?

    init(reference: RegistryReference, connection: ConnectionOptions, credential: Credential?, retryPolicy: RetryPolicy,
         mountSources: [String] = [], pullOnly: Bool = false, log: @escaping @Sendable (String) -> Void) throws {
        self.reference = reference
        let scheme = connection.plainHTTP ? "http" : "https"
        guard let url = URL(string: "\(scheme)://\(reference.apiHost)/"), Origin(url) != nil else {
            throw RegistryError.invalidReference(reference.description, reason: "'\(reference.apiHost)' is not a valid host")
        }
        baseURL = url
        plainHTTP = connection.plainHTTP
        let (settings, extraCAs) = try connection.transportSettings(for: reference.registry)
        self.extraCAs = extraCAs
        certsFolders = connection.certsDirectoryRoots.map { "\($0)/\(reference.registry)" }
        self.credential = credential
        self.retryPolicy = retryPolicy
        self.mountSources = mountSources
        self.pullOnly = pullOnly
        self.log = log
        transport = HTTPTransport(settings: settings)
    }

    var registryOrigin: Origin? { Origin(baseURL) }

    /// `/v2/<repository>/<suffix>` on the registry.
    func url(_ suffix: String) -> URL {
        baseURL.appendingPathComponent("v2/\(reference.repository)/\(suffix)")
    }

    /// A `Location` header, which may be relative, as an absolute URL with extra query text appended verbatim
    /// (the registry's own query, e.g. `_state`, is kept byte for byte). An upload session on plain HTTP
    /// for an HTTPS registry is refused like a redirect would be.
    func uploadURL(location: String, appendingQuery extra: String? = nil) throws -> URL {
        var text = location
        if let extra { text += (text.contains("?") ? "&" : "?") + extra }
        guard let url = URL(string: text, relativeTo: baseURL)?.absoluteURL, Origin(url) != nil else {
            throw RegistryError.badResponse(registry: reference.registry, detail: "the upload Location header is not an http(s) URL")
        }
        if baseURL.scheme == "https" && url.scheme?.lowercased() == "http" {
            throw RegistryError.redirectRefused(registry: reference.registry, detail: RedirectProblem.downgrade(from: RedirectPolicy.redacted(baseURL), to: RedirectPolicy.redacted(url)).description)
        }
        return url
    }

    // MARK: Sending

    /// A failure worth retrying: the connection broke or was refused, 5xx, or 429 (with its `Retry-After`).
    struct TransientFailure: Error {
        var problem: String
        var retryAfter: Double?
    }

    /// A request's `.file` body could not be sent as it was (see `TransportFailure.fileChanged`);
    /// the blob upload turns it into `RegistryError.blobChanged`. Never retried.
    struct BodyFileFailure: Error {
        var path: String
        var detail: String
    }

    /// A download's body ran past its size or could not be written (see `DownloadSink`). Never retried.
    struct DownloadFailure: Error {
        var detail: String
    }

    /// Sends `request` to the registry with its authorization; on 401 authenticates once from the challenge
    /// and resends. 5xx and 429 become `TransientFailure`.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var response = try await follow(request, authorization: authorization, authorizedOrigin: registryOrigin)
        // Only the registry itself may ask for credentials: a challenge from another origin (after a
        // redirect) could name any realm, which would then get this registry's credentials.
        if response.status == 401, Origin(response.url) == registryOrigin,
           let header = response.header("WWW-Authenticate"), let challenge = AuthChallenge(header: header) {
            try await authenticate(for: challenge)
            response = try await follow(request, authorization: authorization, authorizedOrigin: registryOrigin)
        }
        if (500...599).contains(response.status) || response.status == 429 {
            throw TransientFailure(problem: "HTTP \(response.status) from \(request.method) \(request.url.path)",
                                   retryAfter: response.header("Retry-After").flatMap(Double.init))
        }
        return response
    }

    /// Sends `request`, following redirects per `RedirectPolicy`; `authorization` goes only to `authorizedOrigin`.
    func follow(_ request: HTTPRequest, authorization: String?, authorizedOrigin: Origin?) async throws -> HTTPResponse {
        var policy = RedirectPolicy(start: request.url)
        var current = request
        while true {
            var outgoing = current
            let sameOrigin = authorizedOrigin != nil && Origin(current.url) == authorizedOrigin
            outgoing.setHeader("Authorization", sameOrigin ? authorization : nil)
            outgoing.setHeader("User-Agent", "swift-containerize")
            let response = try await perform(outgoing)
            do {
                guard let next = try policy.next(after: response, of: current) else { return response }
                if Origin(next.url) != Origin(current.url) {
                    log("\(current.method) \(current.url.path): following HTTP \(response.status) to \(Origin(next.url)?.description ?? "?") (no credentials sent there)")
                }
                current = next
            } catch {
                throw RegistryError.redirectRefused(registry: reference.registry, detail: error.description)
            }
        }
    }

    /// One exchange; transport failures become `TransientFailure` (retryable) or a `RegistryError`.
    func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            return try await transport.send(request)
        } catch let failure as TransportFailure {
            let host = Self.hostDescription(request.url)
            let operation = "\(request.method) \(request.url.path)"
            switch failure {
            case let .connectionRefused(detail): throw TransientFailure(problem: "connection to \(host) refused (\(detail))")
            case let .connectionLost(detail): throw TransientFailure(problem: "connection to \(host) lost during \(operation) (\(detail))")
            case let .cannotResolve(detail): throw RegistryError.unreachable(registry: host, attempts: 1, lastProblem: "cannot resolve the host name (\(detail))")
            case let .timedOut(.tlsHandshake, seconds):
                throw RegistryError.tlsHandshakeTimedOut(registry: host, seconds: seconds)
            case let .timedOut(phase, seconds):
                let what = phase == .connecting ? "\(phase.rawValue) to \(host)" : "\(phase.rawValue) to \(operation)"
                throw RegistryError.timedOut(registry: host, what: what, seconds: seconds)
            case let .certificateRejected(detail):
                throw RegistryError.certificateRejected(registry: host, problem: detail, extraCAs: extraCAs, certsFolders: certsFolders)
            case let .tlsHandshakeFailed(detail): throw RegistryError.tlsHandshakeFailed(registry: host, detail: detail)
            case let .clientCertificateRefused(detail): throw RegistryError.clientCertificateRefused(registry: host, detail: detail, certsFolders: certsFolders)
            case let .unusableCAFile(detail): throw RegistryError.unusableCAFile(path: extraCAs.joined(separator: ", "), reason: detail)
            case let .responseTooLarge(what, limit): throw RegistryError.badResponse(registry: host, detail: "\(what) of \(operation) exceeded \(limit) bytes")
            case let .fileChanged(path, detail): throw BodyFileFailure(path: path, detail: detail)
            case let .downloadFailed(detail): throw DownloadFailure(detail: detail)
            case let .other(detail): throw RegistryError.badResponse(registry: host, detail: "\(operation): \(detail)")
            }
        }
    }

    /// `host:port` of a URL, as users write it (`[::1]:5000`).
    static func hostDescription(_ url: URL) -> String {
        guard let origin = Origin(url) else { return url.absoluteString }
        let host = origin.host.contains(":") ? "[\(origin.host)]" : origin.host
        return url.port == nil ? host : "\(host):\(origin.port)"
    }

    /// Runs `operation`, retrying after `TransientFailure` with jittered exponential backoff per
    /// `retryPolicy` (or the server's `Retry-After`, capped); when attempts run out, throws `RegistryError.unreachable`.
    func withRetry<T: Sendable>(_ what: String, _ operation: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let failure as TransientFailure {
                guard let delay = retryPolicy.delay(beforeAttempt: attempt + 1, retryAfter: failure.retryAfter, random: Double.random(in: 0...1)) else {
                    throw RegistryError.unreachable(registry: reference.registry, attempts: attempt, lastProblem: failure.problem)
                }
                log("\(what): \(failure.problem); retrying in \(String(format: "%.1f", delay)) s (attempt \(attempt + 1) of \(retryPolicy.maxAttempts))")
                try await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000))
                attempt += 1
            }
        }
    }

    // MARK: Answers

    /// The error for an unsuccessful answer, naming what to check for 401/403/404/413.
    func failure(_ operation: String, _ response: HTTPResponse, bytes: Int64 = 0) -> RegistryError {
        let registry = reference.registry
        switch response.status {
        case 401: return .unauthorized(registry: registry, username: credential?.username)
        case 403: return .forbidden(registry: registry, repository: reference.repository, username: credential?.username)
        case 404: return .notFound(registry: registry, repository: reference.repository, what: operation)
        case 413: return .tooLarge(registry: registry, what: operation, bytes: bytes)
        default:
            let detail = (try? JSONDecoder().decode(RegistryErrorBody.self, from: response.body))?.summary
                ?? String(decoding: response.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return .unexpectedResponse(operation: operation, status: response.status, detail: redacted(String(detail.prefix(300))))
        }
    }

    /// `text` from the server with every secret we hold replaced: a hostile server (or a debugging proxy)
    /// may echo our request headers back in an error body.
    func redacted(_ text: String) -> String {
        var secrets = [authorization, credential?.basicAuthorization, credential?.password].compactMap { $0 }
        secrets += secrets.compactMap { $0.split(separator: " ", maxSplits: 1).last.map(String.init) }
        // The password alone as base64 and percent-encoded: the forms a server that echoes what it got may show.
        if let password = credential?.password {
            secrets.append(Data(password.utf8).base64EncodedString())
            secrets += [password.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"))].compactMap { $0 }
        }
        var result = text
        for secret in secrets where secret.count >= 4 { result = result.replacingOccurrences(of: secret, with: "[redacted]") }
        return result
    }

    /// `GET /v2/`: checks the registry answers the distribution API and sets up authorization early.
    /// A loopback registry that does not speak TLS at all (it answers plain HTTP instead) is used over
    /// plain HTTP, as Docker does for `localhost`; a certificate problem never falls back.
    func ping() async throws {
        if reference.isLoopback, !plainHTTP, baseURL.scheme == "https", let (host, port) = loopbackAddress,
           LoopbackProbe.answersPlainHTTP(host: host, port: port, hostHeader: reference.apiHost),
           let plain = URL(string: "http://\(reference.apiHost)/") {
            log("\(reference.registry) does not speak TLS; using plain HTTP (loopback registries only)")
            baseURL = plain
        }
        do {
            try await pingOnce()
        } catch let error as RegistryError {
            guard case .tlsHandshakeFailed = error, reference.isLoopback, !plainHTTP,
                  let plain = URL(string: "http://\(reference.apiHost)/"),
                  (try? await transport.send(HTTPRequest("GET", plain.appendingPathComponent("v2/")))) != nil
            else { throw error }
            log("\(reference.registry) does not speak TLS; using plain HTTP (loopback registries only)")
            baseURL = plain
            try await pingOnce()
        }
    }

    /// The loopback registry's address for `LoopbackProbe`, when the reference names a port.
    private var loopbackAddress: (host: String, port: Int)? {
        let address = reference.apiHost
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    private func pingOnce() async throws {
        try await withRetry("contacting \(reference.registry)") {
            let response = try await send(HTTPRequest("GET", baseURL.appendingPathComponent("v2/")))
            guard response.status == 200 else { throw failure("the API check (GET /v2/)", response) }
        }
    }
}
