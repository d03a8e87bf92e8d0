internal import CPOSIX

/// The complete response bytes a worker sends, rebuilt when the wall-clock second changes,
/// so a request costs one copy and no formatting (the nginx/h2o cached-Date approach).
struct ResponseCache {
    /// Which `Connection` header a response carries.
    enum Kind: Int {
        case keepAlive = 0        // HTTP/1.1, connection stays open
        case close = 1            // `Connection: close` sent back
        case keepAliveHTTP10 = 2  // HTTP/1.0 with `Connection: keep-alive`
    }

    /// The methods the server allows (RFC 9110 §10.2.1: sent with 405, 501 and OPTIONS).
    static let allow = "Allow: GET, HEAD, OPTIONS\r\n"

    private let response: StaticResponse
    private(set) var second: Int64 = -1
    /// Indexed by `Kind.rawValue * 5 + ` the method's answer (see `index`).
    private var responses: [[UInt8]] = []
    private(set) var date: [UInt8] = []

    init(response: StaticResponse, now: Int64) {
        self.response = response
        refresh(now: now)
    }

    /// Rebuilds the responses if `now` (wall-clock seconds) is a new second.
    mutating func refresh(now: Int64) {
        guard now != second else { return }
        second = now
        date = HTTPDate.format(secondsSinceEpoch: now)
        var built: [[UInt8]] = []
        built.reserveCapacity(15)
        for connection in ["", "Connection: close\r\n", "Connection: keep-alive\r\n"] {
            let ok = "HTTP/1.1 200 OK\r\nContent-Length: \(response.body.count)\r\nContent-Type: \(response.contentType)\r\n"
            built.append(build(ok, connection: connection, body: response.body))        // GET
            built.append(build(ok, connection: connection, body: []))                   // HEAD
            built.append(build("HTTP/1.1 204 No Content\r\n" + ResponseCache.allow, connection: connection, body: []))  // OPTIONS
            built.append(build(
                "HTTP/1.1 405 Method Not Allowed\r\n" + ResponseCache.allow + "Content-Length: 19\r\nContent-Type: text/plain; charset=utf-8\r\n",
                connection: connection, body: Array("Method Not Allowed\n".utf8)))
            built.append(build(
                "HTTP/1.1 501 Not Implemented\r\n" + ResponseCache.allow + "Content-Length: 16\r\nContent-Type: text/plain; charset=utf-8\r\n",
                connection: connection, body: Array("Not Implemented\n".utf8)))
        }
        responses = built
    }

    private func build(_ start: String, connection: String, body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + body.count)
        bytes.append(contentsOf: start.utf8)
        bytes.append(contentsOf: "Date: ".utf8)
        bytes.append(contentsOf: date)
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: connection.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        bytes.append(contentsOf: body)
        return bytes
    }

    /// Appends the answer to a request with `method` to `output`.
    func append(for method: RequestMethod, kind: Kind, to output: inout OutputBuffer) {
        let answer: Int
        switch method {
        case .get: answer = 0
        case .head: answer = 1
        case .options: answer = 2
        case .notAllowed: answer = 3
        case .unknown: answer = 4
        }
        responses[kind.rawValue * 5 + answer].withUnsafeBytes { output.append($0) }
    }

    /// Appends an error response; the connection closes after it. To a HEAD request it has the
    /// same head (Content-Length included) and no body (RFC 9110 §9.3.2).
    func appendError(_ status: HTTPErrorStatus, toHEAD: Bool = false, to output: inout OutputBuffer) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(200)
        let reason = status.reason
        let body = reason + "\n"
        bytes.append(contentsOf: "HTTP/1.1 \(status.rawValue) \(reason)\r\nContent-Length: \(body.utf8.count)\r\nContent-Type: text/plain; charset=utf-8\r\nDate: ".utf8)
        bytes.append(contentsOf: date)
        bytes.append(contentsOf: "\r\nConnection: close\r\n\r\n".utf8)
        if !toHEAD { bytes.append(contentsOf: body.utf8) }
        bytes.withUnsafeBytes { output.append($0) }
    }

    /// The interim response for `Expect: 100-continue`.
    func appendContinue(to output: inout OutputBuffer) {
        let line: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"
        output.append(UnsafeRawBufferPointer(start: line.utf8Start, count: line.utf8CodeUnitCount))
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    static func format(secondsSinceEpoch: Int64) -> [UInt8] {
        let fields = UTCTime(secondsSinceEpoch: secondsSinceEpoch)
        let days: StaticString = "SunMonTueWedThuFriSat"
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        var out: [UInt8] = []
        out.reserveCapacity(29)
        let weekday = fields.weekday, day = fields.day, month = fields.month - 1, year = fields.year
        for index in 0..<3 { out.append(days.utf8Start[weekday * 3 + index]) }
        out.append(contentsOf: ", ".utf8)
        appendTwoDigits(day, to: &out)
        out.append(.space)
        for index in 0..<3 { out.append(months.utf8Start[month * 3 + index]) }
        out.append(.space)
        appendTwoDigits(year / 100, to: &out)
        appendTwoDigits(year % 100, to: &out)
        out.append(.space)
        appendTwoDigits(fields.hour, to: &out)
        out.append(.colon)
        appendTwoDigits(fields.minute, to: &out)
        out.append(.colon)
        appendTwoDigits(fields.second, to: &out)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    /// Civil UTC time from Unix seconds (Howard Hinnant's days-to-civil algorithm); avoids
    /// gmtime_r, which links glibc's time-zone machinery into a static binary.
    struct UTCTime {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int

        init(secondsSinceEpoch: Int64) {
            let seconds = Int(secondsSinceEpoch)
            var days = seconds / 86_400
            var secondOfDay = seconds % 86_400
            if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
            hour = secondOfDay / 3600
            minute = secondOfDay % 3600 / 60
            second = secondOfDay % 60
            weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
            let shifted = days + 719_468
            let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
            let dayOfEra = shifted - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let monthIndex = (5 * dayOfYear + 2) / 153
            day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
            month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
            year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        }
    }

    private static func appendTwoDigits(_ value: Int, to out: inout [UInt8]) {
        out.append(UInt8(0x30 + (value / 10) % 10))
        out.append(UInt8(0x30 + value % 10))
    }
}
