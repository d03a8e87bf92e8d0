import OCIModel
import Foundation
import ImageSigning
import OCIRegistry

/// `containertool verify REF --key PUB`: checks an image's cosign-format signatures with a public key,
/// as `cosign verify --key` does, and lists its attached referrers (SBOM, provenance), for pipelines
/// and admission scripts. Exit 0 when at least one signature of this image verifies with the key.
enum VerifyCommand {
    static let usage = """
        usage: containertool verify HOST/REPO[:TAG|@sha256:DIGEST] --key FILE [registry options] [--json]

        Resolves the image to its digest, reads the signatures under HOST/REPO:sha256-DIGEST.sig and checks
        each with the key: the signature must be the key's over the payload's bytes, and the payload must
        name this digest. Also lists the OCI 1.1 referrers attached to the image (they are not signed).
        Exit status 0 when a signature verifies, 1 when none does.

          --key FILE                 the signer's EC P-256 public key, PEM (sign --public-key-out writes it)
        \(RegistryOptions.usage)
          --json                     print {"image", "verified", "signatures", "referrers"}
          --describe-options         print this command's option table as JSON (for the plugin)
          -h, --help                 show this help
        """

    static let parser = CommandLineParser(valueOptions: ["--key"], flags: ["--json", "--describe-options"], maximumPositionals: 1)
        .addingRegistryOptions()

    struct Report: Encodable {
        struct Referrer: Encodable {
            var artifactType: String
            var digest: String
        }
        var image: String
        var verified: Int
        var signatures: Int
        var referrers: [Referrer]
    }

    /// No signature of the image verified with the key; the message says what was found instead.
    struct NotVerified: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        if parsed.has("--describe-options") { return print(String(decoding: try CanonicalJSON.encode(parser.optionTable), as: UTF8.self)) }
        guard parsed.positionals.count == 1 else { throw UsageError("give the image to verify: containertool verify HOST/REPO[:TAG|@sha256:…] --key FILE") }
        do { _ = try RegistryReference(parsing: parsed.positionals[0]) } catch { throw UsageError("\(error)") }
        guard let keyPath = parsed.last("--key") else { throw UsageError("give the signer's public key: --key FILE (PEM)") }
        let verifier: ECDSAVerifier
        do { verifier = try ECDSAVerifier(publicKeyFile: BuildCommand.absolutePath(keyPath)) } catch let error as SigningError { throw UsageError(error.description) }
        let environment = ProcessInfo.processInfo.environment
        let options = try RegistryOptions(parsed, environment: environment)
        let puller = RegistryPuller(connection: options.connection, credentials: CredentialStore(environment: environment), log: { printError("containertool: \($0)") })
        let found = try await puller.attestations(of: parsed.positionals[0])

        let verdicts = found.signatures.map {
            CosignSignature.verdict(payload: $0.payload, signatureAnnotation: $0.signature, digest: found.digest, verify: verifier.verifies)
        }
        let verified = verdicts.filter { if case .verified = $0 { return true } else { return false } }.count
        let referrers = found.referrers.map { Report.Referrer(artifactType: $0.artifactType ?? $0.mediaType, digest: $0.digest) }
        if parsed.has("--json") {
            print(String(decoding: try CanonicalJSON.encode(Report(image: found.pinnedReference, verified: verified, signatures: verdicts.count,
                                                                  referrers: referrers)), as: UTF8.self))
        } else {
            for referrer in referrers { print("referrer \(referrer.artifactType) \(referrer.digest) (not signed)") }
        }
        guard verified > 0 else {
            let otherImages = verdicts.compactMap { if case let .otherImage(what) = $0 { return what } else { return nil } }
            let detail = found.signatures.isEmpty ? "it has no signature (\(found.signatureTag) does not exist)"
                : !otherImages.isEmpty ? "\(otherImages.count) signature(s) by this key sign something else (\(otherImages[0]))"
                : "none of its \(found.signatures.count) signature(s) under \(found.signatureTag) was made with this key"
            throw NotVerified(description: "\(found.pinnedReference) is not verified with \(keyPath): \(detail). Sign it with containertool sign \(found.pinnedReference) --key PRIVATE.pem, or check that the key is the signer's")
        }
        printError("containertool: verified \(found.pinnedReference): \(verified) of \(verdicts.count) signature(s) made with \(keyPath)")
        if !parsed.has("--json") { print(found.pinnedReference) }
    }
}
