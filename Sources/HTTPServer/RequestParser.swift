internal import CPOSIX

/// Size limits the parser enforces (RFC 9112 leaves them to the server).
public struct RequestLimits: Sendable, Equatable {
    /// Longest request line, terminator excluded; longer gets `414`.
    public var requestLineBytes: Int
    /// Largest header section (or chunked trailer section), request line excluded; larger gets `431`.
    public var headerSectionBytes: Int
    /// Most header fields; more gets `431`.
    public var headerFieldCount: Int

    /// Largest request body (Content-Length, or the sum of the chunk sizes); larger gets `413`.
    public var bodyBytes: Int
    /// Most empty lines before a request line (RFC 9112 §2.2 asks to ignore at least one);
    /// more gets `400`.
    public var emptyLinesBeforeRequest: Int

    public init(requestLineBytes: Int = 8192, headerSectionBytes: Int = 16384, headerFieldCount: Int = 100,
                bodyBytes: Int = 1024 * 1024, emptyLinesBeforeRequest: Int = 4) {
        self.requestLineBytes = requestLineBytes
        self.headerSectionBytes = headerSectionBytes
        self.headerFieldCount = headerFieldCount
        self.bodyBytes = bodyBytes
        self.emptyLinesBeforeRequest = emptyLinesBeforeRequest
    }

    /// The most bytes of one request head that can be buffered before a verdict is certain.
    var headBufferBytes: Int { requestLineBytes + headerSectionBytes + 8 }
}

/// The error statuses the parser can produce; each one ends the connection.
public enum HTTPErrorStatus: Int, Sendable, Equatable {
    case badRequest = 400
    case requestTimeout = 408
    case contentTooLarge = 413
    case uriTooLong = 414
    case headerFieldsTooLarge = 431
    case notImplemented = 501
    case versionNotSupported = 505

    /// The reason phrase of the status line.
    public var reason: String {
        switch self {
        case .badRequest: return "Bad Request"
        case .requestTimeout: return "Request Timeout"
        case .contentTooLarge: return "Content Too Large"
        case .uriTooLong: return "URI Too Long"
        case .headerFieldsTooLarge: return "Request Header Fields Too Large"
        case .notImplemented: return "Not Implemented"
        case .versionNotSupported: return "HTTP Version Not Supported"
        }
    }
}

/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// What the server makes of a request's method (RFC 9110 §9).
public enum RequestMethod: Sendable, Equatable {
    /// `GET`: the response.
    case get
    /// `HEAD`: the response's head without its body.
    case head
    /// `OPTIONS`: `204` with `Allow`.
    case options
    /// Another standard method (`POST`, `PUT`, `DELETE`, `PATCH`, `CONNECT`, `TRACE`): `405`.
    case notAllowed
    /// A method this server does not know (or one longer than any it knows): `501`.
    case unknown

    /// The method whose name is `bytes` (case-sensitive, RFC 9110 §9.1).
    init(_ bytes: UnsafePointer<UInt8>, count: Int) {
        let name = UnsafeBufferPointer(start: bytes, count: count)
        if name.equals("GET") { self = .get }
        else if name.equals("HEAD") { self = .head }
        else if name.equals("OPTIONS") { self = .options }
        else if name.equals("POST") || name.equals("PUT") || name.equals("DELETE") || name.equals("PATCH")
                    || name.equals("CONNECT") || name.equals("TRACE") { self = .notAllowed }
        else { self = .unknown }
    }
}

/// What the server needs to know about a parsed request head. The server answers every
/// request by its method alone, so the target is validated but not kept.
public struct RequestHead: Sendable, Equatable {
    public var method: RequestMethod
    /// `HEAD` requests get the headers without the body.
    public var isHead: Bool { method == .head }
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (higher 1.x minors are treated as 1.1).
    public var minorVersion: Int
    /// Whether the connection may stay open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// `Expect: 100-continue` with a body to come.
    public var expectsContinue: Bool
    public var framing: BodyFraming

    public init(method: RequestMethod, minorVersion: Int, keepAlive: Bool, expectsContinue: Bool, framing: BodyFraming) {
        self.method = method
        self.minorVersion = minorVersion
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        self.framing = framing
    }
}

