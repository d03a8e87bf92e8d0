import ContainerImage

/// The command-line hints the library's messages leave out (they name no flags): which
/// `containertool build` option fixes the problem.
enum BuildHints {
    static func hint(for error: any Error) -> String {
        switch error {
        case ImageBuildError.notStatic: return " (containertool: --bundle-shared-libraries)"
        case ImageBuildError.resourceNotFound: return " (containertool: --resource SRC[:DEST])"
        case ImageBuildError.noCABundle: return " (containertool: drop --ca-certificates or pass --resource FILE:/etc/ssl/certs/ca-certificates.crt)"
        case ImageBuildError.duplicatePath, ImageBuildError.fileIsParent, ImageBuildError.throughSymlink, ImageBuildError.whiteoutName:
            return " (containertool: see --name and --resource SRC[:DEST])"
        default: return ""
        }
    }
}

extension BuildHints {
    /// A build error with its command-line hint appended, for the dispatcher's one error path.
    struct Hinted: Error, CustomStringConvertible {
        var error: any Error
        init(_ error: any Error) { self.error = error }
        var description: String { "\(error)\(BuildHints.hint(for: error))" }
    }
}
