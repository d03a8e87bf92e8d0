import CPOSIX
import HTTPServer

/// Writes straight to a file descriptor: stdout may be a pipe, where stdio would buffer
/// the start-up line until exit.
func writeLine(_ text: String, to fd: Int32) {
    var line = text
    line += "\n"
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

func commandLineArguments() -> [String] {
    var arguments: [String] = []
    let count = Int(cposix_argument_count())
    if count > 1 {
        for index in 1..<count {
            if let argument = cposix_argument(Int32(index)) { arguments.append(String(cString: argument)) }
        }
    }
    return arguments
}

/// A second SIGTERM/SIGINT during the drain ends it at once (an operator's second Ctrl-C, an
/// orchestrator that will not wait): a thread waits for it while the main thread joins the
/// workers; the process exits when they are done, taking this thread with it.
func watchForSecondSignal(_ server: RunningServer) {
    var thread = pthread_t()
    let context = Unmanaged.passRetained(server).toOpaque()
    let result = cposix_thread_start(&thread, { context in
        let server = Unmanaged<RunningServer>.fromOpaque(context!).takeRetainedValue()
        _ = cposix_wait_termination_signal()
        server.stopNow()
        return nil
    }, context)
    if result != 0 { Unmanaged<RunningServer>.fromOpaque(context).release() }
}

func runHelloWeb() -> Int32 {
    let environmentPort = getenv("PORT").map { String(cString: $0) }
    let options: Options
    do {
        options = try Options.parse(commandLineArguments(), environmentPort: environmentPort)
    } catch {
        writeLine("HelloWeb: \(error.message)\nRun 'HelloWeb --help' for the options.", to: 2)
        return 2
    }
    if options.help {
        writeLine(Options.usage, to: 1)
        return 0
    }
    if options.healthcheck {
        let failure = HealthCheck.run(
            host: options.configuration.host, port: options.configuration.port,
            timeoutMilliseconds: options.healthcheckTimeoutMilliseconds)
        guard let failure else { return 0 }
        writeLine("HelloWeb --healthcheck: \(failure)", to: 2)
        return 1
    }

    // Before any thread starts, so every thread inherits the mask and the main thread is
    // the one that receives SIGTERM/SIGINT (also as PID 1 in a container).
    cposix_block_termination_signals()
    let server: RunningServer
    do {
        server = try HTTPServer.start(options.configuration)
    } catch {
        writeLine("HelloWeb: \(error.description)", to: 2)
        return 1
    }
    var addresses = ""
    for address in server.addresses {
        if !addresses.isEmpty { addresses += ", " }
        addresses += address + ":" + String(server.port)
    }
    let threads = server.threadCount == 1 ? "1 thread" : "\(server.threadCount) threads"
    writeLine("HelloWeb listening on \(addresses) (port \(server.port), \(threads))", to: 1)

    _ = cposix_wait_termination_signal()
    server.shutdown()
    watchForSecondSignal(server)
    server.wait()
    return 0
}

exit(runHelloWeb())
