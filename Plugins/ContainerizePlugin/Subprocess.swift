import Foundation
import PackagePlugin

/// Runs a child process (`containertool`, `swift build`, `git`): standard output is collected, standard
/// error is shown live line by line — except the lines `isErrorLine` picks, which are held back and
/// returned, so a failure becomes one error message instead of a command line and a dump.
enum Subprocess {
    struct Result {
        var status: Int32
        var stdout: String
        /// Every standard-error line, shown or held back.
        var stderr: String
        /// The held-back lines, in order.
        var heldBack: [String]
    }

    /// - Parameters:
    ///   - mergeOutput: send the child's standard output into the standard-error stream too (for
    ///     `swift build`, whose progress goes to stdout; the plugin's stdout stays for results).
    ///   - show: false to collect standard error without showing it.
    ///   - environment: the child's environment (default: ours).
    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil,
                    mergeOutput: Bool = false, show: Bool = true,
                    isErrorLine: @escaping @Sendable (Substring) -> Bool = { _ in false }) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = mergeOutput ? errors : output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // Standard error is read on its own thread while standard output is read here: reading two
        // pipes one after the other deadlocks once the second one fills up.
        let collected = LineCollector(show: show, isErrorLine: isErrorLine)
        let reader = Thread {
            let handle = errors.fileHandleForReading
            while case let chunk = handle.availableData, !chunk.isEmpty { collected.append(chunk) }
            collected.finish()
        }
        reader.start()
        let stdout = mergeOutput ? Data() : output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        collected.waitUntilFinished()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: collected.text, heldBack: collected.held)
    }

    /// Quotes an argument for a shell command line printed as a hint.
    static func shellQuoted(_ argument: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,")
        if !argument.isEmpty, argument.allSatisfy(safe.contains) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Splits a byte stream into lines, shows or holds back each, keeps the whole text.
private final class LineCollector: @unchecked Sendable {
    private let lock = NSCondition()
    private var buffer = Data()
    private var all = Data()
    private var heldLines: [String] = []
    private var done = false
    private let show: Bool
    private let isErrorLine: @Sendable (Substring) -> Bool

    init(show: Bool, isErrorLine: @escaping @Sendable (Substring) -> Bool) {
        self.show = show
        self.isErrorLine = isErrorLine
    }

    func append(_ chunk: Data) {
        lock.lock(); defer { lock.unlock() }
        all.append(chunk)
        buffer.append(chunk)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            emit(buffer[buffer.startIndex...newline])
            buffer.removeSubrange(buffer.startIndex...newline)
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if !buffer.isEmpty { emit(buffer + Data("\n".utf8)) }
        buffer.removeAll()
        done = true
        lock.broadcast()
    }

    func waitUntilFinished() {
        lock.lock(); defer { lock.unlock() }
        while !done { lock.wait() }
    }

    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: all, as: UTF8.self) }
    var held: [String] { lock.lock(); defer { lock.unlock() }; return heldLines }

    private func emit(_ line: Data) {
        let text = String(decoding: line, as: UTF8.self)
        let content = text.dropLast()  // the newline
        if isErrorLine(content) {
            heldLines.append(String(content))
        } else if show && heldLines.isEmpty {
            // After an error line, the tool's usage hint follows; the error alone is enough.
            printError(String(content))
        }
    }
}

/// Progress (the build's lines, containertool's) goes through SwiftPM's progress channel: SwiftPM shows
/// it on standard error as it comes, on a terminal and in a CI log alike, while what a plugin writes to
/// its own standard output or error SwiftPM forwards to standard output, and outside a terminal only
/// when the plugin ends. The summary and `--release`'s digest are the plugin's standard output.
func printError(_ message: String) {
    let text = message.hasSuffix("\n") ? String(message.dropLast()) : message
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) { Diagnostics.progress(String(line)) }
}
