import ContainerImage
import Foundation
import SBOM

/// `containertool sbom`: writes an SPDX 2.3 JSON SBOM of a product — the product, the Swift
/// toolchain, and every pin of the package's `Package.resolved` (none when the file is absent).
enum SBOMCommand {
    static let usage = """
        usage: containertool sbom --product NAME --output FILE [--package-path DIR] [--version V]
                                  [--swift-version V] [--source URL]

          --product NAME        the product the SBOM describes
          --output FILE         where to write the SPDX 2.3 JSON (written to a temporary name, then renamed)
          --package-path DIR    the package whose Package.resolved lists the dependencies (default: .)
          --version V           the product's version (default: 0.0.0)
          --swift-version V     the toolchain version (default: detected from `swift --version`)
          --source URL          where the product's source lives, e.g. the git remote (default: NOASSERTION)

        creationInfo.created is SOURCE_DATE_EPOCH when set (whole seconds, at most 253402300799), else the current time.
        """

    static let parser = CommandLineParser(
        valueOptions: ["--product", "--output", "--package-path", "--version", "--swift-version", "--source"], flags: [])

    /// Thrown when `swift --version` cannot be run or read.
    struct UnknownSwiftVersion: Error, CustomStringConvertible {
        var description: String { "cannot tell the Swift version (is `swift` on PATH?); pass --swift-version" }
    }

    static func run(_ arguments: [String]) async throws {
        let options = try parser.parse(arguments)
        if options.wantsHelp { return print(usage) }
        guard let product = options.last("--product"), !product.isEmpty, let output = options.last("--output"), !output.isEmpty else {
            throw UsageError("--product and --output are required")
        }
        // The same rule as `build`: an invalid SOURCE_DATE_EPOCH is a usage error, never "now".
        let created: Date
        do {
            created = try SourceDateEpoch.from(environment: ProcessInfo.processInfo.environment).map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
        } catch {
            throw UsageError(error.description)
        }
        let version = options.last("--version") ?? "0.0.0"
        let resolvedPath = URL(fileURLWithPath: options.last("--package-path") ?? ".").appendingPathComponent("Package.resolved").path
        var pins: [ResolvedPackagePin] = []
        if let data = FileManager.default.contents(atPath: resolvedPath) {
            pins = try SBOMDocument.pins(fromPackageResolved: data, path: resolvedPath)
        }
        guard let swiftVersion = options.last("--swift-version") ?? detectSwiftVersion() else { throw UnknownSwiftVersion() }
        let document = SBOMDocument(
            product: product, version: version, swiftVersion: swiftVersion, pins: pins,
            created: created,
            sourceLocation: options.last("--source"))
        try writeAtomically(try document.jsonData(), to: URL(fileURLWithPath: output))
        print("wrote SPDX 2.3 SBOM of \(product) \(version) (Swift \(swiftVersion), \(pins.count) resolved package\(pins.count == 1 ? "" : "s")) to \(output)")
    }

    /// Runs `swift --version` and reads the version from its first line.
    static func detectSwiftVersion() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return SBOMDocument.swiftVersion(fromVersionOutput: String(decoding: data, as: UTF8.self))
    }

    /// Writes to `FILE.tmp-PID` next to the target, then renames: readers never see half a file.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
