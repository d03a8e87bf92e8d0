/// `containertool build` (not implemented yet).
enum BuildCommand {
    static func run(_ arguments: [String]) async -> Int32 {
        printError("containertool build: not implemented yet")
        return ExitCode.failure
    }
}
