import Foundation

/// Scheme, host and port: what credentials are scoped to.
struct Origin: Sendable, Equatable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int

    init?(_ url: URL) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host?.lowercased(), !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    var description: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed):\(port)"
    }
}

/// The redirect rules, in one place: at most `maxRedirects` per request, never from HTTPS to plain
/// HTTP, a URL seen twice is a loop, `303` turns into a body-less `GET`, other codes keep the method
/// and body. Whether credentials go along is decided per hop by origin (see `RegistryClient.follow`).
struct RedirectPolicy {
    static let maxRedirects = 5
    static let redirectStatuses: Set<Int> = [301, 302, 303, 307, 308]

    private(set) var visited: [String]

    init(start: URL) { visited = [start.absoluteString] }

    /// The request to send after `response`, or nil when `response` is not a redirect to follow.
    mutating func next(after response: HTTPResponse, of request: HTTPRequest) throws(RedirectProblem) -> HTTPRequest? {
        guard Self.redirectStatuses.contains(response.status) else { return nil }
        guard let location = response.header("Location"), !location.isEmpty,
              let target = URL(string: location, relativeTo: request.url)?.absoluteURL, Origin(target) != nil
        else { throw .unusableLocation(status: response.status) }
        if request.url.scheme?.lowercased() == "https" && target.scheme?.lowercased() == "http" {
            throw .downgrade(from: Self.redacted(request.url), to: Self.redacted(target))
        }
        guard !visited.contains(target.absoluteString) else { throw .loop(Self.redacted(target)) }
        guard visited.count <= Self.maxRedirects else { throw .tooMany(Self.maxRedirects) }
        visited.append(target.absoluteString)
        var next = request
        next.url = target
        if response.status == 303 {
            next.method = "GET"
            next.body = nil
            next.setHeader("Content-Type", nil)
        }
        return next
    }

    /// Origin and path only: a query may hold a storage backend's signature.
    static func redacted(_ url: URL) -> String {
        (Origin(url)?.description ?? "?") + url.path
    }
}

enum RedirectProblem: Error, Equatable {
    case downgrade(from: String, to: String)
    case loop(String)
    case tooMany(Int)
    case unusableLocation(status: Int)

    var description: String {
        switch self {
        case let .downgrade(from, to): return "\(from) redirects to plain HTTP (\(to)); an HTTPS request is never downgraded"
        case let .loop(url): return "the redirects loop back to \(url)"
        case let .tooMany(count): return "more than \(count) redirects for one request"
        case let .unusableLocation(status): return "HTTP \(status) without a usable http(s) Location"
        }
    }
}
