import Foundation

/// Runs `containertool` as a child process.
enum ToolRunner {
    /// Runs the tool and returns its standard output.
    ///
    /// - Parameter streamProgress: true to pass the tool's stderr (progress lines) straight through;
    ///   false to collect it, so a failure becomes one error carrying the tool's own message.
    static func run(_ tool: URL, _ arguments: [String], streamProgress: Bool, verbose: Bool) throws -> String {
        let commandLine = "containertool " + arguments.map(shellQuoted).joined(separator: " ")
        if verbose { printError("+ " + commandLine) }
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        // Collected stderr goes to a file, not a second pipe: reading two pipes in turn can deadlock.
        let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("containerize-\(UUID().uuidString).log")
        if !streamProgress {
            _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errorLog)
        }
        defer { try? FileManager.default.removeItem(at: errorLog) }

        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stdout = String(decoding: data, as: UTF8.self)
        let stderr = streamProgress ? "" : ((try? String(contentsOf: errorLog, encoding: .utf8)) ?? "")
        guard process.terminationStatus == 0 else {
            if !stdout.isEmpty { printError(stdout) }
            if !stderr.isEmpty {
                // A usage error is followed by containertool's own usage text: keep only the message.
                let message = stderr.components(separatedBy: "\n\n").first ?? stderr
                throw PluginError.toolReported(message.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            throw PluginError.toolFailed(command: commandLine, status: process.terminationStatus)
        }
        if !stderr.isEmpty { printError(stderr) }
        return stdout
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