/// The outcome of one `RequestParser.parse` call.
public enum ParseResult: Sendable, Equatable {
    /// All bytes were examined; `consumed` of them (body bytes, blank lines) can be dropped,
    /// the rest must be presented again, followed by more input.
    case needMore(consumed: Int)
    /// A whole request (head and body) ended `consumed` bytes into the input.
    case complete(RequestHead, consumed: Int)
    /// The input is not valid HTTP/1.1 (or exceeds a limit); answer with this status and close.
    case failure(HTTPErrorStatus)
}

/// An incremental HTTP/1.1 request parser over raw bytes (RFC 9112), with no allocation.
///
/// Feed it the unconsumed input from its start; it returns when a request is complete,
/// when it needs more bytes, or when the input is invalid. Bytes it reports as consumed
/// must be dropped by the caller; the others must be presented again (with more appended).
/// Positions it remembers between calls are relative to the first unconsumed byte.
public struct RequestParser: Sendable {
    public let limits: RequestLimits

    private enum State: Sendable {
        case head
        case body(remaining: Int)
        case chunkSize
        /// Whitespace after the chunk size: only `;` (an extension) or CR may follow.
        case chunkSizeWhitespace
        case chunkExtension
        case chunkSizeLineFeed
        case chunkData(remaining: Int)
        case chunkDataCarriageReturn
        case chunkDataLineFeed
        case trailerLineStart
        /// A trailer field's name, up to its colon.
        case trailerName
        case trailerLine
        case trailerLineFeed
        case trailerEndLineFeed
    }

    private var state: State = .head
    // Head scanning progress, relative to the start of the unconsumed input.
    private var scanned = 0
    private var lineStart = 0
    private var requestLineEnd = 0  // index after the request line's LF, 0 while unknown
    private var fieldLines = 0
    private var emptyLines = 0
    /// The most chunk-extension bytes one request may carry, in all its chunk lines.
    static let chunkExtensionBytesPerRequest = 16 * 1024

    // Chunked decoding progress.
    private var chunkSize = 0
    private var chunkSizeDigits = 0
    private var chunkSizeSignificantDigits = 0
    private var chunkExtensionBytes = 0
    /// Extension bytes of the whole chunked body: bounded too, or 1000 chunks of one byte with
    /// 4000-byte extensions each hold a connection for 4 MB of nothing.
    private var requestChunkExtensionBytes = 0
    private var trailerBytes = 0
    private var trailerFields = 0
    private var bodyBytes = 0
    private var head = RequestHead(method: .get, minorVersion: 1, keepAlive: true, expectsContinue: false, framing: .none)

    public init(limits: RequestLimits = RequestLimits()) {
        self.limits = limits
    }

    /// True between requests: no byte of the next request has been seen.
    public var isAtRequestBoundary: Bool {
        if case .head = state { return scanned == 0 && emptyLines == 0 }
        return false
    }

    /// True while the body of a parsed head is being read.
    public var isReadingBody: Bool {
        if case .head = state { return false }
        return true
    }

    /// The head whose body is being read (valid while `isReadingBody`).
    public var currentHead: RequestHead { head }

    /// True when the request that just failed was a HEAD (its request line says so, or its head
    /// was parsed): its error response then carries no body (RFC 9110 §9.3.2).
    public private(set) var failedRequestIsHead = false

