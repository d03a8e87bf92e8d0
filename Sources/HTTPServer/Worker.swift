internal import CPOSIX

/// One event loop on one thread: its own epoll, its own `SO_REUSEPORT` listening sockets,
/// its own connections. Workers share nothing; `RunningServer` talks to them only through
/// each worker's eventfd.
///
/// This is the thin I/O layer: it makes the system calls and reports what happened to each
/// connection's `ConnectionStateMachine`, which decides what to do next.
final class Worker {
    private static let maxEvents: Int32 = 256
    private static let acceptBatch = 64
    private static let acceptPauseMilliseconds: Int64 = 100
    /// At shutdown, the most connections taken from one listen backlog (the backlog is 4096;
    /// the bound keeps a flood of new connections from holding the drain open).
    private static let backlogAtShutdown = 8192
    /// Written to `wakeFD` (eventfd values add up) to end the drain at once.
    static let stopNowValue: UInt64 = 1 << 32

    private let configuration: ServerConfiguration
    private let timeouts: ConnectionTimeouts
    private let epoll: Epoll
    /// Written by `RunningServer.shutdown()` to start a graceful shutdown. Owned (and
    /// closed) by `RunningServer`, which outlives the worker threads.
    let wakeFD: Int32
    private var listeners: [Int32]
    private let events: UnsafeMutablePointer<epoll_event>

    private var connections: [Connection?] = []
    private var generations: [UInt32] = []
    private var freeSlots: [Int] = []
    private var liveConnections = 0

    // Worker state is only touched by its own thread, so dynamic exclusivity checks on the
    // hot-path buffers are skipped.
    /// Requests are parsed straight from here; only leftovers of incomplete requests are copied.
    @exclusivity(unchecked) private var readBuffer: ByteBuffer
    /// The clock, the shared output buffer and the cached responses, lent to a connection's
    /// state machine for each event.
    @exclusivity(unchecked) private var context: ConnectionContext
    private var nextSweep: Int64
    private let sweepInterval: Int64
    private var acceptPausedUntil: Int64? = nil
    private var stopping = false
    private var drainDeadline: Int64 = 0

