/// Everything `HTTPServer.start` needs to know.
public struct ServerConfiguration: Sendable {
    /// Address to listen on; nil listens on all IPv4 (`0.0.0.0`) and IPv6 (`[::]`) addresses.
    public var host: String?
    /// TCP port; 0 picks a free ephemeral port (see `RunningServer.port`).
    public var port: Int
    /// Number of event-loop threads; nil uses `SystemResources.availableProcessorCount()`.
    public var threads: Int?
    /// Time allowed from the first byte of a request until its head is complete (and
    /// between reads of a request body or writes of a response).
    public var headTimeoutMilliseconds: Int
    /// Time an idle keep-alive connection stays open.
    public var idleTimeoutMilliseconds: Int
    /// On shutdown, the longest wait for in-flight requests and responses to finish.
    public var shutdownTimeoutMilliseconds: Int
    /// From the end of a request head until the end of its body, in total (a body that
    /// trickles in gets `408` when it passes).
    public var bodyTimeoutMilliseconds: Int
    /// After an error response, how long unread input is drained before closing (so the
    /// client reads the response instead of a connection reset). At shutdown it is also the
    /// last call of an idle keep-alive connection: how long its next request is waited for
    /// (and answered with `Connection: close`) before the lingering close.
    public var lingerTimeoutMilliseconds: Int
    public var limits: RequestLimits
    /// What every `GET` gets.
    public var response: StaticResponse

    public init(
        host: String? = nil,
        port: Int = 8080,
        threads: Int? = nil,
        headTimeoutMilliseconds: Int = 5_000,
        idleTimeoutMilliseconds: Int = 60_000,
        shutdownTimeoutMilliseconds: Int = 5_000,
        lingerTimeoutMilliseconds: Int = 2_000,
        bodyTimeoutMilliseconds: Int = 30_000,
        limits: RequestLimits = RequestLimits(),
        response: StaticResponse = StaticResponse(body: "Hello world!")
    ) {
        self.host = host
        self.port = port
        self.threads = threads
        self.headTimeoutMilliseconds = headTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.shutdownTimeoutMilliseconds = shutdownTimeoutMilliseconds
        self.lingerTimeoutMilliseconds = lingerTimeoutMilliseconds
        self.bodyTimeoutMilliseconds = bodyTimeoutMilliseconds
        self.limits = limits
        self.response = response
    }
}

/// The one response the server gives to every `GET` (and, without the body, `HEAD`).
public struct StaticResponse: Sendable {
    public var body: [UInt8]
    /// The `Content-Type` header's value.
    public var contentType: String

    public init(body: String, contentType: String = "text/plain; charset=utf-8") {
        self.body = Array(body.utf8)
        self.contentType = contentType
    }
}
