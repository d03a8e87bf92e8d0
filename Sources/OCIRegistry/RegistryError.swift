import Foundation

/// Everything that can go wrong while pushing; each `description` says what to check.
/// No case ever carries a credential: usernames are named, passwords and tokens never.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidReference(String, reason: String)
    /// The OCI layout directory is missing a file or is not a single-image layout.
    case invalidLayout(path: String, reason: String)
    /// Connection errors or 5xx answers persisted through every retry.
    case unreachable(registry: String, attempts: Int, lastProblem: String)
    /// 401: no credentials, or the registry rejected them.
    case unauthorized(registry: String, username: String?)
    /// 403: the credentials are valid but may not push here.
    case forbidden(registry: String, repository: String, username: String?)
    /// 404 on a push endpoint.
    case notFound(registry: String, repository: String, what: String)
    /// 413: the registry (or a proxy in front of it) limits the request size.
    case tooLarge(registry: String, what: String, bytes: Int64)
    /// The token endpoint of a bearer challenge failed or answered without a token.
    case tokenRequestFailed(realm: String, status: Int?, detail: String)
    /// Any other unexpected answer.
    case unexpectedResponse(operation: String, status: Int, detail: String)
    /// The registry stored the manifest under another digest than ours.
    case digestMismatch(what: String, expected: String, received: String)
    /// The registry's TLS certificate was not accepted; `problem` is the verifier's reason.
    case certificateRejected(registry: String, problem: String, extraCAs: [String], certsFolders: [String])
    /// The registry wants a TLS client certificate and got none, or refused ours (or ours cannot be loaded).
    case clientCertificateRefused(registry: String, detail: String, certsFolders: [String])
    /// The TLS handshake failed for another reason than the certificate (e.g. the server speaks plain HTTP).
    case tlsHandshakeFailed(registry: String, detail: String)
    /// A CA file to trust (`--registry-ca`, certs.d, `SSL_CERT_FILE`) is missing or not PEM.
    case unusableCAFile(path: String, reason: String)
    /// A connection, TLS handshake or answer took longer than allowed.
    case timedOut(registry: String, what: String, seconds: Double)
    /// The registry took the TCP connection but never answered our TLS ClientHello: what a plain-HTTP server does.
    case tlsHandshakeTimedOut(registry: String, seconds: Double)
    /// A redirect we will not follow (to plain HTTP, a loop, too many, or an unusable `Location`).
    case redirectRefused(registry: String, detail: String)
    /// The server broke the protocol (oversized headers or body, malformed answers).
    case badResponse(registry: String, detail: String)
    /// A `docker-credential-*` helper named in the Docker config is missing, failed or timed out.
    case credentialHelperFailed(helper: String, reason: String)
    /// A blob file of the layout cannot be read, or changed (size or content) while it was being pushed.
    case blobChanged(path: String, digest: String, detail: String)
    /// A pulled blob or manifest is not what its digest and size say (nothing of it was kept).
    case contentMismatch(registry: String, digest: String, detail: String)
    /// A base image (index or manifest) cannot be used: no entry for the platform, an unknown media type, ….
    case unusableImage(reference: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidReference(reference, reason):
            return "invalid image reference '\(reference)': \(reason). Expected HOST[:PORT]/REPO[:TAG] or HOST[:PORT]/REPO@sha256:DIGEST."
        case let .invalidLayout(path, reason):
            return "'\(path)' is not a usable OCI image layout: \(reason)."
        case let .blobChanged(path, digest, detail):
            return "the blob \(digest) ('\(path)') changed or became unreadable during the push: \(detail). Nothing was stored under its digest; make sure nothing writes to the image while it is pushed, rebuild it and push again."
        case let .unreachable(registry, attempts, lastProblem):
            return "could not reach the registry \(registry) after \(attempts) attempt\(attempts == 1 ? "" : "s") (last problem: \(lastProblem)). Check that the registry is running and the host and port are right, then retry."
        case let .unauthorized(registry, username):
            if let username {
                return "the registry \(registry) rejected the credentials of user '\(username)' (401 Unauthorized). Check the username and password in ~/.docker/config.json, ~/.netrc or CONTAINERIZE_REGISTRY_USERNAME/CONTAINERIZE_REGISTRY_PASSWORD (e.g. run `docker login \(registry)`)."
            }
            return "the registry \(registry) requires credentials (401 Unauthorized) and none were found. Log in (`docker login \(registry)`), add it to ~/.netrc, or set CONTAINERIZE_REGISTRY_USERNAME and CONTAINERIZE_REGISTRY_PASSWORD."
        case let .forbidden(registry, repository, username):
            let who = username.map { "user '\($0)'" } ?? "anonymous access"
            return "the registry \(registry) denied \(who) push access to '\(repository)' (403 Forbidden). Check that the account has write permission to that repository (and that a token has the push scope)."
        case let .notFound(registry, repository, what):
            return "the registry \(registry) answered 404 Not Found for \(what) of '\(repository)'. Check the repository name (namespace/organisation included) and that the registry serves the OCI distribution API under /v2/."
        case let .tooLarge(registry, what, bytes):
            return "the registry \(registry) refused \(what) of \(bytes) bytes as too large (413 Payload Too Large). Check the registry's upload size limit (and that of any proxy in front of it, e.g. nginx client_max_body_size)."
        case let .tokenRequestFailed(realm, status, detail):
            let code = status.map { "HTTP \($0)" } ?? "no answer"
            return "could not get a bearer token from \(realm) (\(code)): \(detail). Check the credentials for this registry and that the account may push to the repository."
        case let .unexpectedResponse(operation, status, detail):
            return "\(operation) failed with HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")."
        case let .digestMismatch(what, expected, received):
            return "the registry stored the \(what) as \(received) but its digest is \(expected). The image would not be pinned correctly; check for a proxy that rewrites content."
        case let .certificateRejected(registry, problem, extraCAs, certsFolders):
            let tried = extraCAs.isEmpty ? "" : " (extra CAs trusted: \(extraCAs.joined(separator: ", ")))"
            let folders = certsFolders.isEmpty ? "" : ", a CA file (*.crt) in \(Self.folderList(certsFolders))"
            return "the TLS certificate of \(registry) was rejected: \(problem)\(tried). Trust the registry's CA with --registry-ca CA.pem\(folders), or SSL_CERT_FILE=bundle.pem; --tls-verify=false skips verification (never with production credentials)."
        case let .clientCertificateRefused(registry, detail, certsFolders):
            let place = certsFolders.isEmpty ? "a folder ROOT/\(registry)/ with CONTAINERIZE_CERTS_D=ROOT (it is set, but empty)" : Self.folderList(certsFolders)
            return "the registry \(registry) did not accept our TLS client certificate (\(detail)). Put its client certificate and key as client.cert and client.key in \(place)."
        case let .tlsHandshakeFailed(registry, detail):
            return "the TLS handshake with \(registry) failed: \(detail). If the registry serves plain HTTP, pass --plain-http; otherwise check its TLS setup."
        case let .unusableCAFile(path, reason):
            return "cannot use the CA file \(path): \(reason). Give a PEM file holding one or more CERTIFICATE blocks."
        case let .timedOut(registry, what, seconds):
            return "\(registry) did not answer in time: \(what) timed out after \(Self.format(seconds)) s. Check that the registry is healthy and reachable, or allow more time with --registry-timeout SECONDS."
        case let .tlsHandshakeTimedOut(registry, seconds):
            return "\(registry) did not answer in time: it took the connection, but the TLS handshake timed out after \(Self.format(seconds)) s. A registry that serves plain HTTP waits silently like this: if \(registry) does, pass --plain-http; otherwise check that it is healthy, or allow more time with --registry-timeout SECONDS."
        case let .redirectRefused(registry, detail):
            return "refusing a redirect from \(registry): \(detail). Check the registry's (or its proxy's) redirect configuration."
        case let .badResponse(registry, detail):
            return "\(registry) sent an unusable answer: \(detail). Check that the address is an OCI registry and not something in front of it."
        case let .contentMismatch(registry, digest, detail):
            return "\(registry) sent content that does not match \(digest): \(detail). Nothing was kept; check for a proxy or cache that rewrites content, then retry."
        case let .unusableImage(reference, reason):
            return "cannot use the image \(reference): \(reason)."
        case let .credentialHelperFailed(helper, reason):
            return "the credential helper \(helper) failed: \(reason). Fix or install the helper, or remove it from credHelpers/credsStore in the Docker config."
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}

extension RegistryError {
    /// `A/ or B/ (CONTAINERIZE_CERTS_D=DIR[:DIR] replaces these roots)`: the certs.d folders in effect.
    static func folderList(_ folders: [String]) -> String {
        folders.map { $0 + "/" }.joined(separator: " or ") + " (CONTAINERIZE_CERTS_D=DIR[:DIR] replaces these roots)"
    }
}
