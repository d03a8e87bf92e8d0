import OCIModel
import ContainerImage
import Foundation
import SBOM

/// `containertool sbom`: writes an SPDX 2.3 JSON SBOM of a product — the product, the Swift
/// toolchain, and every pin of the package's `Package.resolved` (none when the file is absent).
enum SBOMCommand {
    static let usage = """
        usage: containertool sbom --product NAME --output FILE [--package-path DIR] [--version V]
                                  [--swift-version V] [--source URL] [--image NAME@DIGEST]
                                  [--link-trace PREFIX --build-directory DIR [--module-owner MODULE=PACKAGE]…]

          --product NAME        the product the SBOM describes
          --output FILE         where to write the SPDX 2.3 JSON (written to a temporary name, then renamed)
          --package-path DIR    the package whose Package.resolved lists the dependencies (default: .)
          --version V           the product's version (default: 0.0.0)
          --swift-version V     the toolchain version (default: the link trace's PREFIX.swift-version, else `swift --version`)
          --source URL          where the product's source lives, e.g. the git remote (default: NOASSERTION)
          --image NAME@DIGEST   the image holding the product: a package that CONTAINS it
          --supplier NAME       who supplies the product and image when the --source URL names no owner
          --link-trace PREFIX   what the link used (relative paths in it: from the current folder): lld's PREFIX.link-inputs (--dependency-file) and
                                PREFIX.why-extract (--why-extract); each toolchain library, Debian package
                                (dpkg-query) and SwiftPM package it pulled in becomes a STATIC_LINK package.
                                With PREFIX.dpkg-owners and PREFIX.dpkg-versions (the rendered Dockerfile's
                                link-trace stage), the builder's package database answers, not this machine's
          --build-directory DIR the build's scratch folder (its MODULE.build/ objects are the package graph's)
          --module-owner M=P    module M belongs to package P (a Package.resolved identity, or the root's)
          --root-package P      the identity of the package being built (its modules are the product's own)
          --bundled-libraries-of EXECUTABLE
                                the image carries EXECUTABLE's shared-library closure (build --bundle-shared-libraries,
                                --link dynamic-libc): each library's Debian package becomes a DYNAMIC_LINK package

        creationInfo.created is SOURCE_DATE_EPOCH when set (whole seconds, at most 253402300799), else the current time.
        """

    static let parser = CommandLineParser(
        valueOptions: ["--product", "--output", "--package-path", "--version", "--swift-version", "--source", "--image", "--supplier",
                       "--link-trace", "--build-directory", "--module-owner", "--root-package", "--bundled-libraries-of"], flags: [])

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
        // A builder's trace says which toolchain linked it (`PREFIX.swift-version`); else this machine's.
        let recordedVersion = options.last("--link-trace").flatMap { try? String(contentsOfFile: $0 + ".swift-version", encoding: .utf8) }
            .flatMap(SBOMDocument.swiftVersion(fromVersionOutput:))
        guard let swiftVersion = options.last("--swift-version") ?? recordedVersion ?? detectSwiftVersion() else { throw UnknownSwiftVersion() }
        var document = SBOMDocument(
            product: product, version: version, swiftVersion: swiftVersion, pins: pins,
            created: created,
            sourceLocation: options.last("--source"))
        document.supplier = options.last("--supplier").flatMap { $0.isEmpty ? nil : $0 }
        if let image = options.last("--image") {
            guard let at = image.firstIndex(of: "@"), image[image.index(after: at)...].hasPrefix("sha256:") else {
                throw UsageError("--image wants NAME@sha256:DIGEST, got '\(image)'")
            }
            document.image = (String(image[..<at]), String(image[image.index(after: at)...]))
        }
        var linkedSummary = ""
        if let prefix = options.last("--link-trace") {
            let linked = try linkedComponents(prefix: prefix, options: options, swiftVersion: swiftVersion)
            document.linked = linked.components
            document.linkedPins = linked.linkedPackages
            linkedSummary = ", \(linked.components.count) linked component\(linked.components.count == 1 ? "" : "s")"
        }
        try writeAtomically(try document.jsonData(), to: URL(fileURLWithPath: output))
        print("wrote SPDX 2.3 SBOM of \(product) \(version) (Swift \(swiftVersion), \(pins.count) resolved package\(pins.count == 1 ? "" : "s")\(linkedSummary)) to \(output)")
    }

    /// Thrown when the link trace the SBOM should be made from is missing or unreadable.
    struct MissingLinkTrace: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "no link trace at \(path): link the product with lld and `-Xlinker --dependency-file=\(path)` (the plugin does), or leave out --link-trace"
        }
    }

    /// Thrown when the trace is there but names no input: not lld's dependency file.
    struct UnreadableLinkTrace: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "\(path) is not a linker dependency file (`OUTPUT: INPUT…`, as lld --dependency-file writes it); relink the product to write it again"
        }
    }

    /// Reads the trace, asks dpkg about the system files, and groups everything into components.
    static func linkedComponents(prefix: String, options: CommandLineParser.Result, swiftVersion: String) throws -> LinkedComponents {
        let inputsPath = prefix + ".link-inputs"
        guard let data = FileManager.default.contents(atPath: inputsPath) else { throw MissingLinkTrace(path: inputsPath) }
        guard let dependencyFile = String(data: data, encoding: .utf8) else { throw UnreadableLinkTrace(path: inputsPath) }
        let trace = LinkTrace.parse(dependencyFile: dependencyFile, whyExtract: try? String(contentsOfFile: prefix + ".why-extract", encoding: .utf8))
            .absolute(in: FileManager.default.currentDirectoryPath)  // SwiftPM's paths are absolute; a link by hand's are not
        guard !trace.inputs.isEmpty else { throw UnreadableLinkTrace(path: inputsPath) }
        guard let buildDirectory = options.last("--build-directory") else { throw UsageError("--link-trace needs --build-directory") }
        var owners: [String: String] = [:]
        for pair in options.all("--module-owner") {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw UsageError("--module-owner wants MODULE=PACKAGE, got '\(pair)'") }
            owners[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        // The toolchain is where its static runtime is: the prefix before `/usr/lib/swift`.
        let toolchainRoot = trace.contributingPaths.lazy.compactMap { path -> String? in
            path.range(of: "/usr/lib/swift").map { String(path[..<$0.lowerBound]) }
        }.first ?? ""
        let classifier = LinkInputClassifier(toolchainRoot: toolchainRoot, buildDirectory: URL(fileURLWithPath: buildDirectory).standardizedFileURL.path)
        // The image's bundled shared libraries (--link dynamic-libc) are in it as much as what was linked.
        var bundled: [String] = []
        if let executable = options.last("--bundled-libraries-of") {
            let elf = try ELFExecutable(path: executable)
            guard let interpreter = elf.interpreter else { throw UsageError("--bundled-libraries-of \(executable): a static executable bundles no shared library") }
            bundled = try ELFExecutable.sharedLibraryClosure(path: executable, interpreter: interpreter)
        }
        let systemPaths = (trace.contributingPaths + bundled).filter { classifier.place(of: $0) == .system }
        // A trace exported from a builder (the rendered Dockerfile's link-trace stage) carries that
        // builder's package database: its packages, not this machine's, are what was linked.
        let database = try DebianPackageDatabase(recordedAt: prefix) ?? DebianPackageDatabase()
        return LinkedComponents(trace: trace, classifier: classifier, moduleOwners: owners, rootPackage: options.last("--root-package") ?? "",
                                toolchainVersion: swiftVersion, debianOwners: database.owners(of: systemPaths), distro: database.distro,
                                bundledLibraries: bundled)
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
