import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A URLSession that hands every HTTP answer back to the caller, 401 included.
///
/// On Linux, swift-corelibs-foundation (6.3.1) answers a 401 carrying a `WWW-Authenticate: Basic`
/// challenge by waiting for a credential forever when no delegate supplies one. We do our own
/// authentication, so this delegate cancels every such challenge and keeps the 401 response; the
/// request then returns that response as if nothing had happened.
final class HTTPTransport: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var challengedResponses: [Int: HTTPURLResponse] = [:]
    private var lastRequestID = 0
    private var session: URLSession!

    init(requestTimeout: Double) {
        super.init()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = requestTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
    }

    /// Ends the session; the transport cannot be used afterwards.
    func invalidate() { session.invalidateAndCancel() }

    /// Performs `request`; throws `URLError` for transport failures only — every HTTP status is returned.
    func data(for request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        var request = request
        request.setValue(String(nextRequestID()), forHTTPHeaderField: Self.requestIDHeader)
        let (data, response, error): (Data?, URLResponse?, Error?) = await withCheckedContinuation { continuation in
            let task = session.dataTask(with: request) { data, response, error in
                continuation.resume(returning: (data, response, error))
            }
            task.resume()
        }
        if let error {
            if let urlError = error as? URLError, urlError.code == .cancelled, let challenged = takeChallengedResponse(for: request) {
                return (Data(), challenged)
            }
            throw (error as? URLError) ?? URLError(.unknown)
        }
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        return (data ?? Data(), http)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                    completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
        if let response = challenge.failureResponse as? HTTPURLResponse, let key = task.originalRequest.map(Self.key) {
            lock.lock()
            challengedResponses[key] = response
            lock.unlock()
        }
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    private func nextRequestID() -> Int {
        lock.lock()
        defer { lock.unlock() }
        lastRequestID += 1
        return lastRequestID
    }

    private func takeChallengedResponse(for request: URLRequest) -> HTTPURLResponse? {
        lock.lock()
        defer { lock.unlock() }
        return challengedResponses.removeValue(forKey: Self.key(request))
    }

    /// Requests are told apart by a unique id header (registries ignore unknown headers).
    private static func key(_ request: URLRequest) -> Int {
        Int(request.value(forHTTPHeaderField: requestIDHeader) ?? "") ?? -1
    }

    static let requestIDHeader = "X-Containerize-Request"
}
