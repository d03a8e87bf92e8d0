/// The one option parser of every `containertool` subcommand: `--name VALUE`, `--name=VALUE`,
/// repeatable options, boolean flags, positionals and `--help`. A subcommand declares its options;
/// the parser never guesses, so a value that starts with `--` (`--cmd --port=9000`) stays a value.
struct CommandLineParser: Sendable {
    /// Options that take a value (`--tag x`) and flags that don't (`--json`).
    var valueOptions: Set<String>
    var flags: Set<String>
    var maximumPositionals = 0

    struct Result {
        var values: [String: [String]] = [:]
        var flags: Set<String> = []
        var positionals: [String] = []
        var wantsHelp = false

        func last(_ option: String) -> String? { values[option]?.last }
        func all(_ option: String) -> [String] { values[option] ?? [] }
        func has(_ flag: String) -> Bool { flags.contains(flag) }
    }

    func parse(_ arguments: [String]) throws(UsageError) -> Result {
        var result = Result()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                result.wantsHelp = true
                continue
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                guard result.positionals.count < maximumPositionals else { throw UsageError("unexpected argument '\(argument)'") }
                result.positionals.append(argument)
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if flags.contains(name) {
                guard inlineValue == nil else { throw UsageError("\(name) takes no value") }
                result.flags.insert(name)
            } else if valueOptions.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw UsageError("\(name) needs a value") }
                    value = arguments[index]
                    index += 1
                }
                result.values[name, default: []].append(value)
            } else {
                throw UsageError("unknown option '\(name)'")
            }
        }
        return result
    }

    /// The option table as JSON (`containertool build --describe-options`), so the plugin can pass
    /// options it does not know through to the tool without re-declaring them.
    var optionTable: ToolContract.OptionTable {
        ToolContract.OptionTable(valueOptions: valueOptions.sorted(), flags: flags.sorted())
    }
}

/// A command-line mistake: the dispatcher prints it with the subcommand's usage line, exit code 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A failure the subcommand has already reported on standard error (e.g. `digest` with one unreadable
/// file among several): the dispatcher only turns it into exit code 1.
struct AlreadyReported: Error {}
