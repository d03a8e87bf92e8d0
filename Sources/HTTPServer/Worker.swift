internal import CPOSIX

/// One event loop on one thread: its own epoll, its own `SO_REUSEPORT` listening sockets,
/// its own connections. Workers share nothing; `RunningServer` talks to them only through
/// each worker's eventfd.
final class Worker {
    private static let listenerTokenFlag: UInt64 = 1 << 63
    private static let wakeToken: UInt64 = 1 << 62
    private static let readEvents = UInt32(EPOLLIN.rawValue)
    private static let writeEvents = UInt32(EPOLLOUT.rawValue)
    private static let maxEvents: Int32 = 256
    private static let acceptBatch = 64
    private static let acceptPauseMilliseconds: Int64 = 100

    private let configuration: ServerConfiguration
    private let epoll: Int32
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
    /// Responses for one read are collected here and sent with one `send`.
    @exclusivity(unchecked) private var writeBuffer = OutputBuffer(capacity: 16384)
    private var responses: ResponseCache
    private var now: Int64
    private var nextSweep: Int64
    private let sweepInterval: Int64
    private var acceptPausedUntil: Int64? = nil
    private var stopping = false
    private var drainDeadline: Int64 = 0

    init(configuration: ServerConfiguration, listeners: [Int32]) throws(ServerError) {
        self.configuration = configuration
        self.listeners = listeners
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw .resourceUnavailable(what: "epoll instance", code: cposix_errno()) }
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard wakeFD >= 0 else {
            let code = cposix_errno()
            close(epoll)
            throw .resourceUnavailable(what: "eventfd", code: code)
        }
        events = cposix_event_array_allocate(Worker.maxEvents)
        readBuffer = ByteBuffer(capacity: max(65536, configuration.limits.headBufferBytes))
        now = cposix_monotonic_ms()
        responses = ResponseCache(now: cposix_wall_seconds())
        let shortest = Int64(min(configuration.headTimeoutMilliseconds, configuration.idleTimeoutMilliseconds, configuration.lingerTimeoutMilliseconds))
        sweepInterval = max(5, min(250, shortest / 4))
        nextSweep = now + sweepInterval
        _ = cposix_epoll_add(epoll, wakeFD, Worker.readEvents, Worker.wakeToken)
        for (index, fd) in listeners.enumerated() {
            _ = cposix_epoll_add(epoll, fd, Worker.readEvents, Worker.listenerTokenFlag | UInt64(index))
        }
    }

    deinit {
        for fd in listeners { close(fd) }  // only when the worker never ran
        free(events)
        close(epoll)
    }

    /// Runs until a requested shutdown has finished.
    func run() {
        cposix_block_all_signals()
        while true {
            let timeout = Int32(max(0, min(nextSweep, acceptPausedUntil ?? Int64.max) - now))
            let count = epoll_wait(epoll, events, Worker.maxEvents, timeout)
            now = cposix_monotonic_ms()
            responses.refresh(now: cposix_wall_seconds())
            if count > 0 {
                for index in 0..<Int(count) {
                    handle(token: cposix_event_token(events, Int32(index)))
                }
            }
            if let resume = acceptPausedUntil, now >= resume { resumeAccepting() }
            if now >= nextSweep { sweep() }
            if stopping && liveConnections == 0 { break }
        }
        closeListeners()
    }

    // MARK: Events

    private func handle(token: UInt64) {
        if token == Worker.wakeToken {
            var value: UInt64 = 0
            _ = read(wakeFD, &value, 8)
            beginShutdown()
            return
        }
        if token & Worker.listenerTokenFlag != 0 {
            let index = Int(token & 0xFFFF)
            if index < listeners.count { acceptConnections(from: listeners[index]) }
            return
        }
        guard let connection = connection(for: token) else { return }
        if connection.interest & Worker.writeEvents != 0 {
            onWritable(connection)
        } else {
            onReadable(connection)
        }
    }

    private func connection(for token: UInt64) -> Connection? {
        let slot = Int(token & 0xFFFF_FFFF)
        guard slot < connections.count, let connection = connections[slot], connection.token == token else { return nil }
        return connection
    }

    // MARK: Accepting

    private func acceptConnections(from listener: Int32) {
        guard !stopping else { return }
        for _ in 0..<Worker.acceptBatch {
            let fd = cposix_accept(listener)
            if fd < 0 {
                let code = cposix_errno()
                if code == EINTR || code == ECONNABORTED { continue }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM { pauseAccepting() }
                return
            }
            // Clients usually send the request right after connecting: read it now instead
            // of waiting for the next epoll round (EAGAIN when it is not there yet). Only a
            // connection that outlives this first read is added to epoll, so a `Connection:
            // close` request costs no epoll_ctl at all.
            let connection = track(fd)
            onReadable(connection)
            if isOpen(connection) { watch(connection) }
        }
    }

    /// Out of file descriptors: stop watching the listeners for a moment instead of spinning
    /// on a level-triggered event we cannot serve.
    private func pauseAccepting() {
        guard acceptPausedUntil == nil else { return }
        for fd in listeners { _ = cposix_epoll_remove(epoll, fd) }
        acceptPausedUntil = now + Worker.acceptPauseMilliseconds
    }

    private func resumeAccepting() {
        acceptPausedUntil = nil
        guard !stopping else { return }
        for (index, fd) in listeners.enumerated() {
            _ = cposix_epoll_add(epoll, fd, Worker.readEvents, Worker.listenerTokenFlag | UInt64(index))
        }
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
        // 30 bits of generation: the top two token bits belong to the wake and listener tokens.
        generations[slot] = (generations[slot] &+ 1) & 0x3FFF_FFFF
        let token = UInt64(slot) | (UInt64(generations[slot]) << 32)
        // A fresh connection gets the head timeout: an idle stranger holds no socket for long.
        let connection = Connection(
            fd: fd, token: token, parser: RequestParser(limits: configuration.limits),
            deadline: now + Int64(configuration.headTimeoutMilliseconds), interest: Worker.readEvents)
        connections[slot] = connection
        liveConnections += 1
        return connection
    }

    private func watch(_ connection: Connection) {
        guard cposix_epoll_add(epoll, connection.fd, connection.interest, connection.token) == 0 else {
            closeConnection(connection)
            return
        }
        connection.isWatched = true
    }

    private func isOpen(_ connection: Connection) -> Bool {
        let slot = Int(connection.token & 0xFFFF_FFFF)
        return slot < connections.count && connections[slot] === connection
    }

    // MARK: Reading and parsing

    private func onReadable(_ connection: Connection) {
        if connection.phase == .lingering {
            drainLingering(connection)
            return
        }
        let received: Int
        if connection.input.isEmpty {
            received = recv(connection.fd, readBuffer.base, readBuffer.capacity, 0)
            if received > 0 {
                let bytes = UnsafeRawBufferPointer(start: readBuffer.base, count: received)
                let consumed = process(connection, bytes)
                if consumed < received {
                    connection.input.append(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
                }
            }
        } else {
            // Continue an incomplete request in the connection's own buffer (no re-copying).
            guard connection.input.reserveWritable(1024, maximumCapacity: configuration.limits.headBufferBytes + 4096) else {
                fail(connection, .headerFieldsTooLarge)
                return
            }
            received = recv(connection.fd, connection.input.writablePointer, connection.input.writableCount, 0)
            if received > 0 {
                connection.input.didWrite(received)
                let consumed = process(connection, connection.input.readableBytes)
                connection.input.consume(consumed)
                connection.input.releaseIfEmpty()
            }
        }
        if received > 0 {
            flush(connection)
        } else if received == 0 {
            closeConnection(connection)  // the client closed; nothing is owed
        } else {
            let code = cposix_errno()
            if code != EAGAIN && code != EINTR { closeConnection(connection) }
        }
    }

    /// Parses every complete request in `bytes`, appending the responses to `writeBuffer`.
    /// Returns how many bytes are done with; the rest belong to an incomplete request.
    private func process(_ connection: Connection, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        var completedRequests = 0
        parsing: while !connection.closeWhenFlushed {
            switch connection.parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .needMore(let consumed):
                offset += consumed
                if connection.parser.isReadingBody && connection.parser.currentHead.expectsContinue && !connection.continueSent {
                    connection.continueSent = true
                    responses.appendContinue(to: &writeBuffer)
                }
                break parsing
            case .complete(let head, let consumed):
                offset += consumed
                completedRequests += 1
                connection.continueSent = false
                let keepAlive = head.keepAlive && !stopping
                let kind: ResponseCache.Kind = keepAlive ? (head.minorVersion == 0 ? .keepAliveHTTP10 : .keepAlive) : .close
                responses.appendOK(kind: kind, isHead: head.isHead, to: &writeBuffer)
                if !keepAlive { connection.closeWhenFlushed = true }
            case .failure(let status):
                responses.appendError(status, to: &writeBuffer)
                connection.closeWhenFlushed = true
                connection.lingerWhenClosing = true
            }
        }
        if connection.closeWhenFlushed { return bytes.count }  // nothing after this request is read
        if offset == bytes.count && connection.parser.isAtRequestBoundary {
            if connection.phase != .awaitingRequest {
                connection.phase = .awaitingRequest
            }
            connection.deadline = now + Int64(configuration.idleTimeoutMilliseconds)
        } else if connection.phase == .awaitingRequest || completedRequests > 0 {
            // The head timeout counts from a request's first byte (here: this read, which
            // finished the previous request or began the first) and is not extended per byte.
            connection.phase = .readingRequest
            connection.deadline = now + Int64(configuration.headTimeoutMilliseconds)
        } else if connection.parser.isReadingBody {
            connection.deadline = now + Int64(configuration.headTimeoutMilliseconds)
        }
        return offset
    }

    private func fail(_ connection: Connection, _ status: HTTPErrorStatus) {
        responses.appendError(status, to: &writeBuffer)
        connection.closeWhenFlushed = true
        connection.lingerWhenClosing = true
        connection.input.clear()
        connection.input.releaseIfEmpty()
        flush(connection)
    }

    // MARK: Writing

    /// Sends what `process` put in `writeBuffer`; keeps the rest for EPOLLOUT.
    private func flush(_ connection: Connection) {
        if !writeBuffer.isEmpty {
            let count = writeBuffer.readableCount
            let sent = send(connection.fd, writeBuffer.base, count, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                let code = cposix_errno()
                if code != EAGAIN && code != EINTR {
                    writeBuffer.clear()
                    closeConnection(connection)
                    return
                }
            }
            let done = max(0, sent)
            if done < count {
                connection.pendingOutput.append(UnsafeRawBufferPointer(start: writeBuffer.base! + done, count: count - done))
                writeBuffer.clear()
                connection.deadline = now + Int64(configuration.headTimeoutMilliseconds)
                setInterest(connection, Worker.writeEvents)
                return
            }
            writeBuffer.clear()
        }
        finishIfDone(connection)
    }

    private func onWritable(_ connection: Connection) {
        let sent = send(connection.fd, connection.pendingOutput.readableBytes.baseAddress, connection.pendingOutput.readableCount, Int32(MSG_NOSIGNAL))
        if sent < 0 {
            let code = cposix_errno()
            if code != EAGAIN && code != EINTR { closeConnection(connection) }
            return
        }
        connection.pendingOutput.consume(sent)
        if !connection.pendingOutput.isEmpty {
            connection.deadline = now + Int64(configuration.headTimeoutMilliseconds)
            return
        }
        connection.pendingOutput.releaseIfEmpty()
        setInterest(connection, Worker.readEvents)
        if connection.phase == .awaitingRequest {
            connection.deadline = now + Int64(configuration.idleTimeoutMilliseconds)
        }
        finishIfDone(connection)
    }

    /// After all output is sent: close if the response said so, or if shutting down and idle.
    private func finishIfDone(_ connection: Connection) {
        if connection.closeWhenFlushed {
            closeGracefully(connection)
        } else if stopping && connection.phase == .awaitingRequest {
            closeGracefully(connection)
        }
    }

    private func setInterest(_ connection: Connection, _ events: UInt32) {
        guard connection.interest != events else { return }
        connection.interest = events
        if connection.isWatched { _ = cposix_epoll_modify(epoll, connection.fd, events, connection.token) }
    }

    // MARK: Closing

    /// Closes at once when no unread input is waiting (close then sends a plain FIN);
    /// otherwise, and always after an error response, shuts down our side and drains the
    /// input first: a close with unread input sends RST, which can destroy the response
    /// before the client reads it.
    private func closeGracefully(_ connection: Connection) {
        if !connection.lingerWhenClosing {
            let received = recv(connection.fd, readBuffer.base, readBuffer.capacity, 0)
            if received <= 0 {
                closeConnection(connection)
                return
            }
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.phase = .lingering
        connection.deadline = now + Int64(configuration.lingerTimeoutMilliseconds)
        connection.input.clear()
        connection.input.releaseIfEmpty()
        setInterest(connection, Worker.readEvents)
    }

    private func drainLingering(_ connection: Connection) {
        let received = recv(connection.fd, readBuffer.base, readBuffer.capacity, 0)
        if received == 0 || (received < 0 && cposix_errno() != EAGAIN && cposix_errno() != EINTR) {
            closeConnection(connection)
        }
    }

    private func closeConnection(_ connection: Connection) {
        guard isOpen(connection) else { return }
        let slot = Int(connection.token & 0xFFFF_FFFF)
        close(connection.fd)
        connections[slot] = nil
        freeSlots.append(slot)
        liveConnections -= 1
    }

    // MARK: Timeouts and shutdown

    /// Closes connections past their deadline. Runs every `sweepInterval`.
    private func sweep() {
        nextSweep = now + sweepInterval
        let drainOver = stopping && now >= drainDeadline
        guard liveConnections > 0 else { return }
        for slot in 0..<connections.count {
            guard let connection = connections[slot] else { continue }
            if drainOver {
                closeConnection(connection)
                continue
            }
            guard connection.deadline <= now else { continue }
            if connection.phase == .readingRequest && connection.pendingOutput.isEmpty && !connection.parser.isReadingBody {
                // Tell a slow client why (RFC 9110 §15.5.9), then close.
                responses.appendError(.requestTimeout, to: &writeBuffer)
                connection.closeWhenFlushed = true
                flush(connection)
            } else {
                closeConnection(connection)
            }
        }
    }

    private func beginShutdown() {
        guard !stopping else { return }
        stopping = true
        drainDeadline = now + Int64(configuration.shutdownTimeoutMilliseconds)
        closeListeners()
        for slot in 0..<connections.count {
            guard let connection = connections[slot] else { continue }
            if connection.phase == .awaitingRequest && connection.pendingOutput.isEmpty {
                closeConnection(connection)
            }
        }
    }

    private func closeListeners() {
        for fd in listeners {
            if acceptPausedUntil == nil { _ = cposix_epoll_remove(epoll, fd) }
            close(fd)
        }
        listeners = []
    }
}
