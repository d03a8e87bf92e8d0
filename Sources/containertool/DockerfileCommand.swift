/// `containertool dockerfile` (not implemented yet).
enum DockerfileCommand {
    static func run(_ arguments: [String]) async -> Int32 {
        printError("containertool dockerfile: not implemented yet")
        return ExitCode.failure
    }
}
