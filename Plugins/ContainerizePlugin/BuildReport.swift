import Foundation

/// The JSON object `containertool build --json` prints on success.
struct BuildReport: Decodable {
    struct Output: Decodable {
        var kind: String
        var destination: String
    }
    var digest: String
    var configDigest: String
    var compressedSize: Int
    var uncompressedSize: Int
    var tag: String
    var outputs: [Output]
    var pushed: [String]?

    static func decode(_ text: String) throws -> BuildReport {
        // The JSON object is the last non-empty line; tolerate anything printed before it.
        let line = text.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? text
        do {
            return try JSONDecoder().decode(BuildReport.self, from: Data(line.utf8))
        } catch {
            throw PluginError.unreadableToolOutput(text)
        }
    }
}

/// Formats a byte count for people: 6.8 MB, 712 KB.
func humanSize(_ bytes: Int) -> String {
    if bytes >= 1_000_000 { return String(format: "%.2f MB", Double(bytes) / 1_000_000) }
    if bytes >= 1_000 { return String(format: "%.1f KB", Double(bytes) / 1_000) }
    return "\(bytes) B"
}
