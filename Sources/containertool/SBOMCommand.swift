/// `containertool sbom` (not implemented yet).
enum SBOMCommand {
    static func run(_ arguments: [String]) async -> Int32 {
        printError("containertool sbom: not implemented yet")
        return ExitCode.failure
    }
}
