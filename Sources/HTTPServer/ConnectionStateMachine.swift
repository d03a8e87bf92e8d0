/// The time limits a connection enforces, in milliseconds of the monotonic clock.
struct ConnectionTimeouts: Equatable {
    /// From a request's first byte until its head is complete.
    var head: Int64
    /// Between requests on a keep-alive connection.
    var idle: Int64
    /// From the end of a head until the end of its body (in total, however the body trickles).
    var body: Int64
    /// While a response waits for the client to read (between two writes that make progress).
    var write: Int64
    /// After the last response: how long unread input is drained before closing. At shutdown,
    /// also how long an idle connection waits for one more request (its last call).
    var linger: Int64

    init(head: Int64, idle: Int64, body: Int64, write: Int64, linger: Int64) {
        self.head = head
        self.idle = idle
        self.body = body
        self.write = write
        self.linger = linger
    }

    init(_ configuration: ServerConfiguration) {
        self.init(
            head: Int64(configuration.headTimeoutMilliseconds), idle: Int64(configuration.idleTimeoutMilliseconds),
            body: Int64(configuration.bodyTimeoutMilliseconds), write: Int64(configuration.headTimeoutMilliseconds),
            linger: Int64(configuration.lingerTimeoutMilliseconds))
    }
}

/// What a connection's state machine needs from its worker for one event: the clock (so
/// tests pass a manual one), the worker's shared output buffer, and the response bytes.
struct ConnectionContext: ~Copyable {
    /// Monotonic milliseconds.
    var now: Int64
    /// Responses produced by one event are appended here; the machine empties it again when
    /// told how much was sent (`.sent`), so the next connection always finds it empty.
    var output: OutputBuffer
    var responses: ResponseCache

    init(now: Int64, output: consuming OutputBuffer, responses: ResponseCache) {
        self.now = now
        self.output = output
        self.responses = responses
    }
}

/// What happened to a connection, as the I/O layer reports it.
enum ConnectionEvent {
    /// Bytes arrived (read into the worker's buffer); unconsumed ones are copied.
    case received(UnsafeRawBufferPointer)
    /// `count` bytes arrived straight into `reserveInput()`'s space.
    case receivedIntoInput(count: Int)
    /// `reserveInput()` found no space: the request head is too large.
    case inputBufferFull
    /// The client closed its side (read returned 0).
    case inputEnded
    /// A `.probeInput` read found nothing waiting.
    case noInput
    /// `count` bytes of `context.output` were sent (0 when the socket took none).
    case sent(Int)
    /// `count` bytes of `pendingOutput` were sent.
    case sentPending(Int)
    /// The socket can take more output (EPOLLOUT).
    case writable
    /// The answer to `.measureSendQueue`: bytes in the socket's send queue.
    case sendQueue(bytes: Int)
    /// The clock passed `deadline`.
    case deadlinePassed
    /// The server is shutting down: finish what is in flight, take no new requests.
    case shutdown
    /// A read or write failed (reset, broken pipe, ...).
    case failed
}

/// What the I/O layer must do next for a connection.
enum ConnectionAction: Equatable {
    /// Wait for input (EPOLLIN), then read and report `.received`.
    case read
    /// Send `context.output` now and report `.sent`.
    case send
    /// Send `pendingOutput` now and report `.sentPending`.
    case sendPending
    /// Wait until the socket can take more (EPOLLOUT), then report `.writable`.
    case waitForWritable
    /// Read the socket's send queue length (SIOCOUTQ) and report `.sendQueue`.
    case measureSendQueue
    /// Read once without waiting: report `.received`, `.inputEnded` or `.noInput`.
    case probeInput
    /// Shut down our sending side, then wait for input (EPOLLIN) and report it (lingering close).
    case shutdownOutput
    /// Close the socket.
    case close
    /// Nothing changes: keep waiting for what was waited for.
    case keepWaiting
}

/// One connection's life, as a pure state machine: no system calls, time passed in.
/// The I/O layer (`Worker`) reports events and carries out the actions.
struct ConnectionStateMachine: ~Copyable {
    /// Where the connection is in its life; decides what `deadline` means.
    enum State: Equatable {
        /// Between requests (or freshly accepted): the idle timeout (the head timeout when fresh).
        case awaitingRequest
        /// Part of a request head has arrived: the head timeout, counted from its first byte.
        case readingHead
        /// A request body is being read (and discarded): the body timeout.
        case readingBody(continueSent: Bool)
        /// The last response is queued; the connection closes once it is sent. With `linger`
        /// (after an error), unread input is always drained before closing.
        case closing(linger: Bool)
        /// Our side is shut down; input is drained until the client closes or `linger` passes.
        case lingering
    }

    /// Most response bytes produced per event: a pipelining client's further requests wait
    /// in `input` until the output is on its way (bounds our own buffer per connection).
    static let outputPerEvent = 32 * 1024
    /// Stop taking requests while our unsent output plus the socket's send queue (SIOCOUTQ)
    /// would exceed this (a client that pipelines and never reads cannot make us queue more).
    static let unsentOutputBound = 128 * 1024
    /// `TCP_NOTSENT_LOWAT` on every socket: the kernel takes no more output while this much is
    /// unsent (send returns EAGAIN) and reports EPOLLOUT only below it.
    static let kernelUnsentBound = 32 * 1024