    init(configuration: ServerConfiguration, listeners: [Int32]) throws(ServerError) {
        self.configuration = configuration
        self.listeners = listeners
        timeouts = ConnectionTimeouts(configuration)
        switch syscall({ Int(epoll_create1(Int32(EPOLL_CLOEXEC))) }) {
        case .success(let fd): epoll = Epoll(fd: Int32(fd))
        case .failure(let code): throw .resourceUnavailable(what: "epoll instance", code: code)
        case .wouldBlock: throw .resourceUnavailable(what: "epoll instance", code: EAGAIN)
        }
        switch syscall({ Int(eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))) }) {
        case .success(let fd):
            wakeFD = Int32(fd)
        case .failure(let code):
            Descriptor.close(epoll.fd)
            throw .resourceUnavailable(what: "eventfd", code: code)
        case .wouldBlock:
            Descriptor.close(epoll.fd)
            throw .resourceUnavailable(what: "eventfd", code: EAGAIN)
        }
        events = cposix_event_array_allocate(Worker.maxEvents)
        readBuffer = ByteBuffer(capacity: max(65536, configuration.limits.headBufferBytes))
        let now = cposix_monotonic_ms()
        context = ConnectionContext(
            now: now, output: OutputBuffer(capacity: 16384),
            responses: ResponseCache(response: configuration.response, now: cposix_wall_seconds()))
        let shortest = min(timeouts.head, timeouts.idle, timeouts.linger, timeouts.body)
        sweepInterval = max(5, min(250, shortest / 4))
        nextSweep = now + sweepInterval
        epoll.add(wakeFD, .readable, .wake)
        watchListeners()
    }

    deinit {
        for fd in listeners { Descriptor.close(fd) }  // only when the worker never ran
        free(events)
        Descriptor.close(epoll.fd)
    }

    /// Runs until a requested shutdown has finished.
    func run() {
        cposix_block_all_signals()
        while true {
            let timeout = Int32(max(0, min(nextSweep, acceptPausedUntil ?? Int64.max) - context.now))
            let count = epoll.wait(events, capacity: Worker.maxEvents, timeout: timeout)
            context.now = cposix_monotonic_ms()
            context.responses.refresh(now: cposix_wall_seconds())
            // A shutdown reported in the same round as input goes first: a request that was
            // waiting when the signal came is then answered with `Connection: close`.
            for index in 0..<count where EpollToken(cposix_event_token(events, Int32(index))) == .wake {
                handle(.wake)
            }
            for index in 0..<count {
                let token = EpollToken(cposix_event_token(events, Int32(index)))
                if token != .wake { handle(token) }
            }
            if let resume = acceptPausedUntil, context.now >= resume { resumeAccepting() }
            if context.now >= nextSweep { sweep() }
            if stopping && liveConnections == 0 { break }
        }
        closeListeners()
    }

    // MARK: Events

    private func handle(_ token: EpollToken) {
        switch token {
        case .wake:
            let value = Descriptor.takeCounter(wakeFD)
            beginShutdown()
            if value >= Worker.stopNowValue {
                // A second signal: the drain is over now, whatever is still in flight.
                drainDeadline = context.now
                sweep()
            }
        case .listener(let index):
            if index < listeners.count && !stopping { acceptConnections(from: listeners[index], limit: Worker.acceptBatch) }
        case .connection(let slot, _):
            guard slot < connections.count, let connection = connections[slot], connection.token == token else { return }
            if connection.interest == .writable {
                drive(connection, .writable)
            } else {
                onReadable(connection)
            }
        }
    }

    // MARK: Accepting

    private func acceptConnections(from listener: Int32, limit: Int) {
        for _ in 0..<limit {
            switch Socket.accept(listener) {
            case .success(let fd):
                // Clients usually send the request right after connecting: read it now instead
                // of waiting for the next epoll round (EAGAIN when it is not there yet). Only a
                // connection that outlives this first read is added to epoll, so a `Connection:
                // close` request costs no epoll_ctl at all. Accepted during shutdown (from the
                // backlog), it is told so first: its request is answered with `Connection: close`.
                let connection = track(Int32(fd))
                if stopping { drive(connection, .shutdown) } else { onReadable(connection) }
                if isOpen(connection) { watch(connection) }
            case .wouldBlock:
                return
            case .failure(let code):
                if code == ECONNABORTED { continue }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM { pauseAccepting() }
                return
            }
        }
    }

    private func watchListeners() {
        for (index, fd) in listeners.enumerated() {
            epoll.add(fd, .readable, .listener(index: index))
        }
    }

    /// Out of file descriptors: stop watching the listeners for a moment instead of spinning
    /// on a level-triggered event we cannot serve.
    private func pauseAccepting() {
        guard acceptPausedUntil == nil else { return }
        for fd in listeners { epoll.remove(fd) }
        acceptPausedUntil = context.now + Worker.acceptPauseMilliseconds
    }

    private func resumeAccepting() {
        acceptPausedUntil = nil
        guard !stopping else { return }
        watchListeners()
    }

    /// Gives a new socket a slot and a token; `watch` adds it to epoll.
    private func track(_ fd: Int32) -> Connection {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = connections.count
            connections.append(nil)
            generations.append(0)
        }
        generations[slot] = (generations[slot] &+ 1) & EpollToken.generationMask
        let connection = Connection(
            fd: fd, token: .connection(slot: slot, generation: generations[slot]),
            machine: ConnectionStateMachine(limits: configuration.limits, timeouts: timeouts, now: context.now))
        connections[slot] = connection
        liveConnections += 1
        return connection
    }

    private func watch(_ connection: Connection) {
        guard case .success = epoll.add(connection.fd, connection.interest, connection.token) else {
            closeConnection(connection)
            return
        }
        connection.isWatched = true
    }

    private func isOpen(_ connection: Connection) -> Bool {
        guard case .connection(let slot, _) = connection.token else { return false }
        return slot < connections.count && connections[slot] === connection
    }

    // MARK: Driving the state machine

    private func onReadable(_ connection: Connection) {
        var socket = SocketConnectionIO(fd: connection.fd)
        guard let event = ConnectionDriver.readEvent(&connection.machine, from: &socket, scratch: scratch) else { return }
        drive(connection, event)
    }

    /// Reports `event` to the connection's state machine through `ConnectionDriver` and turns the
    /// action it ends waiting in into epoll interest, or a close.
    private func drive(_ connection: Connection, _ event: ConnectionEvent) {
        var socket = SocketConnectionIO(fd: connection.fd)
        switch ConnectionDriver.drive(&connection.machine, event, in: &context, over: &socket, scratch: scratch) {
        case .read, .shutdownOutput: setInterest(connection, .readable)
        case .waitForWritable: setInterest(connection, .writable)
        case .close: closeConnection(connection)
        case .keepWaiting, .send, .sendPending, .measureSendQueue, .probeInput: return
        }
    }

    /// The worker's read buffer, lent to the driver: requests are parsed straight from it.
    private var scratch: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: readBuffer.base, count: readBuffer.capacity)
    }

    private func setInterest(_ connection: Connection, _ interest: Interest) {
        guard connection.interest != interest else { return }
        connection.interest = interest
        if connection.isWatched {
            epoll.modify(connection.fd, interest, connection.token)
        }
    }

    private func closeConnection(_ connection: Connection) {
        guard isOpen(connection), case .connection(let slot, _) = connection.token else { return }
        Descriptor.close(connection.fd)
        connections[slot] = nil
        freeSlots.append(slot)
        liveConnections -= 1
    }

    // MARK: Timeouts and shutdown

    /// Reports passed deadlines. Runs every `sweepInterval`.
    private func sweep() {
        nextSweep = context.now + sweepInterval
        let drainOver = stopping && context.now >= drainDeadline
        guard liveConnections > 0 else { return }
        for slot in 0..<connections.count {
            guard let connection = connections[slot] else { continue }
            if drainOver {
                closeConnection(connection)
            } else if connection.machine.deadline <= context.now {
                drive(connection, .deadlinePassed)
            }
        }
    }

    private func beginShutdown() {
        guard !stopping else { return }
        stopping = true
        drainDeadline = context.now + Int64(configuration.shutdownTimeoutMilliseconds)
        for slot in 0..<connections.count {
            guard let connection = connections[slot] else { continue }
            drive(connection, .shutdown)
        }
        // Connections in the listen backlog reached us before the signal: closing the listener
        // would reset them. Take them all (until EAGAIN) and serve them under the drain rules.
        for fd in listeners { acceptConnections(from: fd, limit: Worker.backlogAtShutdown) }
        closeListeners()
    }

    private func closeListeners() {
        for fd in listeners {
            if acceptPausedUntil == nil { epoll.remove(fd) }
            Descriptor.close(fd)
        }
        listeners = []
    }
}
