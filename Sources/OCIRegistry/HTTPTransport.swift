import OCIModel
import CCurl
import Dispatch
import Foundation
import Synchronization

/// What a request sends: bytes in memory, or a byte range of a file that is read in small pieces
/// while sending (a blob of any size costs no more memory than libcurl's upload buffer).
enum HTTPBody: Sendable, Equatable {
    case data(Data)
    /// `length` bytes of the file at `path` from `offset`. The file is opened anew for every send
    /// (so a retry or a redirect resends the same range); it must still hold the whole range, or the
    /// request fails with `TransportFailure.fileChanged` and the server never gets a complete body.
    case file(path: String, offset: Int64, length: Int64)

    var count: Int64 {
        switch self {
        case let .data(data): return Int64(data.count)
        case let .file(_, _, length): return length
        }
    }
}

/// One HTTP request as the registry client sends it. Redirects are never followed here: a 3xx is
/// returned like any other answer, and `RegistryClient` decides (see `RedirectPolicy`).
struct HTTPRequest: Sendable {
    var method: String
    var url: URL
    var headers: [(name: String, value: String)] = []
    var body: HTTPBody?
    /// Where a 200 answer's body goes instead of memory (blob downloads); other answers stay in memory.
    var download: DownloadSink?

    init(_ method: String, _ url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil) {
        self.init(method, url, headers: headers, streaming: body.map(HTTPBody.data))
    }

    init(_ method: String, _ url: URL, headers: [(name: String, value: String)] = [], streaming body: HTTPBody?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    mutating func setHeader(_ name: String, _ value: String?) {
        headers.removeAll { $0.name.caseInsensitiveCompare(name) == .orderedSame }
        if let value { headers.append((name, value)) }
    }
}

/// The final answer to one request (interim `100 Continue` answers are dropped).
struct HTTPResponse: Sendable {
    /// The URL that gave this answer (after redirects, the last hop's).
    var url: URL
    var status: Int
    var headers: [(name: String, value: String)]
    var body: Data

    /// A header by case-insensitive name; the last one wins.
    func header(_ name: String) -> String? {
        headers.last { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// How the transport connects: timeouts, TLS trust and the limits that protect against hostile servers.
struct TransportSettings: Sendable {
    /// Seconds to establish TCP and TLS.
    var connectTimeout: Double = 30
    /// Seconds a request may go without sending or receiving a byte.
    var inactivityTimeout: Double = 30
    /// Verify the server's certificate chain and name (`--tls-verify=false` turns this off).
    var verifyTLS = true
    /// PEM bundle that replaces libcurl's default CA file (the system bundle, or `SSL_CERT_FILE`, plus
    /// extra CAs); nil keeps libcurl's default.
    var caBundle: Data?
    /// PEM client certificate and key for mutual TLS, or nil.
    var clientCertificate: String?
    var clientKey: String?
    /// Directory of hashed CA certificates, or nil for none (libcurl's default is used when `caBundle` is nil).
    var caDirectory: String?
    /// The largest response body accepted (registry answers, errors and tokens are small).
    var maxResponseBytes = 4 << 20
    /// The largest total size of response headers accepted.
    var maxHeaderBytes = 64 << 10
    /// The slowest average upload accepted over a whole request body, in bytes per second.
    var minimumUploadRate = 16 << 10

    /// The whole-request limit: a server that drips bytes just fast enough to dodge the inactivity
    /// timeout still ends. Generous: connect, twice the inactivity time, and the body at the minimum rate.
    func totalTimeout(bodyBytes: Int) -> Double {
        connectTimeout + 2 * inactivityTimeout + Double(bodyBytes) / Double(minimumUploadRate)
    }
}

/// Why a request got no HTTP answer. `RegistryClient` turns these into `RegistryError`s naming the host.
enum TransportFailure: Error, Equatable, Sendable {
    enum Phase: String, Sendable {
        case connecting = "connecting"
        case tlsHandshake = "the TLS handshake"
        case waiting = "waiting for an answer"
        case total = "the whole request"
    }
    /// Nothing listens (or the network refused): worth retrying.
    case connectionRefused(String)
    /// The connection broke mid-request (reset, empty reply, body shorter than announced): worth retrying.
    case connectionLost(String)
    case cannotResolve(String)
    case timedOut(Phase, seconds: Double)
    /// The server's certificate was not accepted (curl's reason, e.g. "unable to get local issuer certificate").
    case certificateRejected(String)
    /// The server refused our TLS client certificate, or wanted one and got none.
    case clientCertificateRefused(String)
    /// The TLS handshake failed for another reason, e.g. the server does not speak TLS.
    case tlsHandshakeFailed(String)
    /// A CA file we were told to trust cannot be used.
    case unusableCAFile(String)
    case responseTooLarge(what: String, limit: Int)
    /// A `.file` body could not be read, or the file no longer holds the range being sent (it shrank
    /// or was replaced during the upload). Not retried: the bytes on disk are not the blob any more.
    case fileChanged(path: String, detail: String)
    /// A download's body could not be written to its file, or ran past the size it must have.
    case downloadFailed(String)
    case other(String)

    /// Only transient network trouble is retried; timeouts, TLS and protocol problems are not.
    var isRetryable: Bool {
        switch self {
        case .connectionRefused, .connectionLost: return true
        default: return false
        }
    }
}

/// All HTTP of OCIRegistry goes through here: one libcurl easy handle (so connections are reused),
/// driven on a private serial queue so a slow registry never blocks Swift's cooperative threads.
/// It never follows redirects, never reads `~/.netrc`, keeps no cookies, speaks only http and https,
/// and enforces the timeouts and size limits of `TransportSettings`.
final class HTTPTransport: @unchecked Sendable {
    let settings: TransportSettings
    private let queue = DispatchQueue(label: "OCIRegistry.HTTPTransport")
    /// Only touched on `queue`.
    private var handle: UnsafeMutableRawPointer?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    private static let globalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    init(settings: TransportSettings) {
        self.settings = settings
        _ = Self.globalInit
    }

    deinit {
        if let handle { curl_easy_cleanup(handle) }
        errorBuffer.deallocate()
    }

    /// Performs `request`; every HTTP status is returned, transport problems throw `TransportFailure`.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.perform(request) })
            }
        }
    }