    let timeouts: ConnectionTimeouts
    private(set) var state = State.awaitingRequest
    /// Monotonic milliseconds after which `.deadlinePassed` applies.
    private(set) var deadline: Int64
    private var bodyDeadline: Int64 = 0
    private var parser: RequestParser
    private var stopping = false
    /// Complete requests wait in `input` because `outputPerEvent` was reached.
    private(set) var inputAwaitsProcessing = false
    /// Unparsed bytes (an incomplete request, or requests held back by `outputPerEvent`).
    /// Empty in the common case: requests are parsed straight from the worker's read buffer.
    private(set) var input = ByteBuffer()
    /// Response bytes the socket did not take yet (backpressure: no reading meanwhile).
    private(set) var pendingOutput = OutputBuffer()

    init(limits: RequestLimits, timeouts: ConnectionTimeouts, now: Int64) {
        self.timeouts = timeouts
        parser = RequestParser(limits: limits)
        // A fresh connection gets the head timeout: an idle stranger holds no socket for long.
        deadline = now + timeouts.head
    }

    /// True when the next read should go into `reserveInput()` rather than the worker's buffer.
    var hasBufferedInput: Bool { !input.isEmpty }

    /// Space at the end of `input` for the next read, within the head-size limit; nil when full.
    mutating func reserveInput() -> UnsafeMutableRawBufferPointer? {
        guard input.reserveWritable(1024, maximumCapacity: parser.limits.headBufferBytes + 4096) else { return nil }
        return UnsafeMutableRawBufferPointer(start: input.writablePointer, count: input.writableCount)
    }

    /// The bytes to send for `.sendPending`.
    var pendingBytes: UnsafeRawBufferPointer { pendingOutput.readableBytes }

