import OCIModel
import ContainerImage
import Foundation
import OCIRegistry

/// Ctrl-C, `kill` or a closed terminal while outputs are being written: first stop the work
/// (`PendingOutputs` closes, so nothing new can be created and every write loop throws), then
/// remove every temporary this run created, then exit the way the signal would have
/// (128 + signal number: 130 for SIGINT, 143 for SIGTERM). Outputs are committed under the same
/// lock, so an interrupt sees all of them in place or none.
///
/// The signal handler only writes the signal number to a pipe (async-signal-safe); one dedicated
/// thread reads it and cleans up. No dispatch or Swift-concurrency worker is needed to react, so
/// the exit stays prompt even while every worker is busy compressing or writing.
/// Returns the thread; keep it for the life of the process.
func installInterruptCleanup() -> Thread {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { fatalError("cannot create the interrupt pipe: \(String(cString: strerror(errno)))") }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    interruptPipeWriteEnd = fds[1]
    let readEnd = fds[0]
    let thread = Thread {
        var received: Int32 = 0
        while withUnsafeMutableBytes(of: &received, { read(readEnd, $0.baseAddress, 4) }) != 4 {}
        RunningCredentialHelpers.shared.terminateAll()
        RunningContainers.shared.stopAndRemoveAll()
        PendingOutputs.shared.closeAndRemoveAll()
        _exit(128 + received)
    }
    thread.name = "interrupt-cleanup"
    thread.start()
    for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signalNumber in
            var number = signalNumber
            _ = withUnsafeBytes(of: &number) { write(interruptPipeWriteEnd, $0.baseAddress, 4) }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(signalNumber, &action, nil)
    }
    return thread
}

/// Written once before the handlers are installed, then only read (by the signal handler).
nonisolated(unsafe) private var interruptPipeWriteEnd: Int32 = -1
