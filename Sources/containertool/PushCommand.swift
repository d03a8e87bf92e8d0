import OCIModel
import ContainerImage
import Foundation
import OCIRegistry

/// `containertool push SRC REF`: pushes an image already built — an OCI layout, an OCI archive or a
/// Docker archive written by `build` — without building again (build once, push to many registries;
/// crane's `push`, skopeo's `copy`). Blobs the registry has are skipped; the pinned reference is the result.
enum PushCommand {
    static let usage = """
        usage: containertool push SRC REF [registry options] [--json]

        SRC is oci-layout:DIR, oci-archive:FILE, docker-archive:FILE (as `containertool build` writes
        them; docker save archives of Docker 25+), or a bare DIR or FILE. REF is
        HOST[:PORT]/REPO[:TAG] or HOST[:PORT]/REPO@sha256:… (then it must be the image's digest).
        Prints HOST/REPO@sha256:… (the pushed, pinned reference) on standard output. An OCI layout's
        referrers of the image (`containertool attach oci-layout:…`) are pushed after it, as attach does.

        \(RegistryOptions.usage)
          --json                     print {"pinnedReference", "digest", "uploadedBlobs", "skippedBlobs", "mountedBlobs", "referrers"}
          -h, --help                 show this help
        """

    static let parser = CommandLineParser(valueOptions: [], flags: ["--json"], maximumPositionals: 2).addingRegistryOptions()

    struct Report: Encodable {
        var pinnedReference: String
        var digest: String
        var uploadedBlobs: Int
        var skippedBlobs: Int
        var mountedBlobs: Int
        /// The layout's referrers of the image (`containertool attach oci-layout:…`), pushed after it.
        var referrers: [ToolContract.AttachedReferrer]
    }

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        guard parsed.positionals.count == 2 else { throw UsageError("give the image and where to push it: containertool push SRC HOST/REPO[:TAG]") }
        let (kind, path) = source(parsed.positionals[0])
        let reference = parsed.positionals[1]
        do { _ = try RegistryReference(parsing: reference) } catch { throw UsageError("\(error)") }
        let options = try RegistryOptions(parsed, environment: ProcessInfo.processInfo.environment)

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ImageReadError.notFound(path) }
        if kind == "oci-layout" && !isDirectory.boolValue { throw UsageError("oci-layout:\(path) is a file; an OCI layout is a directory (for an archive write oci-archive:\(path))") }
        if kind != nil && kind != "oci-layout" && isDirectory.boolValue { throw UsageError("\(kind!):\(path) is a directory; for an OCI layout write oci-layout:\(path)") }

        var layout = URL(fileURLWithPath: path)
        var unpacked: String?
        defer { if let unpacked { PendingOutputs.shared.remove(unpacked) } }
        if !isDirectory.boolValue {
            // The pusher streams each blob from a file: unpack the archive's layout (blobs only) first.
            let directory = try AtomicOutput.makeTemporaryDirectory(in: NSTemporaryDirectory(), label: "containertool-push")
            unpacked = directory
            try ArchiveUnpacker.unpackLayout(archive: path, into: directory)
            layout = URL(fileURLWithPath: directory)
        }
        let pusher = RegistryPusher(connection: options.connection, ledger: options.ledger, log: { printError("containertool: \($0)") })
        let report = try await pusher.push(layout: layout, to: reference)  // it reports each blob and the result on stderr
        if parsed.has("--json") {
            let json = Report(pinnedReference: report.pinnedReference, digest: report.digest, uploadedBlobs: report.uploadedBlobs,
                              skippedBlobs: report.skippedBlobs, mountedBlobs: report.mountedBlobs,
                              referrers: report.referrers.map { ToolContract.AttachedReferrer(artifactType: $0.artifactType, digest: $0.digest, viaReferrersAPI: $0.viaReferrersAPI) })
            print(String(decoding: try CanonicalJSON.encode(json), as: UTF8.self))
        } else {
            print(report.pinnedReference)
        }
    }

    /// `KIND:PATH` → (KIND, absolute PATH); a bare path → (nil, absolute PATH).
    static func source(_ text: String) -> (kind: String?, path: String) {
        for known in ["oci-layout", "oci-archive", "docker-archive"] where text.hasPrefix(known + ":") {
            return (known, BuildCommand.absolutePath(String(text.dropFirst(known.count + 1))))
        }
        return (nil, BuildCommand.absolutePath(text))
    }
}
