// containertool: the command line over the image library. The plugin and scripts/release.sh call it.
// Exit codes: 0 ok, 1 failure, 2 usage error.
import ContainerImage
import Dispatch
import Foundation

// Ctrl-C or `kill` while an output is being written: remove the temporary files, then exit
// the way a signal would (128 + signal number). Nothing partial is left behind.
let interruptSources = [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler {
        PendingOutputs.shared.removeAll()
        exit(128 + signalNumber)
    }
    source.resume()
    return source
}

let arguments = Array(CommandLine.arguments.dropFirst())
let status = await Dispatcher.run(arguments)
exit(status)
