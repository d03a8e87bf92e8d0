// containertool: the command line over the image library. The plugin and scripts/release.sh call it.
// Exit codes: 0 ok, 1 failure, 2 usage error.
import Foundation

// A closed pipe (an engine's `load` that stopped reading, a plugin gone) is an EPIPE error where
// it happens, not a silent death of the whole process.
signal(SIGPIPE, SIG_IGN)
let interruptSources = installInterruptCleanup()
let arguments = Array(CommandLine.arguments.dropFirst())
let status = await Dispatcher.run(arguments)
exit(status)