    private func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        if handle == nil { handle = curl_easy_init() }
        guard let curl = handle else { throw TransportFailure.other("libcurl could not create a handle") }
        curl_easy_reset(curl)
        errorBuffer[0] = 0

        let exchange = Exchange(maxBody: settings.maxResponseBytes, maxHeaders: settings.maxHeaderBytes, download: request.download)
        let context = Unmanaged.passRetained(exchange)
        defer { context.release() }

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        var headers = request.headers
        // No `Expect: 100-continue` round trip, and no form Content-Type invented by libcurl.
        headers.append(("Expect", ""))
        if request.body != nil, request.header("Content-Type") == nil { headers.append(("Content-Type", "")) }
        for (name, value) in headers {
            guard !(name + value).contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw TransportFailure.other("refusing to send the header \(name): it holds a line break")
            }
            // "Name;" sends an empty header, "Name:" removes one of libcurl's own.
            let line = value.isEmpty ? (name == "Expect" || name == "Content-Type" ? "\(name):" : "\(name);") : "\(name): \(value)"
            headerList = curl_slist_append(headerList, line)
        }

        let inactivity = max(1, Int(settings.inactivityTimeout.rounded(.up)))
        ccurl_set_string(curl, CURLOPT_URL, request.url.absoluteString)
        ccurl_set_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
        ccurl_set_long(curl, CURLOPT_FOLLOWLOCATION, 0)
        ccurl_set_long(curl, CURLOPT_NOSIGNAL, 1)
        ccurl_set_long(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        ccurl_set_long(curl, CURLOPT_CONNECTTIMEOUT_MS, Int(settings.connectTimeout * 1000))
        ccurl_set_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
        ccurl_set_long(curl, CURLOPT_LOW_SPEED_TIME, inactivity)
        // A download's expected size counts like an upload's: the whole-request limit grows with it.
        let bodyBytes = Int(request.body?.count ?? 0) + Int(request.download?.limit ?? 0)
        ccurl_set_long(curl, CURLOPT_TIMEOUT_MS, Int(settings.totalTimeout(bodyBytes: bodyBytes) * 1000))
        ccurl_set_offset(curl, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max(Int64(settings.maxResponseBytes), request.download?.limit ?? 0)))
        ccurl_set_pointer(curl, CURLOPT_ERRORBUFFER, errorBuffer)
        ccurl_set_list(curl, CURLOPT_HTTPHEADER, headerList)
        ccurl_set_callback(curl, CURLOPT_HEADERFUNCTION, Exchange.onHeader)
        ccurl_set_pointer(curl, CURLOPT_HEADERDATA, context.toOpaque())
        ccurl_set_callback(curl, CURLOPT_WRITEFUNCTION, Exchange.onBody)
        ccurl_set_pointer(curl, CURLOPT_WRITEDATA, context.toOpaque())
        ccurl_set_long(curl, CURLOPT_SSL_VERIFYPEER, settings.verifyTLS ? 1 : 0)
        ccurl_set_long(curl, CURLOPT_SSL_VERIFYHOST, settings.verifyTLS ? 2 : 0)
        if let certificate = settings.clientCertificate, let key = settings.clientKey {
            ccurl_set_string(curl, CURLOPT_SSLCERT, certificate)
            ccurl_set_string(curl, CURLOPT_SSLKEY, key)
        }
        if var bundle = settings.caBundle {
            bundle.withUnsafeMutableBytes { bytes in _ = ccurl_set_blob(curl, CURLOPT_CAINFO_BLOB, bytes.baseAddress, bytes.count) }
            ccurl_set_string(curl, CURLOPT_CAPATH, settings.caDirectory)
        }

