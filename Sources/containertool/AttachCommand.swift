import OCIModel
import ContainerImage
import Foundation
import OCIRegistry

/// `containertool attach REF@DIGEST --file PATH:TYPE…`: attaches files (the release's SBOM and
/// provenance) to a pushed image as OCI 1.1 referrers, as `oras attach` and `cosign attach` do.
/// The image itself, and its digest, do not change.
enum AttachCommand {
    static let usage = """
        usage: containertool attach HOST/REPO@sha256:DIGEST --file PATH[:ARTIFACT-TYPE]… [registry options] [--json]

        Each file becomes an artifact manifest whose subject is the image: pushed by digest, found with
        the referrers API (GET /v2/REPO/referrers/DIGEST) where the registry has one, else listed in the
        index under the fallback tag sha256-DIGEST (other tools' entries there are kept).
        ARTIFACT-TYPE defaults from the name: *.spdx.json → application/spdx+json,
        *.intoto.json / *.provenance.json → application/vnd.in-toto+json.

        \(RegistryOptions.usage)
          --json                     print [{"artifactType", "digest", "viaReferrersAPI"}]
          --describe-options         print this command's option table as JSON (for the plugin)
          -h, --help                 show this help
        """

    static let parser = CommandLineParser(valueOptions: ["--file"], flags: ["--json", "--describe-options"], maximumPositionals: 1).addingRegistryOptions()

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        if parsed.has("--describe-options") { return print(String(decoding: try CanonicalJSON.encode(parser.optionTable), as: UTF8.self)) }
        guard parsed.positionals.count == 1 else { throw UsageError("give the image to attach to: containertool attach HOST/REPO@sha256:DIGEST --file PATH") }
        let reference = parsed.positionals[0]
        do {
            let parsedReference = try RegistryReference(parsing: reference)
            guard parsedReference.digest != nil else { throw UsageError("attach to a digest, not a tag: \(reference) moves; use HOST/REPO@sha256:…") }
        } catch let error as UsageError { throw error } catch { throw UsageError("\(error)") }
        let files = try parsed.all("--file").map(referrerFile)
        guard !files.isEmpty else { throw UsageError("nothing to attach: give --file PATH[:ARTIFACT-TYPE]") }
        let options = try RegistryOptions(parsed, environment: ProcessInfo.processInfo.environment)
        let pusher = RegistryPusher(connection: options.connection, ledger: options.ledger, log: { printError("containertool: \($0)") })
        let attached = try await pusher.attach(files, to: reference)
        if parsed.has("--json") {
            let report = attached.map { ToolContract.AttachedReferrer(artifactType: $0.artifactType, digest: $0.digest, viaReferrersAPI: $0.viaReferrersAPI) }
            print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
        } else {
            attached.forEach { print("\($0.artifactType) \($0.digest)") }
        }
    }

    /// `PATH[:TYPE]`: the type is after the last colon when it looks like a media type (`x/y`).
    static func referrerFile(_ text: String) throws -> ReferrerFile {
        var path = text
        var type: String?
        if let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].contains("/"), !text[text.index(after: colon)...].hasPrefix("/") {
            path = String(text[..<colon])
            type = String(text[text.index(after: colon)...])
        }
        let absolute = BuildCommand.absolutePath(path)
        guard FileManager.default.isReadableFile(atPath: absolute) else { throw UsageError("--file \(path): no such readable file") }
        if type == nil {
            if path.hasSuffix(".spdx.json") { type = "application/spdx+json" }
            else if path.hasSuffix(".intoto.json") || path.hasSuffix(".provenance.json") { type = "application/vnd.in-toto+json" }
        }
        guard let type else { throw UsageError("--file \(path): say what it is, e.g. --file \(path):application/spdx+json") }
        return ReferrerFile(path: URL(fileURLWithPath: absolute), artifactType: type)
    }
}
