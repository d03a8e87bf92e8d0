import Foundation

/// Writes a line to standard error: progress and errors go there, results go to standard output.
func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(Data(line.utf8))
}
