import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished subprocess left: its exit status and everything it printed.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var stdoutBytes: [UInt8]
}

/// A subprocess ran past its timeout and was killed.
public struct ProcessTimedOut: Error, CustomStringConvertible {
    public var command: [String]
    public var seconds: Double
    public var description: String {
        "\(command.joined(separator: " ")) did not finish within \(seconds) s and was killed; look for a hang or raise the timeout"
    }
}

/// Runs `executable` (an absolute path, or a name looked up on PATH through /usr/bin/env, so a
/// missing tool exits 127) to completion and captures its output.
///
/// stdout and stderr are read together in one `poll` loop, so a child that fills one pipe while
/// the test waits on the other cannot deadlock. Past `timeout` seconds the child is killed
/// (SIGKILL) and `ProcessTimedOut` is thrown; a grandchild that keeps a pipe open cannot hold the
/// test either, because the loop stops at the deadline.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil,
                       environment: [String: String]? = nil, input: [UInt8]? = nil,
                       timeout: Double = 600) throws -> ProcessResult {
    let process = Process()
    if executable.hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if let environment { process.environment = environment }
    let stdoutPipe = Pipe(), stderrPipe = Pipe()
    process.standardOutput = stdoutPipe
    process.standardError = stderrPipe
    let stdinPipe = input.map { _ in Pipe() }
    process.standardInput = stdinPipe ?? FileHandle.nullDevice
    try process.run()
    // Our copies of the write ends must go, or the read ends never see end-of-file.
    try? stdoutPipe.fileHandleForWriting.close()
    try? stderrPipe.fileHandleForWriting.close()
    if let input, let stdinPipe {
        // Written on its own thread: a child that answers before reading all its input must not
        // block against us.
        let writer = stdinPipe.fileHandleForWriting
        let bytes = Data(input)
        Thread.detachNewThread {
            // A child that exits without reading everything must give this write EPIPE, not kill
            // the test process: SIGPIPE is blocked on this thread only (it dies with the thread).
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            try? writer.write(contentsOf: bytes)
            try? writer.close()
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    let (out, err, finished, reachedEndOfFile) = drain(stdoutPipe.fileHandleForReading.fileDescriptor,
                                     stderrPipe.fileHandleForReading.fileDescriptor, until: deadline,
                                     childExited: { exitStatus(of: process) != nil })
    guard finished, let status = waitForExit(process, until: deadline) else {
        kill(process.processIdentifier, SIGKILL)
        throw ProcessTimedOut(command: [executable] + arguments, seconds: timeout)
    }
    // Foundation releases the pipes only once it has seen the exit, which it never does here (no run
    // loop, no waitUntilExit): without this, every call leaks two descriptors, and a suite of
    // thousands of runs reaches descriptor numbers past FD_SETSIZE, where Process.run itself crashes.
    // Only at end-of-file on both, so no writer is left: a daemon the child started that still holds
    // the pipe keeps it (closing under it would kill it with SIGPIPE at its next write).
    if reachedEndOfFile {
        try? stdoutPipe.fileHandleForReading.close()
        try? stderrPipe.fileHandleForReading.close()
    }
    return ProcessResult(status: status, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self), stdoutBytes: out)
}

/// The child's exit status (or the signal that ended it) once it has exited, else nil.
///
/// Not `Process.isRunning`: Foundation learns of the exit when a descriptor the child inherited is
/// closed, and a daemon the child started keeps it open, so `isRunning` stays true for as long as
/// the daemon lives. `waitid(WNOWAIT)` reads the status without reaping, so Foundation still can.
private func exitStatus(of process: Process) -> Int32? {
    if !process.isRunning { return process.terminationStatus }
    var info = siginfo_t()
    guard waitid(P_PID, id_t(process.processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
          info._sifields._sigchld.si_pid == process.processIdentifier else {
        return process.isRunning ? nil : process.terminationStatus // reaped by Foundation meanwhile
    }
    return info._sifields._sigchld.si_status
}

/// Reads both descriptors until both reach end-of-file (`reachedEndOfFile`), or the child has exited
/// and nothing more arrives for a moment (a daemon it started may hold the pipes open for ever):
/// `finished`. Stops unfinished at the deadline.
private func drain(_ stdout: Int32, _ stderr: Int32, until deadline: Date,
                   childExited: () -> Bool) -> (stdout: [UInt8], stderr: [UInt8], finished: Bool, reachedEndOfFile: Bool) {
    var collected: [[UInt8]] = [[], []]
    var open = [true, true]
    let descriptors = [stdout, stderr]
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while open.contains(true) {
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { return (collected[0], collected[1], false, false) }
        var fds = descriptors.enumerated().filter { open[$0.offset] }
            .map { pollfd(fd: $0.element, events: Int16(POLLIN), revents: 0) }
        let exited = childExited()
        let ready = poll(&fds, nfds_t(fds.count), exited ? 200 : Int32(min(remaining, 1) * 1000) + 1)
        if ready < 0 && errno != EINTR { return (collected[0], collected[1], false, false) }
        if ready == 0 && exited { return (collected[0], collected[1], true, false) } // what the child wrote before it exited is all read
        guard ready > 0 else { continue }
        for entry in fds where entry.revents != 0 {
            let index = entry.fd == stdout ? 0 : 1
            let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
            if count > 0 {
                collected[index] += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                open[index] = false
            }
        }
    }
    return (collected[0], collected[1], true, true)
}

/// Waits for the child to exit, at most until the deadline; its status, or nil at the deadline.
private func waitForExit(_ process: Process, until deadline: Date) -> Int32? {
    while true {
        if let status = exitStatus(of: process) { return status }
        if Date() >= deadline { return nil }
        usleep(2_000)
    }
}
