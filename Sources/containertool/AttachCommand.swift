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
               containertool attach oci-layout:DIR[:TAG|@sha256:DIGEST] --file PATH[:ARTIFACT-TYPE]… [--json]

        Each file becomes an artifact manifest whose subject is the image: pushed by digest, found with
        the referrers API (GET /v2/REPO/referrers/DIGEST) where the registry has one, else listed in the
        index under the fallback tag sha256-DIGEST (other tools' entries there are kept).
        In an OCI layout (DIR alone: its only image) the manifest and its blobs go into blobs/sha256/
        and its descriptor, untagged and with its artifactType, into index.json, as oras-go's OCI store
        keeps referrers; the image's entry, tag and digest stay, and attaching a file twice lists it once.
        ARTIFACT-TYPE defaults from the name: *.spdx.json → application/spdx+json,
        *.intoto.json / *.provenance.json → application/vnd.in-toto+json.

        \(RegistryOptions.usage)
          --json                     print [{"artifactType", "digest", "viaReferrersAPI", "ociLayout"}]
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
        if reference.hasPrefix("oci-layout:") {
            let files = try parsed.all("--file").map(referrerFile)
            guard !files.isEmpty else { throw UsageError("nothing to attach: give --file PATH[:ARTIFACT-TYPE]") }
            let (path, subject) = layoutTarget(String(reference.dropFirst("oci-layout:".count)))
            let attached = try OCILayoutReferrers.attach(files, to: subject, inLayout: path)
            for referrer in attached { printError("containertool: attached \(referrer.artifactType) \(referrer.digest.prefix(19)) in \(path)/index.json") }
            return try report(attached.map { ToolContract.AttachedReferrer(artifactType: $0.artifactType, digest: $0.digest, viaReferrersAPI: false, ociLayout: path) },
                              json: parsed.has("--json"))
        }
        do {
            let parsedReference = try RegistryReference(parsing: reference)
            guard parsedReference.digest != nil else { throw UsageError("attach to a digest, not a tag: \(reference) moves; use HOST/REPO@sha256:…") }
        } catch let error as UsageError { throw error } catch { throw UsageError("\(error)") }
        let files = try parsed.all("--file").map(referrerFile)
        guard !files.isEmpty else { throw UsageError("nothing to attach: give --file PATH[:ARTIFACT-TYPE]") }
        let options = try RegistryOptions(parsed, environment: ProcessInfo.processInfo.environment)
        let pusher = RegistryPusher(connection: options.connection, ledger: options.ledger, log: { printError("containertool: \($0)") })
        let attached = try await pusher.attach(files, to: reference)
        try report(attached.map { ToolContract.AttachedReferrer(artifactType: $0.artifactType, digest: $0.digest, viaReferrersAPI: $0.viaReferrersAPI) },
                   json: parsed.has("--json"))
    }

    private static func report(_ attached: [ToolContract.AttachedReferrer], json: Bool) throws {
        if json {
            print(String(decoding: try CanonicalJSON.encode(attached), as: UTF8.self))
        } else {
            attached.forEach { print("\($0.artifactType) \($0.digest)") }
        }
    }

    /// `DIR`, `DIR:TAG` or `DIR@sha256:DIGEST` (as skopeo's `oci:DIR:TAG`): a colon names a tag only
    /// after the last slash, so `./a:b/layout` is a folder.
    static func layoutTarget(_ text: String) -> (path: String, subject: OCILayoutReferrers.Subject) {
        if let at = text.range(of: "@sha256:", options: .backwards) {
            return (BuildCommand.absolutePath(String(text[..<at.lowerBound])), .digest(String(text[text.index(after: at.lowerBound)...])))
        }
        let lastComponent = text.lastIndex(of: "/").map { text.index(after: $0) } ?? text.startIndex
        if let colon = text[lastComponent...].lastIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex {
            return (BuildCommand.absolutePath(String(text[..<colon])), .tag(String(text[text.index(after: colon)...])))
        }
        return (BuildCommand.absolutePath(text), .only)
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
