import CPOSIX
import HTTPServer

/// HelloWeb's command line: flags first, then the `PORT` environment variable, then defaults.
struct Options {
    var configuration = ServerConfiguration(response: StaticResponse(body: "Hello world!"))
    var healthcheck = false
    var healthcheckTimeoutMilliseconds = 2000
    var help = false

    static let usage = """
    Usage: HelloWeb [options]
           HelloWeb --healthcheck [--port N] [--host ADDR] [--timeout SECONDS]

    Serves "Hello world!" over HTTP/1.1 on every path (GET and HEAD; OPTIONS lists them).

    Options:
      --port N                 TCP port (default: $PORT, else 8080; 0 picks a free port)
      --host ADDR              IPv4 or IPv6 address to listen on, or localhost
                               (default: all IPv4 and IPv6 addresses)
      --threads N              event-loop threads (default: the CPUs this process may use)
      --head-timeout SECONDS   time to receive a request head (default 5)
      --idle-timeout SECONDS   time an idle keep-alive connection stays open (default 60)
      --body-timeout SECONDS   time to receive a whole request body (default 30)
      --max-body-size BYTES    largest request body; larger gets 413 (default 1048576)
      --shutdown-timeout SECONDS
                               on SIGTERM/SIGINT, longest wait for requests in flight (default 5)
      --healthcheck            request GET / from the local server; exit 0 on 200, else 1
      --timeout SECONDS        with --healthcheck: the whole check's time limit (default 2)
      -h, --help               show this help

    """

    /// Why the command line was rejected; printed with the usage hint, exit status 2.
    struct UsageError: Error {
        var message: String
    }

    static func parse(_ arguments: [String], environmentPort: String?) throws(UsageError) -> Options {
        var options = Options()
        var sawTimeout = false
        var sawPort = false
        var index = 0
        while index < arguments.count {
            var flag = arguments[index]
            var inlineValue: String? = nil
            let bytes = Array(flag.utf8)
            if bytes.count > 2, bytes[0] == UInt8(ascii: "-"), bytes[1] == UInt8(ascii: "-"),
               let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                inlineValue = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
                flag = String(decoding: bytes[..<equals], as: UTF8.self)
            }
            index += 1
            func value() throws(UsageError) -> String {
                if let inlineValue { return inlineValue }
                guard index < arguments.count else { throw UsageError(message: "\(flag) needs a value") }
                index += 1
                return arguments[index - 1]
            }
            /// A yes/no flag takes no value: `--healthcheck=no` must not run the check.
            func noValue() throws(UsageError) {
                if inlineValue != nil { throw UsageError(message: "\(flag) takes no value") }
            }
            if flag.isOption("-h") || flag.isOption("--help") {
                try noValue()
                options.help = true
            } else if flag.isOption("--healthcheck") {
                try noValue()
                options.healthcheck = true
            } else if flag.isOption("--port") {
                let text = try value()
                guard let port = parsePort(text) else { throw UsageError(message: "--port '\(text)' is not a port number (0-65535)") }
                options.configuration.port = port
                sawPort = true
            } else if flag.isOption("--host") {
                let text = try value()
                guard IPAddress(text) != nil else {
                    throw UsageError(message: "--host '\(text)' is not an IPv4 or IPv6 address (such as 0.0.0.0, 127.0.0.1, :: or ::1) or localhost; leave it out to listen on all addresses")
                }
                options.configuration.host = text
            } else if flag.isOption("--threads") {
                let text = try value()
                guard let threads = parseInteger(text), threads >= 1, threads <= 1024 else {
                    throw UsageError(message: "--threads '\(text)' must be a whole number from 1 to 1024")
                }
                options.configuration.threads = threads
            } else if flag.isOption("--head-timeout") {
                options.configuration.headTimeoutMilliseconds = try parseSeconds(try value(), flag: flag)
            } else if flag.isOption("--idle-timeout") {
                options.configuration.idleTimeoutMilliseconds = try parseSeconds(try value(), flag: flag)
            } else if flag.isOption("--body-timeout") {
                options.configuration.bodyTimeoutMilliseconds = try parseSeconds(try value(), flag: flag)
            } else if flag.isOption("--max-body-size") {
                let text = try value()
                guard let size = parseInteger(text) else {
                    throw UsageError(message: "--max-body-size '\(text)' must be a number of bytes (at most 999999999)")
                }
                options.configuration.limits.bodyBytes = size
            } else if flag.isOption("--shutdown-timeout") {
                options.configuration.shutdownTimeoutMilliseconds = try parseSeconds(try value(), flag: flag)
            } else if flag.isOption("--timeout") {
                options.healthcheckTimeoutMilliseconds = try parseSeconds(try value(), flag: flag)
                sawTimeout = true
            } else {
                throw UsageError(message: "unknown option '\(flag)'")
            }
        }
        if sawTimeout && !options.healthcheck { throw UsageError(message: "--timeout applies to --healthcheck only") }
        // $PORT only where it is used: `--port` wins over it and `--help` needs no port, so a bad
        // $PORT (a platform's, meant for another process) breaks neither.
        if !sawPort && !options.help, let environmentPort, !environmentPort.isEmpty {
            guard let port = parsePort(environmentPort) else {
                throw UsageError(message: "PORT environment variable '\(environmentPort)' is not a port number (0-65535); fix it or pass --port N")
            }
            options.configuration.port = port
        }
        return options
    }

    static func parsePort(_ text: String) -> Int? {
        guard let port = parseInteger(text), port <= 65535 else { return nil }
        return port
    }

    /// Digits only (no sign), at most 9 of them.
    static func parseInteger(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 9 else { return nil }
        var result = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            result = result * 10 + Int(byte - 0x30)
        }
        return result
    }

    /// Positive seconds with up to 3 decimals (`5`, `0.25`), as milliseconds.
    static func parseSeconds(_ text: String, flag: String) throws(UsageError) -> Int {
        let bytes = Array(text.utf8)
        var whole = 0, fraction = 0, fractionDigits = 0, sawDot = false, sawDigit = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") && !sawDot {
                sawDot = true
            } else if byte >= 0x30 && byte <= 0x39 {
                sawDigit = true
                if sawDot {
                    fractionDigits += 1
                    guard fractionDigits <= 3 else { throw UsageError(message: "\(flag) '\(text)': at most 3 decimals") }
                    fraction = fraction * 10 + Int(byte - 0x30)
                } else {
                    whole = whole * 10 + Int(byte - 0x30)
                    guard whole <= 86_400 * 365 else { throw UsageError(message: "\(flag) '\(text)' is too large") }
                }
            } else {
                throw UsageError(message: "\(flag) '\(text)' is not a number of seconds")
            }
        }
        guard sawDigit else { throw UsageError(message: "\(flag) '\(text)' is not a number of seconds") }
        while fractionDigits < 3 { fraction *= 10; fractionDigits += 1 }
        let milliseconds = whole * 1000 + fraction
        guard milliseconds > 0 || flag.isOption("--shutdown-timeout") else { throw UsageError(message: "\(flag) must be more than 0") }
        return milliseconds
    }
}

extension String {
    /// Byte-wise comparison with an option name (`==` on String applies Unicode
    /// normalization, whose tables Embedded Swift would have to link in).
    fileprivate func isOption(_ name: StaticString) -> Bool {
        utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }
}
