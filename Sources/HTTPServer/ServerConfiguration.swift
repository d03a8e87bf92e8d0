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
    /// After an error response, how long unread input is drained before closing (so the
    /// client reads the response instead of a connection reset).
    public var lingerTimeoutMilliseconds: Int
    public var limits: RequestLimits

    public init(
        host: String? = nil,
        port: Int = 8080,
        threads: Int? = nil,
        headTimeoutMilliseconds: Int = 5_000,
        idleTimeoutMilliseconds: Int = 60_000,
        shutdownTimeoutMilliseconds: Int = 5_000,
        lingerTimeoutMilliseconds: Int = 2_000,
        limits: RequestLimits = RequestLimits()
    ) {
        self.host = host
        self.port = port
        self.threads = threads
        self.headTimeoutMilliseconds = headTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.shutdownTimeoutMilliseconds = shutdownTimeoutMilliseconds
        self.lingerTimeoutMilliseconds = lingerTimeoutMilliseconds
        self.limits = limits
    }
}
