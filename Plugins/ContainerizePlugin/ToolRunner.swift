import Foundation

/// Runs `containertool` as a child process; its stderr (progress, errors) goes straight to ours.
enum ToolRunner {
    /// Runs the tool and returns its standard output; throws if it exits non-zero.
    static func run(_ tool: URL, _ arguments: [String], verbose: Bool) throws -> String {
        if verbose {
            printError("+ " + ([tool.path] + arguments).map(shellQuoted).joined(separator: " "))
        }
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: data, as: UTF8.self)
            if !text.isEmpty { printError(text) }
            throw PluginError.toolFailed(
                command: "containertool " + arguments.map(shellQuoted).joined(separator: " "),
                status: process.terminationStatus)
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func shellQuoted(_ argument: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")
        if !argument.isEmpty, argument.allSatisfy(safe.contains) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Progress and errors go to standard error; the summary goes to standard output.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
}
