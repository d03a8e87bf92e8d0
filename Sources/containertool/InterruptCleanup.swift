import ContainerImage
import Dispatch
import Foundation

/// Ctrl-C, `kill` or a closed terminal while an output is being written: remove the temporary
/// files, then exit the way the signal would have (128 + signal number). Nothing partial is left.
/// Returns the signal sources; keep them alive for the life of the process.
func installInterruptCleanup() -> [any DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        // Not main-actor code: the handler runs on a global queue while the build is busy.
        source.setEventHandler { @Sendable in
            PendingOutputs.shared.removeAll()
            exit(128 + signalNumber)
        }
        source.resume()
        return source
    }
}
