import OCIModel
import Foundation
import ImageSigning
import OCIRegistry

/// What `sign` and `attest` start from: one pushed image named by its digest (a tag can move
/// between the push and the signature), the key that signs, and the registry options to reach it.
struct SigningTarget {
    var reference: RegistryReference
    var digest: String
    var signer: ECDSASigner
    var registry: RegistryOptions

    /// `verb` names the command in the messages ("sign", "attest"); `example` is its usage line.
    init(_ parsed: CommandLineParser.Result, verb: String, example: String) throws {
        guard parsed.positionals.count == 1 else { throw UsageError("give the image to \(verb): \(example)") }
        do { reference = try RegistryReference(parsing: parsed.positionals[0]) } catch { throw UsageError("\(error)") }
        guard let digest = reference.digest else { throw UsageError("\(verb) a digest, not a tag: \(parsed.positionals[0]) can move; use HOST/REPO@sha256:…") }
        self.digest = digest
        guard let keyPath = parsed.last("--key") else { throw UsageError("give the signing key: --key FILE (an EC P-256 PEM private key)") }
        let environment = ProcessInfo.processInfo.environment
        do {
            signer = try ECDSASigner(pemFile: BuildCommand.absolutePath(keyPath), password: environment["CONTAINERIZE_SIGNING_KEY_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 })
        } catch let error as SigningError { throw UsageError(error.description) }
        registry = try RegistryOptions(parsed, environment: environment)
    }

    /// The repository as cosign names it in a payload: as the reference gives it, registry host included.
    var cosignRepository: String { "\(reference.registry)/\(reference.repository)" }
}
