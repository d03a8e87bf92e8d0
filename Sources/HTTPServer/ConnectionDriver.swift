/// What the connection driver needs from a socket: the four calls a connection's life is made of.
/// `Worker` drives real sockets (`SocketConnectionIO`); the state-machine tests drive the same loop
/// over a scripted socket, so what they check is the loop that serves requests.
protocol ConnectionIO {
    mutating func receive(into buffer: UnsafeMutableRawBufferPointer) -> SyscallResult
    mutating func send(_ bytes: UnsafeRawBufferPointer) -> SyscallResult
    /// `shutdown(SHUT_WR)`: our FIN, before a lingering close.
    mutating func shutdownOutput()
    /// Bytes sent but not yet acknowledged by the peer; nil when that cannot be known.
    mutating func sendQueueBytes() -> Int?
}

/// Carries a connection's state machine from one event to the point where it waits: reads what the
/// socket has, reports it, and performs the sends, probes and measurements the machine asks for. Pure
/// of epoll: the caller turns the action it returns into interest changes or a close.
enum ConnectionDriver {
    /// What arrived on a readable socket, as the machine wants it: into its own buffer while it
    /// holds an incomplete request (no re-copying), else into `scratch`; nil when nothing was there.
    static func readEvent<IO: ConnectionIO>(
        _ machine: inout ConnectionStateMachine, from io: inout IO, scratch: UnsafeMutableRawBufferPointer
    ) -> ConnectionEvent? {
        if machine.hasBufferedInput {
            guard let space = machine.reserveInput() else { return .inputBufferFull }
            switch io.receive(into: space) {
            case .success(0): return .inputEnded
            case .success(let count): return .receivedIntoInput(count: count)
            case .wouldBlock: return nil
            case .failure: return .failed
            }
        }
        return received(io.receive(into: scratch), scratch)
    }

    /// Reports `event` and carries out the actions that need no waiting until the machine waits.
    /// Returns that waiting action: `.read`, `.waitForWritable`, `.keepWaiting`, `.close`, or
    /// `.shutdownOutput` (already done on `io`; the connection then waits to read). Every action that
    /// sends `context.output` reports back `.sent`, which empties it: the shared buffer is always empty
    /// when the next connection's event begins.
    static func drive<IO: ConnectionIO>(
        _ machine: inout ConnectionStateMachine, _ event: ConnectionEvent, in context: inout ConnectionContext,
        over io: inout IO, scratch: UnsafeMutableRawBufferPointer
    ) -> ConnectionAction {
        assert(context.output.isEmpty, "the shared output buffer holds another connection's bytes")
        var action = machine.handle(event, in: &context)
        while true {
            let next: ConnectionEvent
            switch action {
            case .read, .waitForWritable, .keepWaiting, .close:
                return action
            case .shutdownOutput:
                io.shutdownOutput()
                return action
            case .send:
                next = sent(io.send(context.output.readableBytes), pending: false)
            case .sendPending:
                next = sent(io.send(machine.pendingBytes), pending: true)
            case .measureSendQueue:
                next = io.sendQueueBytes().map { .sendQueue(bytes: $0) } ?? .failed
            case .probeInput:
                // Nothing waiting is the answer the probe hopes for (`.noInput`), not a wait.
                next = received(io.receive(into: scratch), scratch) ?? .noInput
            }
            action = machine.handle(next, in: &context)
        }
    }

    /// A receive's result as an event; nil when the socket had nothing (EAGAIN).
    private static func received(_ result: SyscallResult, _ buffer: UnsafeMutableRawBufferPointer) -> ConnectionEvent? {
        switch result {
        case .success(0): return .inputEnded
        case .success(let count): return .received(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        case .wouldBlock: return nil
        case .failure: return .failed
        }
    }

    private static func sent(_ result: SyscallResult, pending: Bool) -> ConnectionEvent {
        switch result {
        case .success(let count): return pending ? .sentPending(count) : .sent(count)
        case .wouldBlock: return pending ? .sentPending(0) : .sent(0)
        case .failure: return .failed
        }
    }
}
