import ContainerImage
import Foundation
import SBOM

/// `containertool provenance`: writes SLSA Provenance v1 in an in-toto Statement v1 for a built
/// image — the parameters it was built with and everything it was built from.
enum ProvenanceCommand {
    static let usage = """
        usage: containertool provenance --subject NAME@sha256:HEX --output FILE [options]

          --subject NAME@sha256:HEX   the image (repeatable: e.g. each platform's manifest and the index)
          --output FILE               where to write the statement (JSON; temporary name, then renamed)
          --parameter KEY=VALUE       an external parameter of the build (repeatable; a key given twice
                                      becomes a list), e.g. product=HelloWeb, mode=standard
          --package-path DIR          the package whose Package.resolved pins are dependencies (default: .)
          --source URL --revision SHA the source repository and commit (a dependency with its gitCommit)
          --swift-version V           the toolchain (default: detected from `swift --version`)
          --base REF@sha256:HEX       the base image, when not scratch
          --started RFC3339           when the build started (default: not recorded)
        """

    static let parser = CommandLineParser(
        valueOptions: ["--subject", "--output", "--parameter", "--package-path", "--source", "--revision", "--swift-version", "--base", "--started"],
        flags: [])

    static func run(_ arguments: [String]) async throws {
        let options = try parser.parse(arguments)
        if options.wantsHelp { return print(usage) }
        guard let output = options.last("--output"), !output.isEmpty else { throw UsageError("--output FILE is required") }
        let subjects = try options.all("--subject").map(subject)
        guard !subjects.isEmpty else { throw UsageError("--subject NAME@sha256:HEX is required (the image the statement is about)") }

        var parameters: [String: ProvenanceStatement.ParameterValue] = [:]
        for text in options.all("--parameter") {
            let (key, value) = try BuildCommand.keyValue(text, option: "--parameter")
            switch parameters[key] {
            case nil: parameters[key] = .string(value)
            case .string(let first): parameters[key] = .list([first, value])
            case .list(let values): parameters[key] = .list(values + [value])
            }
        }

        var dependencies: [ProvenanceStatement.Dependency] = []
        if let source = options.last("--source") {
            let revision = options.last("--revision")
            dependencies.append(.init(name: "source", uri: "git+\(source)" + (revision.map { "@\($0)" } ?? ""),
                                      digest: revision.map { ["gitCommit": $0] } ?? [:]))
        }
        let resolvedPath = URL(fileURLWithPath: options.last("--package-path") ?? ".").appendingPathComponent("Package.resolved").path
        if let data = FileManager.default.contents(atPath: resolvedPath) {
            dependencies += ProvenanceStatement.dependencies(fromPins: try SBOMDocument.pins(fromPackageResolved: data, path: resolvedPath))
        }
        guard let swiftVersion = options.last("--swift-version") ?? SBOMCommand.detectSwiftVersion() else { throw SBOMCommand.UnknownSwiftVersion() }
        dependencies.append(.init(name: "swift", uri: "pkg:generic/swift@\(swiftVersion)"))
        if let base = options.last("--base") {
            let pinned = try subject(base)
            dependencies.append(.init(name: "base image", uri: "oci://\(pinned.name)", digest: digestMap(pinned.digest)))
        }
        var started: Date?
        if let text = options.last("--started") {
            guard let date = ISO8601DateFormatter().date(from: text) else { throw UsageError("--started '\(text)' must be an RFC 3339 time such as 2026-12-06T04:00:00Z") }
            started = date
        }
        let statement = ProvenanceStatement(
            subjects: subjects, externalParameters: parameters, resolvedDependencies: dependencies,
            builderID: "urn:swift-containerize:containertool", startedOn: started, finishedOn: started == nil ? nil : Date())
        try SBOMCommand.writeAtomically(try statement.jsonData(), to: URL(fileURLWithPath: output))
        print("wrote SLSA provenance v1 for \(subjects.map(\.name).joined(separator: ", ")) (\(dependencies.count) resolved dependencies) to \(output)")
    }

    /// `NAME@sha256:<64 hex>`.
    static func subject(_ text: String) throws -> ProvenanceStatement.Subject {
        guard let at = text.lastIndex(of: "@") else { throw UsageError("'\(text)' must be NAME@sha256:HEX, e.g. helloweb:1.0@sha256:…") }
        let name = String(text[..<at]), digest = String(text[text.index(after: at)...])
        let hex = digest.dropFirst("sha256:".count)
        guard !name.isEmpty, digest.hasPrefix("sha256:"), hex.count == 64, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw UsageError("'\(text)' must be NAME@sha256:HEX with 64 lowercase hex digits")
        }
        return .init(name: name, digest: digest)
    }

    private static func digestMap(_ digest: String) -> [String: String] {
        ["sha256": String(digest.dropFirst("sha256:".count))]
    }
}
