/// `containertool inspect` (not implemented yet).
enum InspectCommand {
    static func run(_ arguments: [String]) async -> Int32 {
        printError("containertool inspect: not implemented yet")
        return ExitCode.failure
    }
}
