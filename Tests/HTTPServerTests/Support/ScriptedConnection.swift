@testable import HTTPServer

/// A socket that answers from a script: what it holds to be read, how much it takes before it would
/// block, what its send queue holds. It records what was sent and what was asked of it.
struct ScriptedSocket: ConnectionIO {
    /// How many more bytes the socket takes before it would block.
    var accepts = Int.max
    /// What `sendQueueBytes` finds.
    var sendQueue = 0
    /// Bytes waiting to be read.
    var unread: [UInt8] = []
    private(set) var sent: [UInt8] = []
    private(set) var receives = 0
    private(set) var queueMeasurements = 0
    private(set) var outputShutDown = false

    mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> SyscallResult {
        receives += 1
        guard !unread.isEmpty else { return .wouldBlock }
        let count = min(buffer.count, unread.count)
        buffer.copyBytes(from: unread[0..<count])
        unread.removeFirst(count)
        return .success(count)
    }

    mutating func send(_ bytes: UnsafeRawBufferPointer) -> SyscallResult {
        let count = min(bytes.count, accepts)
        guard count > 0 || bytes.isEmpty else { return .wouldBlock }
        sent += bytes[0..<count]
        if accepts != Int.max { accepts -= count }
        return .success(count)
    }

    mutating func shutdownOutput() { outputShutDown = true }

    mutating func clearSent() { sent = [] }

    mutating func sendQueueBytes() -> Int? {
        queueMeasurements += 1
        return sendQueue
    }
}

/// A connection's state machine over a `ScriptedSocket`, driven by the server's own
/// `ConnectionDriver`: the loop these tests exercise is the one `Worker` runs.
final class ScriptedConnection {
    var machine: ConnectionStateMachine
    var context: ConnectionContext
    var socket = ScriptedSocket()
    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    /// Receives made while the machine was driven (probes for a waiting request), not by `arrive`.
    private(set) var probes = 0

    var now: Int64 {
        get { context.now }
        set { context.now = newValue }
    }
    var socketAccepts: Int {
        get { socket.accepts }
        set { socket.accepts = newValue }
    }
    var sendQueue: Int {
        get { socket.sendQueue }
        set { socket.sendQueue = newValue }
    }
    /// Input waiting in the socket, read only when the machine probes (or `arrive` is called).
    var unreadInput: String {
        get { String(decoding: socket.unread, as: UTF8.self) }
        set { socket.unread = Array(newValue.utf8) }
    }
    var queueMeasurements: Int { socket.queueMeasurements }

    init(timeouts: ConnectionTimeouts = ConnectionStateMachineTests.timeouts, limits: RequestLimits = RequestLimits()) {
        machine = ConnectionStateMachine(limits: limits, timeouts: timeouts, now: 0)
        context = ConnectionContext(
            now: 0, output: OutputBuffer(capacity: 16384),
            responses: ResponseCache(response: StaticResponse(body: "Hello world!"), now: 1_000_000_000))
    }

    deinit { scratch.deallocate() }

    /// Bytes reported as one `.received` event, whatever the machine buffers.
    func receive(_ text: String) -> ConnectionAction {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { report(.received($0)) }
    }

    /// Bytes arrive in the socket and are read the way `Worker` reads a readable socket:
    /// straight into the read buffer, or into the connection's own buffer while it holds an
    /// incomplete request. Returns the action the machine ends up waiting in.
    func arrive(_ text: String) -> ConnectionAction {
        socket.unread += Array(text.utf8)
        guard let event = ConnectionDriver.readEvent(&machine, from: &socket, scratch: scratch) else { return .read }
        return report(event)
    }

    /// Reports `event` and carries out actions until the machine waits.
    func report(_ event: ConnectionEvent) -> ConnectionAction {
        let before = socket.receives
        defer { probes += socket.receives - before }
        return ConnectionDriver.drive(&machine, event, in: &context, over: &socket, scratch: scratch)
    }

    /// What was sent since the last call.
    func takeOutput() -> String {
        defer { socket.clearSent() }
        return String(decoding: socket.sent, as: UTF8.self)
    }
}
