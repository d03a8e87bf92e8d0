internal import CPOSIX

/// A static HTTP/1.1 server: answers every `GET` with `ServerConfiguration.response`.
public enum HTTPServer {
    /// Binds the listening sockets and starts the worker threads. Returns once the server
    /// accepts connections; bind problems (port in use, bad host) are thrown here.
    public static func start(_ configuration: ServerConfiguration) throws(ServerError) -> RunningServer {
        let threads = configuration.threads ?? SystemResources.availableProcessorCount()
        guard threads >= 1 && threads <= 1024 else {
            throw .invalidConfiguration("threads must be between 1 and 1024 (got \(threads))")
        }
        guard configuration.headTimeoutMilliseconds > 0, configuration.idleTimeoutMilliseconds > 0,
              configuration.shutdownTimeoutMilliseconds >= 0, configuration.lingerTimeoutMilliseconds >= 0,
              configuration.bodyTimeoutMilliseconds > 0
        else {
            throw .invalidConfiguration("timeouts must be positive")
        }
        guard configuration.limits.bodyBytes >= 0 else {
            throw .invalidConfiguration("the maximum body size must not be negative")
        }
        let addresses = try ListenAddress.resolve(configuration.host)
        let (sockets, port) = try Listener.openAll(addresses: addresses, port: configuration.port, workerCount: threads)
        var bound: [String] = []
        for address in addresses where bound.count < sockets[0].count {
            bound.append(address.display)
        }
        var workers: [Worker] = []
        for index in 0..<threads {
            do {
                workers.append(try Worker(configuration: configuration, listeners: sockets[index]))
            } catch {
                for list in sockets[index...] { for fd in list { Descriptor.close(fd) } }
                for worker in workers { Descriptor.close(worker.wakeFD) }
                throw error
            }
        }
        let server = RunningServer(port: port, addresses: bound, workers: workers)
        try server.startThreads()
        return server
    }
}

/// A started server. Call `shutdown()` to stop it gracefully and `wait()` to join it;
/// releasing the last reference does both.
public final class RunningServer: @unchecked Sendable {
    /// The port the server listens on (the chosen one when 0 was configured).
    public let port: Int
    /// The addresses bound, for display (e.g. `0.0.0.0`, `[::]`).
    public let addresses: [String]
    /// The number of worker threads.
    public var threadCount: Int { wakeFDs.count }

    private var workers: [Worker]
    private let wakeFDs: [Int32]
    private var threads: [pthread_t] = []

    init(port: Int, addresses: [String], workers: [Worker]) {
        self.port = port
        self.addresses = addresses
        self.workers = workers
        self.wakeFDs = workers.map { $0.wakeFD }
    }

    func startThreads() throws(ServerError) {
        for worker in workers {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(worker).toOpaque()
            let result = cposix_thread_start(&thread, { context in
                let worker = Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue()
                worker.run()
                return nil
            }, context)
            if result != 0 {
                Unmanaged<Worker>.fromOpaque(context).release()
                shutdown()
                wait()
                throw .threadStartFailed(code: result)
            }
            threads.append(thread)
        }
        workers = []  // each thread owns its worker now
    }

    /// Starts a graceful shutdown: stop accepting, close idle connections, finish requests
    /// and responses in flight (up to `shutdownTimeoutMilliseconds`). Returns at once.
    /// Safe to call from any thread, more than once.
    public func shutdown() {
        for fd in wakeFDs { Descriptor.signal(fd, 1) }
    }

    /// Ends a shutdown's drain at once: every connection still open is closed (a second
    /// SIGTERM/SIGINT). Starts the shutdown if it has not started. Safe from any thread.
    public func stopNow() {
        for fd in wakeFDs { Descriptor.signal(fd, Worker.stopNowValue) }
    }

    /// Blocks until every worker has finished (after `shutdown()`). Call it from one thread.
    public func wait() {
        for thread in threads { pthread_join(thread, nil) }
        threads = []
    }

    deinit {
        shutdown()
        wait()
        for fd in wakeFDs { Descriptor.close(fd) }
    }
}