        let code: CURLcode
        switch request.method {
        case "HEAD":
            ccurl_set_long(curl, CURLOPT_NOBODY, 1)
            code = curl_easy_perform(curl)
        case "GET" where request.body == nil:
            ccurl_set_long(curl, CURLOPT_HTTPGET, 1)
            code = curl_easy_perform(curl)
        default:
            ccurl_set_string(curl, CURLOPT_CUSTOMREQUEST, request.method)
            switch request.body ?? .data(Data()) {
            case let .data(body):
                code = body.withUnsafeBytes { bytes -> CURLcode in
                    ccurl_set_offset(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
                    // A non-nil pointer even for an empty body, or libcurl would read from stdin.
                    let empty: StaticString = ""
                    ccurl_set_pointer(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)))
                    return curl_easy_perform(curl)
                }
            case let .file(path, offset, length):
                let source = try FileRangeReader(path: path, offset: offset, length: length)
                defer { source.close() }
                let reader = Unmanaged.passRetained(source)
                defer { reader.release() }
                // An upload of exactly `length` bytes with Content-Length, pulled through the read callback.
                ccurl_set_long(curl, CURLOPT_UPLOAD, 1)
                ccurl_set_offset(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(length))
                ccurl_set_callback(curl, CURLOPT_READFUNCTION, FileRangeReader.onRead)
                ccurl_set_pointer(curl, CURLOPT_READDATA, reader.toOpaque())
                // libcurl rewinds when it resends on a fresh connection (a reused one had gone stale).
                ccurl_set_seek_callback(curl, FileRangeReader.onSeek)
                ccurl_set_pointer(curl, CURLOPT_SEEKDATA, reader.toOpaque())
                code = curl_easy_perform(curl)
                if let problem = source.problem { throw TransportFailure.fileChanged(path: path, detail: problem) }
            }
        }

        if let problem = request.download?.problem { throw TransportFailure.downloadFailed(problem) }
        if code != CURLE_OK { throw failure(code, exchange: exchange, bodyBytes: bodyBytes) }
        var status = 0
        ccurl_get_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(url: request.url, status: status, headers: exchange.headers, body: exchange.body)
    }

    private func failure(_ code: CURLcode, exchange: Exchange, bodyBytes: Int) -> TransportFailure {
        let message = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        let detail = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
        if let overflow = exchange.overflow { return .responseTooLarge(what: overflow.what, limit: overflow.limit) }
        // TLS 1.3 reports a refused client certificate only as an alert on the first read.
        for alert in ["alert certificate required", "alert bad certificate", "alert unknown ca", "alert certificate unknown"] where detail.contains(alert) {
            return .clientCertificateRefused(detail)
        }
        switch code {
        case CURLE_COULDNT_CONNECT: return .connectionRefused(detail)
        case CURLE_COULDNT_RESOLVE_HOST: return .cannotResolve(detail)
        case CURLE_OPERATION_TIMEDOUT:
            // libcurl's messages are the only reliable tell of the phase (its timers read 0 after a failed connect).
            if detail.contains("SSL connection timeout") { return .timedOut(.tlsHandshake, seconds: settings.connectTimeout) }
            if detail.hasPrefix("Operation too slow") { return .timedOut(.waiting, seconds: Double(max(1, Int(settings.inactivityTimeout.rounded(.up))))) }
            if detail.hasPrefix("Operation timed out") { return .timedOut(.total, seconds: settings.totalTimeout(bodyBytes: bodyBytes)) }
            return .timedOut(.connecting, seconds: settings.connectTimeout)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .certificateRejected(detail)
        case CURLE_SSL_CERTPROBLEM:
            return .clientCertificateRefused(detail)
        case CURLE_SSL_CACERT_BADFILE:
            return .unusableCAFile(detail)
        case CURLE_SSL_CONNECT_ERROR:
            return .tlsHandshakeFailed(detail)
        case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_SEND_FAIL_REWIND:
            return .connectionLost(detail)
        case CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge(what: "the response body", limit: settings.maxResponseBytes)
        default:
            return .other("\(detail) (libcurl error \(code.rawValue))")
        }
    }
}

