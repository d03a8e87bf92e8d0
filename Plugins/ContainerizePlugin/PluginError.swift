/// The plugin's errors, one line each; SwiftPM prints the description after `error:`.
enum PluginError: Error, CustomStringConvertible {
    case noExecutableProduct(package: String)
    case severalExecutableProducts([String])
    case unknownProduct(String, executables: [String])
    case notExecutable(String, executables: [String])
    case buildFailed(String)
    case builtBinaryMissing(path: String)
    case toolReported(String)
    case unreadableToolOutput(String)
    case releaseFailed(String)

    var description: String {
        switch self {
        case let .noExecutableProduct(package):
            return "package '\(package)' has no executable product to containerize; add an .executable product to Package.swift"
        case let .severalExecutableProducts(names):
            return "the package has several executable products (\(names.joined(separator: ", "))); choose one with --product NAME"
        case let .unknownProduct(name, executables):
            return "no product named '\(name)'; executable products: \(executables.joined(separator: ", "))"
        case let .notExecutable(name, executables):
            return "'\(name)' is not an executable product (only executables can run in a container); "
                + "executable products: \(executables.joined(separator: ", "))"
        case let .buildFailed(message):
            return message
        case let .builtBinaryMissing(path):
            return "the build succeeded but wrote no executable at \(path)"
        case let .toolReported(message):
            return message
        case let .unreadableToolOutput(output):
            return "could not read containertool's JSON result: \(output)"
        case let .releaseFailed(message):
            return "release: \(message)"
        }
    }
}