    /// Parses as much of `input` as possible. See the type's documentation for the contract.
    public mutating func parse(_ input: UnsafeRawBufferPointer) -> ParseResult {
        guard let base = input.baseAddress, input.count > 0 else { return .needMore(consumed: 0) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        if case .head = state {
            let result = parseHead(bytes, count: input.count)
            if case .failure = result { failedRequestIsHead = Self.startsWithHEAD(bytes, count: input.count) || (isReadingBody && head.method == .head) }
            return result
        }
        let result = parseBody(bytes, count: input.count, offset: 0)
        if case .failure = result { failedRequestIsHead = head.method == .head }
        return result
    }

    /// `HEAD ` after any empty lines: the method of a request whose head could not be parsed.
    static func startsWithHEAD(_ input: UnsafeRawBufferPointer) -> Bool {
        guard let base = input.baseAddress else { return false }
        return startsWithHEAD(base.assumingMemoryBound(to: UInt8.self), count: input.count)
    }

    private static func startsWithHEAD(_ bytes: UnsafePointer<UInt8>, count: Int) -> Bool {
        var index = 0
        while index + 1 < count && bytes[index] == .carriageReturn && bytes[index + 1] == .lineFeed { index += 2 }
        guard index + 5 <= count else { return false }
        return bytes[index] == 0x48 && bytes[index + 1] == 0x45 && bytes[index + 2] == 0x41 && bytes[index + 3] == 0x44 && bytes[index + 4] == .space
    }

    // MARK: Head

    private mutating func parseHead(_ bytes: UnsafePointer<UInt8>, count: Int) -> ParseResult {
        var skipped = 0
        if scanned == 0 {
            // RFC 9112 §2.2: ignore a few empty lines received before the request line. They
            // belong to the request (no idle timeout while they trickle in), CRLF only.
            while skipped < count {
                if bytes[skipped] == .carriageReturn {
                    if skipped + 1 >= count { return .needMore(consumed: skipped) }
                    guard bytes[skipped + 1] == .lineFeed else { return .failure(.badRequest) }
                    skipped += 2
                    emptyLines += 1
                    if emptyLines > limits.emptyLinesBeforeRequest { return .failure(.badRequest) }
                } else if bytes[skipped] == .lineFeed {
                    return .failure(.badRequest)
                } else {
                    break
                }
            }
            if skipped == count { return .needMore(consumed: skipped) }
        }
        let start = bytes + skipped
        let available = count - skipped
        var position = scanned
        while position < available {
            guard let lineFeed = findLineFeed(start + position, count: available - position) else {
                position = available
                break
            }
            let lineEnd = position + lineFeed  // index of the LF
            position = lineEnd + 1
            // A bare LF ends no line here (RFC 9112 §2.2 allows rejecting it): a front end that
            // splits only on CRLF would read a different request (a desync vector).
            guard lineEnd > lineStart, start[lineEnd - 1] == .carriageReturn else { return .failure(.badRequest) }
            let contentEnd = lineEnd - 1
            if requestLineEnd == 0 {
                if contentEnd - lineStart > limits.requestLineBytes { return .failure(.uriTooLong) }
                requestLineEnd = position
                lineStart = position
                continue
            }
            if contentEnd == lineStart {
                // Empty line: the head is complete.
                if position - requestLineEnd > limits.headerSectionBytes { return .failure(.headerFieldsTooLarge) }
                let headLength = position
                let result = interpretHead(start, length: headLength)
                resetHeadScan()
                switch result {
                case .failure(let status):
                    return .failure(status)
                case .success(let parsed):
                    head = parsed
                    let consumedSoFar = skipped + headLength
                    switch parsed.framing {
                    case .none:
                        return .complete(parsed, consumed: consumedSoFar)
                    case .contentLength(let length):
                        if length == 0 { return .complete(parsed, consumed: consumedSoFar) }
                        if length > limits.bodyBytes { return .failure(.contentTooLarge) }
                        state = .body(remaining: length)
                    case .chunked:
                        bodyBytes = 0
                        requestChunkExtensionBytes = 0
                        startChunkSize()
                    }
                    return parseBody(bytes, count: count, offset: consumedSoFar)
                }
            }
            fieldLines += 1
            if fieldLines > limits.headerFieldCount { return .failure(.headerFieldsTooLarge) }
            lineStart = position
        }
        scanned = position
        if requestLineEnd == 0 {
            if available > limits.requestLineBytes + 1 { return .failure(.uriTooLong) }
        } else if available - requestLineEnd > limits.headerSectionBytes + 1 {
            return .failure(.headerFieldsTooLarge)
        }
        return .needMore(consumed: skipped)
    }

    private mutating func resetHeadScan() {
        scanned = 0
        lineStart = 0
        requestLineEnd = 0
        fieldLines = 0
        emptyLines = 0
    }

    private func findLineFeed(_ pointer: UnsafePointer<UInt8>, count: Int) -> Int? {
        guard let found = memchr(pointer, Int32(UInt8.lineFeed), count) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(pointer)
    }

    private enum HeadResult {
        case success(RequestHead)
        case failure(HTTPErrorStatus)
    }

    /// Validates a complete head (request line, fields, final empty line) and extracts what matters.
    private func interpretHead(_ bytes: UnsafePointer<UInt8>, length: Int) -> HeadResult {
        var index = 0
        // Request line: method SP request-target SP HTTP-version
        let methodStart = index
        while index < length && bytes[index].isTokenCharacter { index += 1 }
        let methodLength = index - methodStart
        guard methodLength > 0, index < length, bytes[index] == .space else { return .failure(.badRequest) }
        let method = RequestMethod(bytes + methodStart, count: methodLength)
        index += 1
        let targetStart = index
        while index < length && bytes[index] > 0x20 && bytes[index] != 0x7F { index += 1 }
        guard index > targetStart, index < length, bytes[index] == .space else { return .failure(.badRequest) }
        index += 1
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, then the line end.
        guard index + 8 <= length,
              bytes[index] == 0x48, bytes[index + 1] == 0x54, bytes[index + 2] == 0x54, bytes[index + 3] == 0x50,
              bytes[index + 4] == 0x2F, bytes[index + 5].isDigit, bytes[index + 6] == 0x2E, bytes[index + 7].isDigit
        else { return .failure(.badRequest) }
        let major = Int(bytes[index + 5] - 0x30)
        let minor = Int(bytes[index + 7] - 0x30)
        index += 8
        guard let afterRequestLine = lineEnd(bytes, at: index, length: length) else { return .failure(.badRequest) }
        index = afterRequestLine
        guard major == 1 else { return .failure(.versionNotSupported) }
        let minorVersion = minor == 0 ? 0 : 1

        var hostCount = 0
        var contentLength: Int? = nil
        var hasTransferEncoding = false
        var chunkedCount = 0
        var chunkedIsLast = false
        var unknownCoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false

        while index < length {
            if bytes[index] == .carriageReturn {
                guard index + 1 < length, bytes[index + 1] == .lineFeed else { return .failure(.badRequest) }
                index += 2
                break
            }
            // obs-fold (a line starting with whitespace) is rejected, RFC 9112 §5.2.
            if bytes[index] == .space || bytes[index] == .tab { return .failure(.badRequest) }
            let nameStart = index
            while index < length && bytes[index].isTokenCharacter { index += 1 }
            let nameLength = index - nameStart
            // Whitespace (or anything else) between name and colon is rejected, RFC 9112 §5.1.
            guard nameLength > 0, index < length, bytes[index] == .colon else { return .failure(.badRequest) }
            index += 1
            while index < length && (bytes[index] == .space || bytes[index] == .tab) { index += 1 }
            let valueStart = index
            var valueEnd = index
            while index < length {
                let byte = bytes[index]
                if byte == .carriageReturn || byte == .lineFeed { break }
                guard byte.isFieldValueCharacter else { return .failure(.badRequest) }
                index += 1
                if byte != .space && byte != .tab { valueEnd = index }
            }
            guard let next = lineEnd(bytes, at: index, length: length) else { return .failure(.badRequest) }
            index = next
            let name = UnsafeBufferPointer(start: bytes + nameStart, count: nameLength)
            let value = UnsafeBufferPointer(start: bytes + valueStart, count: valueEnd - valueStart)
            if name.equalsCaseInsensitive("host") {
                hostCount += 1
                if hostCount > 1 { return .failure(.badRequest) }
                guard HostField.isValid(value) else { return .failure(.badRequest) }
            } else if name.equalsCaseInsensitive("content-length") {
                guard contentLength == nil, let length = parseContentLength(value) else { return .failure(.badRequest) }
                contentLength = length
            } else if name.equalsCaseInsensitive("transfer-encoding") {
                hasTransferEncoding = true
                var sawCoding = false
                for element in ListElements(value) {
                    sawCoding = true
                    // `chunked` takes no parameters: `chunked;x` is some other, unknown coding.
                    if element.equalsCaseInsensitive("chunked") {
                        chunkedCount += 1
                        chunkedIsLast = true
                    } else {
                        unknownCoding = true
                        chunkedIsLast = false
                    }
                }
                if !sawCoding { return .failure(.badRequest) }
            } else if name.equalsCaseInsensitive("connection") {
                for element in ListElements(value) {
                    if element.equalsCaseInsensitive("close") { connectionClose = true }
                    if element.equalsCaseInsensitive("keep-alive") { connectionKeepAlive = true }
                }
            } else if name.equalsCaseInsensitive("expect") {
                if value.equalsCaseInsensitive("100-continue") { expectsContinue = true }
            }
        }

        if minorVersion == 1 && hostCount == 0 { return .failure(.badRequest) }
        var framing = BodyFraming.none
        if hasTransferEncoding {
            // RFC 9112 §6.1: both framings at once is a smuggling attempt; TE is not HTTP/1.0.
            if contentLength != nil || minorVersion == 0 { return .failure(.badRequest) }
            if unknownCoding { return .failure(.notImplemented) }
            guard chunkedCount == 1, chunkedIsLast else { return .failure(.badRequest) }
            framing = .chunked
        } else if let length = contentLength {
            framing = .contentLength(length)
        }
        let keepAlive = minorVersion == 1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        let hasBody: Bool
        switch framing {
        case .none: hasBody = false
        case .contentLength(let length): hasBody = length > 0
        case .chunked: hasBody = true
        }
        return .success(RequestHead(
            method: method, minorVersion: minorVersion, keepAlive: keepAlive,
            expectsContinue: expectsContinue && hasBody && minorVersion == 1, framing: framing))
    }

    /// Index after a CRLF at `index`, or nil when something else is there.
    private func lineEnd(_ bytes: UnsafePointer<UInt8>, at index: Int, length: Int) -> Int? {
        if index + 1 < length && bytes[index] == .carriageReturn && bytes[index + 1] == .lineFeed { return index + 2 }
        return nil
    }

    /// `Content-Length = 1*DIGIT`; anything else (signs, lists, overflow) is invalid. Leading
    /// zeros are digits like any other (`0005` is 5, as nginx reads it); at most 18 significant
    /// digits, so the value never overflows. The field line's length is bounded by the head limit.
    private func parseContentLength(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
        guard value.count > 0 else { return nil }
        var result = 0
        var significantDigits = 0
        for byte in value {
            guard byte.isDigit else { return nil }
            if significantDigits == 0 && byte == 0x30 { continue }
            significantDigits += 1
            if significantDigits > 18 { return nil }
            result = result * 10 + Int(byte - 0x30)
        }
        return result
    }

    // MARK: Body

    private mutating func startChunkSize() {
        state = .chunkSize
        chunkSize = 0
        chunkSizeDigits = 0
        chunkSizeSignificantDigits = 0
        chunkExtensionBytes = 0
    }

    /// Consumes body bytes from `offset`; returns `.complete` when the body ends.
    private mutating func parseBody(_ bytes: UnsafePointer<UInt8>, count: Int, offset: Int) -> ParseResult {
        var index = offset
        while true {
            switch state {
            case .head:
                return .complete(head, consumed: index)
            case .body(let remaining):
                let take = min(remaining, count - index)
                index += take
                if take == remaining {
                    state = .head
                    return .complete(head, consumed: index)
                }
                state = .body(remaining: remaining - take)
                return .needMore(consumed: index)
            case .chunkData(let remaining):
                let take = min(remaining, count - index)
                index += take
                if take == remaining {
                    state = .chunkDataCarriageReturn
                } else {
                    state = .chunkData(remaining: remaining - take)
                    return .needMore(consumed: index)
                }
            default:
                guard index < count else { return .needMore(consumed: index) }
                let byte = bytes[index]
                index += 1
                if let status = advanceChunked(byte) { return .failure(status) }
                if case .head = state { return .complete(head, consumed: index) }
            }
        }
    }

    /// One byte of the chunked framing outside chunk data (RFC 9112 §7.1).
    private mutating func advanceChunked(_ byte: UInt8) -> HTTPErrorStatus? {
        switch state {
        case .chunkSize:
            if let digit = byte.hexValue {
                // `1*HEXDIG`: leading zeros are valid (up to a line of 64 digits); at most 15
                // significant ones, so the size never overflows.
                chunkSizeDigits += 1
                if chunkSizeDigits > 64 { return .badRequest }
                if chunkSize == 0 && digit == 0 { return nil }
                chunkSizeSignificantDigits += 1
                if chunkSizeSignificantDigits > 15 { return .badRequest }
                chunkSize = chunkSize * 16 + digit
                return nil
            }
            // The chunked framing takes CRLF only (a bare LF is a known smuggling vector):
            // RFC 9112's leniency for LF covers the start line and fields, not §7.1.
            guard chunkSizeDigits > 0 else { return .badRequest }
            switch byte {
            case .semicolon: state = .chunkExtension
            case .space, .tab: state = .chunkSizeWhitespace
            case .carriageReturn: state = .chunkSizeLineFeed
            default: return .badRequest
            }
        case .chunkSizeWhitespace:
            // Whitespace after the size only before an extension (`5 ;x`); `5 \r\n` is rejected
            // like whitespace at the end of a head line.
            switch byte {
            case .space, .tab: break
            case .semicolon: state = .chunkExtension
            default: return .badRequest
            }
        case .chunkExtension:
            switch byte {
            case .carriageReturn: state = .chunkSizeLineFeed
            default:
                guard byte.isFieldValueCharacter else { return .badRequest }
                chunkExtensionBytes += 1
                requestChunkExtensionBytes += 1
                if chunkExtensionBytes > 4096 || requestChunkExtensionBytes > Self.chunkExtensionBytesPerRequest { return .badRequest }
            }
        case .chunkSizeLineFeed:
            guard byte == .lineFeed else { return .badRequest }
            return finishChunkSizeLine()
        case .chunkDataCarriageReturn:
            guard byte == .carriageReturn else { return .badRequest }
            state = .chunkDataLineFeed
        case .chunkDataLineFeed:
            guard byte == .lineFeed else { return .badRequest }
            startChunkSize()
        case .trailerLineStart:
            switch byte {
            case .carriageReturn: state = .trailerEndLineFeed
            case .lineFeed, .space, .tab: return .badRequest
            default:
                guard byte.isTokenCharacter else { return .badRequest }
                trailerFields += 1
                if trailerFields > limits.headerFieldCount { return .headerFieldsTooLarge }
                if let status = countTrailerByte() { return status }
                state = .trailerName
            }
        case .trailerName:
            // `field-name ":"` with nothing between, as in the head (RFC 9112 §5.1).
            if let status = countTrailerByte() { return status }
            if byte == .colon {
                state = .trailerLine
            } else if !byte.isTokenCharacter {
                return .badRequest
            }
        case .trailerLine:
            if let status = countTrailerByte() { return status }
            if byte == .carriageReturn {
                state = .trailerLineFeed
            } else if !byte.isFieldValueCharacter {
                return .badRequest
            }
        case .trailerLineFeed:
            guard byte == .lineFeed else { return .badRequest }
            state = .trailerLineStart
        case .trailerEndLineFeed:
            guard byte == .lineFeed else { return .badRequest }
            state = .head
        case .head, .body, .chunkData:
            break
        }
        return nil
    }

    private mutating func finishChunkSizeLine() -> HTTPErrorStatus? {
        if chunkSize == 0 {
            state = .trailerLineStart
            trailerBytes = 0
            trailerFields = 0
        } else {
            bodyBytes += chunkSize
            if bodyBytes > limits.bodyBytes { return .contentTooLarge }
            state = .chunkData(remaining: chunkSize)
        }
        return nil
    }

    private mutating func countTrailerByte() -> HTTPErrorStatus? {
        trailerBytes += 1
        return trailerBytes > limits.headerSectionBytes ? .headerFieldsTooLarge : nil
    }
}

/// Iterates the elements of a comma-separated field value (`#element`, RFC 9110 §5.6.1),
/// skipping empty elements and trimming optional whitespace.
struct ListElements: Sequence, IteratorProtocol {
    private let value: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ value: UnsafeBufferPointer<UInt8>) { self.value = value }

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        while index < value.count {
            var start = index
            while index < value.count && value[index] != .comma { index += 1 }
            var end = index
            if index < value.count { index += 1 }
            while start < end && (value[start] == .space || value[start] == .tab) { start += 1 }
            while end > start && (value[end - 1] == .space || value[end - 1] == .tab) { end -= 1 }
            if end > start {
                return UnsafeBufferPointer(rebasing: value[start..<end])
            }
        }
        return nil
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Byte-wise comparison with a literal.
    func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, literal.utf8Start, count) == 0)
    }

    /// ASCII case-insensitive comparison with a lowercase literal.
    func equalsCaseInsensitive(_ lowercase: StaticString) -> Bool {
        guard count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<count where self[index].asciiLowercased != expected[index] {
            return false
        }
        return true
    }
}

extension UInt8 {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B

    var isDigit: Bool { self >= 0x30 && self <= 0x39 }

    var asciiLowercased: UInt8 { (self >= 0x41 && self <= 0x5A) ? self | 0x20 : self }

    var hexValue: Int? {
        switch self {
        case 0x30...0x39: return Int(self - 0x30)
        case 0x41...0x46: return Int(self - 0x41 + 10)
        case 0x61...0x66: return Int(self - 0x61 + 10)
        default: return nil
        }
    }

    /// `tchar` (RFC 9110 §5.6.2).
    var isTokenCharacter: Bool {
        switch self {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    /// `field-vchar / SP / HTAB` (RFC 9110 §5.5): no control bytes, no DEL.
    var isFieldValueCharacter: Bool {
        self == .tab || (self >= 0x20 && self != 0x7F)
    }
}
