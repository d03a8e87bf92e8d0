import ContainerImage
import Foundation

/// `containertool digest FILE...`: prints `sha256:<hex>  FILE` per file, like `sha256sum`,
/// using the library's streaming SHA-256 (scripts/bench-image.sh compares the two).
enum DigestCommand {
    static let usage = """
        usage: containertool digest FILE [FILE ...]

        Prints the sha256 digest of each file, streaming it in 1 MiB chunks.
        """

    static func run(_ arguments: [String]) async -> Int32 {
        if arguments.contains("--help") || arguments.contains("-h") {
            print(usage)
            return ExitCode.ok
        }
        guard !arguments.isEmpty else {
            printError("containertool digest: missing FILE\n\(usage)")
            return ExitCode.usage
        }
        var status = ExitCode.ok
        for path in arguments {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                printError("containertool digest: cannot read \(path); check the path")
                status = ExitCode.failure
                continue
            }
            var hasher = SHA256()
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { hasher.update($0) }
            }
            try? handle.close()
            print("sha256:\(hasher.finalize().hexString)  \(path)")
        }
        return status
    }
}
