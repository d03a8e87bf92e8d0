// containertool: the command line over the image library. The plugin and scripts/release.sh call it.
// Exit codes: 0 ok, 1 failure, 2 usage error.
import Foundation

let interruptSources = installInterruptCleanup()
let arguments = Array(CommandLine.arguments.dropFirst())
let status = await Dispatcher.run(arguments)
exit(status)
