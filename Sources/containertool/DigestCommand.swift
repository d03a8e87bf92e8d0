import OCIModel
import ContainerImage
import Foundation

/// `containertool digest FILE...`: prints `sha256:<hex>  FILE` per file, like `sha256sum`,
/// using the library's streaming SHA-256 (scripts/bench-image.sh compares the two).
enum DigestCommand {
    static let usage = """
        usage: containertool digest FILE [FILE ...]

        Prints the sha256 digest of each file, streaming it in 1 MiB chunks.
        """

    static let parser = CommandLineParser(valueOptions: [], flags: [], maximumPositionals: .max)

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        guard !parsed.positionals.isEmpty else { throw UsageError("missing FILE") }
        var failed = false
        for path in parsed.positionals {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                printError("containertool digest: cannot read \(path); check the path")
                failed = true
                continue
            }
            var hasher = SHA256()
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { hasher.update($0) }
            }
            try? handle.close()
            print("sha256:\(hasher.finalize().hexString)  \(path)")
        }
        if failed { throw AlreadyReported() }
    }
}