    mutating func handle(_ event: ConnectionEvent, in context: inout ConnectionContext) -> ConnectionAction {
        switch event {
        case .received(let bytes):
            switch state {
            case .lingering:
                return .read  // drained and dropped
            case .closing:
                // Input was waiting when we meant to close: closing now would send a reset
                // that can destroy the response before the client reads it.
                return startLingering(context.now)
            default:
                let consumed = process(bytes, in: &context)
                if consumed < bytes.count {
                    input.append(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
                }
                return afterProcessing(&context)
            }
        case .receivedIntoInput(let count):
            input.didWrite(count)
            if case .lingering = state { input.clear(); return .read }
            return processInput(&context)
        case .inputBufferFull:
            return fail(.headerFieldsTooLarge, in: &context)
        case .inputEnded:
            return .close  // the client closed: nothing is owed
        case .noInput:
            // An idle keep-alive connection at shutdown: its client may send the next request
            // any moment, and one that crosses our FIN goes unanswered. Give it a last call (up
            // to the linger time) to send one more, answered with `Connection: close`; a client
            // still silent then gets the lingering close (FIN, then drain), so it meets no reset.
            if stopping && state == .awaitingRequest {
                deadline = context.now + timeouts.linger
                return .read
            }
            return .close  // nothing is left to drain after a `Connection: close` response
        case .sent(let count):
            let total = context.output.readableCount
            if count < total {
                pendingOutput.append(UnsafeRawBufferPointer(rebasing: context.output.readableBytes[count...]))
            }
            context.output.clear()
            return afterOutputSent(context.now)
        case .sentPending(let count):
            pendingOutput.consume(count)
            if pendingOutput.isEmpty && state == .awaitingRequest {
                deadline = context.now + timeouts.idle
            }
            return afterOutputSent(context.now)
        case .writable:
            if !pendingOutput.isEmpty { return .sendPending }
            return processInput(&context)  // the send queue went below the bound again
        case .sendQueue(let bytes):
            // Only when the output of one more event still fits under the bound.
            if bytes + pendingOutput.readableCount + ConnectionStateMachine.outputPerEvent > ConnectionStateMachine.unsentOutputBound {
                deadline = context.now + timeouts.write
                return .waitForWritable
            }
            return processInput(&context)
        case .deadlinePassed:
            guard context.now >= deadline else { return .keepWaiting }
            return timedOut(in: &context)
        case .shutdown:
            guard !stopping else { return .keepWaiting }
            stopping = true
            // Idle: a request already in the kernel is answered (with `Connection: close`);
            // closing with it unread would send a reset. Without one, `.noInput` lingers.
            if state == .awaitingRequest && pendingOutput.isEmpty && !inputAwaitsProcessing { return .probeInput }
            return .keepWaiting
        case .failed:
            context.output.clear()
            return .close
        }
    }

    // MARK: Requests

    /// Parses every complete request in `bytes` (up to `outputPerEvent` of responses),
    /// appending the responses to `context.output`. Returns how many bytes are done with;
    /// the rest belong to an incomplete request or wait for the output to drain.
    private mutating func process(_ bytes: UnsafeRawBufferPointer, in context: inout ConnectionContext) -> Int {
        var offset = 0
        var completedRequests = 0
        parsing: while true {
            if completedRequests > 0 && offset < bytes.count && context.output.readableCount >= ConnectionStateMachine.outputPerEvent {
                inputAwaitsProcessing = true
                break parsing
            }
            switch parser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...])) {
            case .needMore(let consumed):
                offset += consumed
                if parser.isReadingBody {
                    if case .readingBody(let continueSent) = state {
                        if !continueSent && parser.currentHead.expectsContinue {
                            context.responses.appendContinue(to: &context.output)
                            state = .readingBody(continueSent: true)
                        }
                    } else {
                        bodyDeadline = context.now + timeouts.body
                        let sendContinue = parser.currentHead.expectsContinue
                        if sendContinue { context.responses.appendContinue(to: &context.output) }
                        state = .readingBody(continueSent: sendContinue)
                    }
                }
                break parsing
            case .complete(let head, let consumed):
                offset += consumed
                completedRequests += 1
                let keepAlive = head.keepAlive && !stopping
                let kind: ResponseCache.Kind = keepAlive ? (head.minorVersion == 0 ? .keepAliveHTTP10 : .keepAlive) : .close
                context.responses.append(for: head.method, kind: kind, to: &context.output)
                state = .readingHead  // settled below
                if !keepAlive {
                    state = .closing(linger: false)
                    return bytes.count  // nothing after this request is read
                }
            case .failure(let status):
                context.responses.appendError(status, toHEAD: parser.failedRequestIsHead, to: &context.output)
                state = .closing(linger: true)
                input.clear()
                return bytes.count
            }
        }
        if offset == bytes.count && parser.isAtRequestBoundary {
            state = .awaitingRequest
            deadline = context.now + timeouts.idle
        } else if parser.isReadingBody {
            // The body deadline is total; between two reads, the head timeout also applies.
            deadline = min(bodyDeadline, context.now + timeouts.head)
        } else if state != .readingHead || completedRequests > 0 {
            // The head timeout counts from a request's first byte (here: this read, which
            // finished the previous request or began the first) and is not extended per byte.
            state = .readingHead
            deadline = context.now + timeouts.head
        }
        return offset
    }

    /// Continues with the requests waiting in `input`.
    private mutating func processInput(_ context: inout ConnectionContext) -> ConnectionAction {
        inputAwaitsProcessing = false
        if !input.isEmpty {
            let consumed = process(input.readableBytes, in: &context)
            input.consume(consumed)
            if case .closing = state { input.clear() }
            input.releaseIfEmpty()
        }
        return afterProcessing(&context)
    }

    private mutating func afterProcessing(_ context: inout ConnectionContext) -> ConnectionAction {
        if !context.output.isEmpty { return .send }
        return afterOutputSent(context.now)
    }

    /// After all output produced so far is sent (or kept in `pendingOutput`).
    private mutating func afterOutputSent(_ now: Int64) -> ConnectionAction {
        if !pendingOutput.isEmpty {
            deadline = now + timeouts.write
            return .waitForWritable
        }
        pendingOutput.releaseIfEmpty()
        switch state {
        case .closing(let linger):
            // Close at once when no unread input is waiting (close then sends a plain FIN);
            // after an error, always drain input first.
            return linger ? startLingering(now) : .probeInput
        case .awaitingRequest where stopping && !inputAwaitsProcessing:
            state = .closing(linger: false)
            return .probeInput
        case .lingering:
            return .read
        default:
            return inputAwaitsProcessing ? .measureSendQueue : .read
        }
    }

    private mutating func startLingering(_ now: Int64) -> ConnectionAction {
        state = .lingering
        deadline = now + timeouts.linger
        inputAwaitsProcessing = false
        input.clear()
        input.releaseIfEmpty()
        return .shutdownOutput
    }

    /// True when the request an error answers is a HEAD (parsed, or its first bytes say so).
    private var currentRequestIsHead: Bool {
        parser.isReadingBody ? parser.currentHead.method == .head : RequestParser.startsWithHEAD(input.readableBytes)
    }

    private mutating func fail(_ status: HTTPErrorStatus, in context: inout ConnectionContext) -> ConnectionAction {
        context.responses.appendError(status, toHEAD: currentRequestIsHead, to: &context.output)
        state = .closing(linger: true)
        input.clear()
        input.releaseIfEmpty()
        return .send
    }

    private mutating func timedOut(in context: inout ConnectionContext) -> ConnectionAction {
        if !pendingOutput.isEmpty || inputAwaitsProcessing { return .close }  // the client does not read
        switch state {
        case .readingHead:
            // Tell a slow client why (RFC 9110 §15.5.9), then close.
            context.responses.appendError(.requestTimeout, toHEAD: currentRequestIsHead, to: &context.output)
            state = .closing(linger: false)
            input.clear()
            input.releaseIfEmpty()
            return .send
        case .readingBody:
            return fail(.requestTimeout, in: &context)  // the client is mid-body: drain it
        case .awaitingRequest where stopping:
            return startLingering(context.now)  // the last call at shutdown brought no request
        case .awaitingRequest, .closing, .lingering:
            return .close
        }
    }
}
