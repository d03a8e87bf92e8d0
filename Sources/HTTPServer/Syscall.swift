internal import CPOSIX

/// The outcome of one system call, with errno read once, right after the call.
enum SyscallResult: Equatable {
    /// The call succeeded with this (non-negative) return value.
    case success(Int)
    /// A non-blocking descriptor has nothing to give or take now (EAGAIN/EWOULDBLOCK).
    case wouldBlock
    /// The call failed with this errno value.
    case failure(Int32)
}

/// Runs `call` (a system call that returns -1 and sets errno on failure), retrying EINTR
/// here, in one place, so no call site has to (the shape of NIO's `syscall` wrapper).
@inline(__always)
func syscall(_ call: () -> Int) -> SyscallResult {
    while true {
        let result = call()
        if result >= 0 { return .success(result) }
        let code = cposix_errno()
        if code == EINTR { continue }
        if code == EAGAIN { return .wouldBlock }  // EWOULDBLOCK is the same value on Linux
        return .failure(code)
    }
}

/// The socket calls the worker makes, each through `syscall`.
enum Socket {
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawPointer?, count: Int) -> SyscallResult {
        syscall { recv(fd, buffer, count, 0) }
    }

    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> SyscallResult {
        syscall { CPOSIX.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    static func accept(_ listener: Int32) -> SyscallResult {
        syscall { Int(cposix_accept(listener)) }
    }

    static func shutdownOutput(_ fd: Int32) {
        _ = syscall { Int(CPOSIX.shutdown(fd, Int32(SHUT_WR))) }
    }

    /// Bytes in the socket's send queue, not yet acknowledged by the peer (SIOCOUTQ).
    static func sendQueueBytes(_ fd: Int32) -> Int? {
        var count: Int32 = 0
        guard case .success = syscall({ Int(cposix_send_queue_bytes(fd, &count)) }) else { return nil }
        return Int(count)
    }
}

/// A connected socket as `ConnectionDriver` uses it: each call through `Socket`.
struct SocketConnectionIO: ConnectionIO {
    let fd: Int32

    func receive(into buffer: UnsafeMutableRawBufferPointer) -> SyscallResult {
        Socket.receive(fd, into: buffer.baseAddress, count: buffer.count)
    }

    func send(_ bytes: UnsafeRawBufferPointer) -> SyscallResult { Socket.send(fd, bytes) }
    func shutdownOutput() { Socket.shutdownOutput(fd) }
    func sendQueueBytes() -> Int? { Socket.sendQueueBytes(fd) }
}

/// The other descriptor calls the server makes: closing, and the eventfd that wakes a worker.
enum Descriptor {
    /// Closes `fd`. EINTR is not retried: on Linux the descriptor is released even then, and a retry
    /// could close a number another thread has just been given.
    static func close(_ fd: Int32) {
        _ = systemClose(fd)
    }

    /// Adds `value` to an eventfd's counter (what wakes the worker waiting on it); EINTR retried.
    static func signal(_ fd: Int32, _ value: UInt64) {
        var value = value
        _ = syscall { write(fd, &value, 8) }
    }

    /// Reads and resets an eventfd's counter (0 when nothing was signalled).
    static func takeCounter(_ fd: Int32) -> UInt64 {
        var value: UInt64 = 0
        _ = syscall { read(fd, &value, 8) }
        return value
    }
}

/// libc's close, named so that `Descriptor.close` does not call itself.
@inline(__always)
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }

/// The epoll calls the worker makes, each through `syscall`, with typed tokens and interests.
struct Epoll {
    let fd: Int32

    @discardableResult
    func add(_ target: Int32, _ interest: Interest, _ token: EpollToken) -> SyscallResult {
        syscall { Int(cposix_epoll_add(fd, target, interest.epollEvents, token.rawValue)) }
    }

    @discardableResult
    func modify(_ target: Int32, _ interest: Interest, _ token: EpollToken) -> SyscallResult {
        syscall { Int(cposix_epoll_modify(fd, target, interest.epollEvents, token.rawValue)) }
    }

    @discardableResult
    func remove(_ target: Int32) -> SyscallResult {
        syscall { Int(cposix_epoll_remove(fd, target)) }
    }

    /// Waits up to `timeout` milliseconds; returns how many events are in `events` (0 when
    /// interrupted: the loop comes round again).
    func wait(_ events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeout: Int32) -> Int {
        let count = epoll_wait(fd, events, capacity, timeout)  // not retried: an EINTR just ends this wait
        return max(0, Int(count))
    }
}
