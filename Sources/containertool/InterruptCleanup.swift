import ContainerImage
import Dispatch
import Foundation

/// Ctrl-C, `kill` or a closed terminal while outputs are being written: first stop the work
/// (`PendingOutputs` closes, so nothing new can be created and every write loop throws), then
/// remove every temporary this run created, then exit the way the signal would have
/// (128 + signal number: 130 for SIGINT, 143 for SIGTERM). Outputs are committed under the same
/// lock, so an interrupt sees all of them in place or none.
/// Returns the signal sources; keep them alive for the life of the process.
func installInterruptCleanup() -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        // Not main-actor code: the handler runs on a global queue while the build is busy.
        source.setEventHandler { @Sendable in
            PendingOutputs.shared.closeAndRemoveAll()
            _exit(128 + signalNumber)
        }
        source.resume()
        return source
    }
}