/// Feeds one byte range of a file to libcurl's read callback straight into libcurl's upload buffer
/// (`pread`, so nothing else is held in memory). A range the file no longer holds aborts the transfer
/// and is recorded in `problem`; so is a file whose size changed since it was opened.
private final class FileRangeReader {
    let path: String
    let offset: Int64
    let length: Int64
    private var descriptor: Int32
    private let sizeAtOpen: Int64
    private(set) var sent: Int64 = 0
    private(set) var problem: String?

    init(path: String, offset: Int64, length: Int64) throws {
        self.path = path
        self.offset = offset
        self.length = length
        // A layout's or the cache's blob, checked before: opened as every foreign file is, so one
        // swapped for a symlink or a FIFO since is caught here.
        let opened: (descriptor: Int32, size: Int)
        do { opened = try FileIO.openForeign(path) } catch {
            throw TransportFailure.fileChanged(path: path, detail: "it cannot be opened (\(error))")
        }
        descriptor = opened.descriptor
        sizeAtOpen = Int64(opened.size)
        guard offset >= 0, length >= 0, offset + length <= sizeAtOpen else {
            _ = Glibc.close(descriptor)
            throw TransportFailure.fileChanged(path: path, detail: "it has \(sizeAtOpen) bytes, but bytes \(offset)..<\(offset + length) are to be sent")
        }
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Fills `buffer` with the next bytes of the range; 0 at its end; `CURL_READFUNC_ABORT` when the
    /// file cannot deliver them or its size changed (so a changed file is never sent as complete).
    static let onRead: ccurl_data_callback = { buffer, size, count, context in
        let reader = Unmanaged<FileRangeReader>.fromOpaque(context!).takeUnretainedValue()
        let wanted = Int(min(Int64(size * count), reader.length - reader.sent))
        guard wanted > 0 else { return reader.checkUnchanged() ? 0 : abort }
        var got = 0
        while got < wanted {
            let n = pread(reader.descriptor, buffer!.advanced(by: got), wanted - got, off_t(reader.offset + reader.sent + Int64(got)))
            if n < 0 {
                if errno == EINTR { continue }
                reader.problem = "reading it failed (\(String(cString: strerror(errno))))"
                return abort
            }
            if n == 0 {
                reader.problem = "it ended after \(reader.offset + reader.sent + Int64(got)) bytes while bytes up to \(reader.offset + reader.length) were being sent"
                return abort
            }
            got += n
        }
        reader.sent += Int64(got)
        if reader.sent == reader.length, !reader.checkUnchanged() { return abort }
        return got
    }

    private static let abort = Int(CURL_READFUNC_ABORT)

    /// Moves to `position` within the range (libcurl only ever seeks from the start, to rewind).
    static let onSeek: ccurl_seek_callback = { context, position, origin in
        let reader = Unmanaged<FileRangeReader>.fromOpaque(context!).takeUnretainedValue()
        guard origin == SEEK_SET, position >= 0, Int64(position) <= reader.length else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
        reader.sent = Int64(position)
        return Int32(CURL_SEEKFUNC_OK)
    }

    /// Whether the file still has the size it had when opened; records the problem if not.
    private func checkUnchanged() -> Bool {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { problem = "it cannot be examined"; return false }
        if Int64(info.st_size) != sizeAtOpen {
            problem = "its size changed from \(sizeAtOpen) to \(info.st_size) bytes during the upload"
            return false
        }
        return true
    }
}

/// Collects one response through libcurl's header and body callbacks, within the size limits.
private final class Exchange {
    var headers: [(name: String, value: String)] = []
    var body = Data()
    var headerBytes = 0
    var overflow: (what: String, limit: Int)?
    let maxBody: Int
    let maxHeaders: Int
    /// The status of the answer being received (from its status line), so a 200 body goes to `download`.
    var status = 0
    let download: DownloadSink?

