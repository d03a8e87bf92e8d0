import OCIModel
import ContainerImage
import Foundation
import OCIRegistry

/// The registry options of `containertool build`, shared by every `registry:` output of one run
/// (one `BlobLedger`, so several outputs on one registry upload each blob once and mount it elsewhere).
struct RegistryOptions: Sendable {
    static let valueOptions: Set<String> = ["--registry-ca", "--registry-timeout", "--tls-verify"]
    static let flags: Set<String> = ["--plain-http", "--insecure-registry"]
    static let usage = """
          --plain-http               push over plain HTTP, no TLS (loopback registries that do not
                                       speak TLS fall back to plain HTTP by themselves)
          --tls-verify=false         push over TLS without verifying the certificate (tests only)
          --registry-ca FILE         trust this PEM CA for registries (repeatable); also read:
                                       /etc/containers/certs.d/HOST[:PORT]/*.crt,
                                       /etc/docker/certs.d/HOST[:PORT]/ca.crt, SSL_CERT_FILE
                                       (CONTAINERIZE_CERTS_D=DIR[:DIR] replaces the certs.d roots;
                                       client.cert/client.key there: mutual TLS)
          --registry-timeout S       connect and inactivity timeout per request (default 30)
          --insecure-registry        deprecated: means --plain-http (prints a warning)
        """

    var connection: ConnectionOptions
    let ledger = BlobLedger()

    init(_ parsed: CommandLineParser.Result, environment: [String: String]) throws {
        var verify = true
        if let value = parsed.last("--tls-verify") {
            switch value.lowercased() {
            case "true": verify = true
            case "false": verify = false
            default: throw UsageError("--tls-verify must be true or false, e.g. --tls-verify=false")
            }
        }
        var timeout = ConnectionOptions.defaultTimeout
        if let value = parsed.last("--registry-timeout") {
            guard let seconds = Double(value), seconds > 0, seconds <= 3600 else {
                throw UsageError("--registry-timeout '\(value)' must be a number of seconds between 0 and 3600, e.g. 10")
            }
            timeout = seconds
        }
        var plain = parsed.has("--plain-http")
        if parsed.has("--insecure-registry") {
            printError("containertool: warning: --insecure-registry is deprecated and means --plain-http; use --plain-http (no TLS) or --tls-verify=false (TLS without verification)")
            plain = true
        }
        if plain && !verify { throw UsageError("--plain-http and --tls-verify=false exclude each other: plain HTTP has no TLS to verify") }
        let caFiles = parsed.all("--registry-ca").map(BuildCommand.absolutePath)
        for file in caFiles where !FileManager.default.isReadableFile(atPath: file) {
            throw UsageError("--registry-ca \(file): no such readable file")
        }
        connection = ConnectionOptions(plainHTTP: plain, verifyTLS: verify, caFiles: caFiles, timeout: timeout, environment: environment)
    }
}

extension CommandLineParser {
    /// This parser plus the registry options (`RegistryOptions.valueOptions` and `.flags`).
    func addingRegistryOptions() -> CommandLineParser {
        var parser = self
        parser.valueOptions.formUnion(RegistryOptions.valueOptions)
        parser.flags.formUnion(RegistryOptions.flags)
        return parser
    }
}

/// `registry:HOST[:PORT]/REPO[:TAG]`: writes the image as an OCI layout into a temporary
/// directory and hands it to the OCIRegistry pusher.
struct RegistryDestination: ImageDestination {
    /// `HOST[:PORT]/REPO:TAG`, with the tag filled in from `--tag` when it was omitted.
    let reference: String
    let options: RegistryOptions

    var kind: String { "registry" }
    var destination: String { reference }
    var layerCompression: LayerCompression { .gzip }
    var isIrreversible: Bool { true }

    func checkWritable() throws {}

    func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput { try await push(image, tag: tag) }
    func stage(_ index: MultiPlatformImage, tag: ImageReference) async throws -> StagedOutput { try await push(index, tag: tag) }

    private func push(_ image: some OCILayoutContent, tag: ImageReference) async throws -> StagedOutput {
        // The pusher reads an OCI layout from disk and streams each blob from its file; the
        // layer is hard-linked (or copied) into it, never held in memory.
        let directory = URL(fileURLWithPath: try AtomicOutput.makeTemporaryDirectory(in: NSTemporaryDirectory(), label: "containertool-push"))
        defer { PendingOutputs.shared.remove(directory.path) }
        try OCILayoutDestination.fill(directory.path, with: image, tag: tag)
        let pusher = RegistryPusher(connection: options.connection, ledger: options.ledger, log: { printError("containertool: \($0)") })
        let report = try await pusher.push(layout: directory, to: reference)
        return .pushed(report.pinnedReference)
    }

    /// Adds `tag`'s tag when the reference has none (`localhost:5000/hello` → `localhost:5000/hello:latest`).
    static func completing(_ reference: String, with tag: ImageReference) -> String {
        let lastComponent = reference.split(separator: "/").last ?? ""
        if lastComponent.contains(":") || lastComponent.contains("@") || !reference.contains("/") { return reference }
        return reference + ":" + tag.tagOrLatest
    }
}
