/// One client connection, owned by the worker whose epoll watches it.
final class Connection {
    /// Where the connection is in its life; decides what its deadline means.
    enum Phase {
        /// Between requests (or freshly accepted): the idle timeout (head timeout when fresh).
        case awaitingRequest
        /// Part of a request has arrived: the head timeout, counted from its first byte.
        case readingRequest
        /// Our side is shut down after the last response; unread input is drained until
        /// the client closes or the linger timeout passes.
        case lingering
    }

    let fd: Int32
    let token: UInt64
    @exclusivity(unchecked) var parser: RequestParser
    var phase = Phase.awaitingRequest
    /// Monotonic milliseconds after which the connection is timed out.
    var deadline: Int64
    /// Unparsed bytes of an incomplete request (empty in the common case: requests are
    /// parsed straight from the worker's read buffer).
    @exclusivity(unchecked) var input = ByteBuffer()
    /// Response bytes the socket did not take yet (backpressure: no reading meanwhile).
    @exclusivity(unchecked) var pendingOutput = OutputBuffer()
    /// The epoll events wanted; registered once `isWatched`.
    var interest: UInt32
    /// Added to the worker's epoll. A connection answered and closed on its first read never is.
    var isWatched = false
    /// Close (gracefully) once the buffered output is sent.
    var closeWhenFlushed = false
    /// The close follows an error: always drain input before closing.
    var lingerWhenClosing = false
    /// `100 Continue` was sent for the current request.
    var continueSent = false

    init(fd: Int32, token: UInt64, parser: RequestParser, deadline: Int64, interest: UInt32) {
        self.fd = fd
        self.token = token
        self.parser = parser
        self.deadline = deadline
        self.interest = interest
    }
}