    init(maxBody: Int, maxHeaders: Int, download: DownloadSink?) {
        self.maxBody = maxBody
        self.maxHeaders = maxHeaders
        self.download = download
    }

    static let onHeader: ccurl_data_callback = { buffer, size, count, context in
        let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        exchange.headerBytes += length
        if exchange.headerBytes > exchange.maxHeaders {
            exchange.overflow = ("the response headers", exchange.maxHeaders)
            return 0
        }
        let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new status line (after 100 Continue, or a new response): start over.
            exchange.headers = []
            exchange.status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            exchange.headers.append((name, value))
        }
        return length
    }

    static let onBody: ccurl_data_callback = { buffer, size, count, context in
        let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        if let download = exchange.download, exchange.status == 200 {
            return download.write(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
        }
        guard exchange.body.count + length <= exchange.maxBody else {
            exchange.overflow = ("the response body", exchange.maxBody)
            return 0
        }
        if let buffer { exchange.body.append(UnsafeRawBufferPointer(start: buffer, count: length).bindMemory(to: UInt8.self)) }
        return length
    }
}

/// Receives a blob download: writes the body to an open file while hashing it, and stops the
/// transfer (recording `problem`) as soon as it runs past `limit` bytes or cannot be written, so a
/// hostile server can neither fill the disk nor pass off other bytes.
final class DownloadSink: Sendable {
    let limit: Int64
    private let descriptor: Int32
    /// Written by the transport's queue while a request runs, read by the caller after it.
    private struct Progress: Sendable {
        var hasher = SHA256()
        var received: Int64 = 0
        var problem: String?
    }
    private let progress = Mutex(Progress())

    /// Truncates `path` (a temporary the blob cache created exclusively; never created here, never
    /// through a symlink) for writing; `limit` is the size the blob must have.
    init(path: String, limit: Int64) throws {
        self.limit = limit
        descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw TransportFailure.downloadFailed("cannot open \(path) (\(String(cString: strerror(errno))))") }
    }

    deinit { _ = Glibc.close(descriptor) }

    /// The bytes received so far.
    var received: Int64 { progress.withLock { $0.received } }
    /// Why the download stopped early, if it did.
    var problem: String? { progress.withLock { $0.problem } }

    /// The `sha256:…` digest of what was received.
    func digest() -> String {
        var copy = progress.withLock { $0.hasher }
        return "sha256:" + copy.finalize().hexString
    }

    func write(_ chunk: UnsafeRawBufferPointer) -> Bool {
        progress.withLock { progress in
            guard progress.received + Int64(chunk.count) <= limit else {
                progress.problem = "the server sent more than the \(limit) bytes the manifest gives"
                return false
            }
            progress.hasher.update(chunk)
            var done = 0
            while done < chunk.count {
                let n = Glibc.write(descriptor, chunk.baseAddress!.advanced(by: done), chunk.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    progress.problem = "writing the download failed (\(String(cString: strerror(errno))))"
                    return false
                }
                done += n
            }
            progress.received += Int64(chunk.count)
            return true
        }
    }
}
