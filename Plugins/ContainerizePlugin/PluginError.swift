/// The plugin's errors; SwiftPM prints the description after `error:`.
enum PluginError: Error, CustomStringConvertible {
    case usage(String)
    case noExecutableProduct(package: String)
    case severalExecutableProducts([String])
    case unknownProduct(String, executables: [String])
    case notExecutable(String, executables: [String])
    case buildFailed(product: String, log: String)
    case embeddedBuildFailed(product: String, firstError: String?, log: String)
    case builtBinaryMissing(product: String)
    case toolFailed(command: String, status: Int32)
    case toolReported(String)
    case unreadableToolOutput(String)

    var description: String {
        switch self {
        case let .usage(message):
            return "\(message)\nRun `swift package containerize --help` for the options."
        case let .noExecutableProduct(package):
            return "package '\(package)' has no executable product to containerize; add an .executable product to Package.swift"
        case let .severalExecutableProducts(names):
            return "the package has several executable products; choose one with --product NAME:\n"
                + names.map { "  \($0)" }.joined(separator: "\n")
        case let .unknownProduct(name, executables):
            return "no product named '\(name)'; executable products: \(executables.joined(separator: ", "))"
        case let .notExecutable(name, executables):
            return "'\(name)' is not an executable product (only executables can run in a container); "
                + "executable products: \(executables.joined(separator: ", "))"
        case let .buildFailed(product, log):
            return "building '\(product)' failed:\n\(log)"
        case let .embeddedBuildFailed(product, firstError, log):
            return "building '\(product)' as Embedded Swift failed:\n\(log)\n"
                + "first compiler error: \(firstError ?? "(none found in the log)")\n"
                + "hint: Embedded Swift has no Foundation, no existentials (`any P`) and no reflection; "
                + "drop --embedded to build '\(product)' with the standard Swift runtime."
        case let .builtBinaryMissing(product):
            return "the build succeeded but reported no executable named '\(product)'"
        case let .toolFailed(command, status):
            return "`\(command)` failed with exit status \(status) (see its message on standard error)"
        case let .toolReported(message):
            return message
        case let .unreadableToolOutput(output):
            return "could not read containertool's JSON result:\n\(output)"
        }
    }
}
