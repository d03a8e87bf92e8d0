import OCIModel
import Foundation
import ImageSigning
import OCIRegistry

/// `containertool sign REF@DIGEST --key FILE`: a cosign-format signature of a pushed image, made with
/// an ECDSA P-256 PEM key (`cosign verify --key PUB` and `openssl dgst -sha256 -verify` check it).
enum SignCommand {
    static let usage = """
        usage: containertool sign HOST/REPO@sha256:DIGEST --key FILE [registry options] [--json]

        Signs the image's manifest digest in cosign's format: the "simple signing" payload (repository and
        digest) as a layer of the image under the tag sha256-DIGEST.sig, the DER ECDSA signature base64 in
        its dev.cosignproject.cosign/signature annotation. Signatures already there are kept.

          --key FILE                 an EC P-256 private key, PEM (PKCS#8 or SEC1); an encrypted one takes its
                                     password from CONTAINERIZE_SIGNING_KEY_PASSWORD (never from the command line)
          --public-key-out FILE      also write the public key (PEM), for verifiers
        \(RegistryOptions.usage)
          --json                     print {"signatureTag", "signatureManifest", "payloadDigest"}
          --describe-options         print this command's option table as JSON (for the plugin)
          -h, --help                 show this help
        """

    static let parser = CommandLineParser(valueOptions: ["--key", "--public-key-out"], flags: ["--json", "--describe-options"], maximumPositionals: 1)
        .addingRegistryOptions()

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        if parsed.has("--describe-options") { return print(String(decoding: try CanonicalJSON.encode(parser.optionTable), as: UTF8.self)) }
        guard parsed.positionals.count == 1 else { throw UsageError("give the image to sign: containertool sign HOST/REPO@sha256:DIGEST --key FILE") }
        let reference: RegistryReference
        do { reference = try RegistryReference(parsing: parsed.positionals[0]) } catch { throw UsageError("\(error)") }
        guard let digest = reference.digest else { throw UsageError("sign a digest, not a tag: \(parsed.positionals[0]) can move; use HOST/REPO@sha256:…") }
        guard let keyPath = parsed.last("--key") else { throw UsageError("give the signing key: --key FILE (an EC P-256 PEM private key)") }
        let environment = ProcessInfo.processInfo.environment
        let signer: ECDSASigner
        do {
            signer = try ECDSASigner(pemFile: BuildCommand.absolutePath(keyPath), password: environment["CONTAINERIZE_SIGNING_KEY_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 })
        } catch let error as SigningError { throw UsageError(error.description) }
        let options = try RegistryOptions(parsed, environment: environment)

        // cosign names the repository as the reference gives it (registry host included).
        let payload = CosignSignature.payload(repository: "\(reference.registry)/\(reference.repository)", digest: digest)
        let layer = CosignSignature.layer(payload: payload, signature: try signer.sign(payload))
        let pusher = RegistryPusher(connection: options.connection, ledger: options.ledger, log: { printError("containertool: \($0)") })
        let manifest = try await pusher.pushSignature(payload: payload, layer: layer, to: parsed.positionals[0]) { existing in
            guard let encoded = existing.annotations?[CosignSignature.signatureAnnotation], let signature = Data(base64Encoded: encoded) else { return false }
            return signer.verifies([UInt8](signature), of: payload)
        }
        if let out = parsed.last("--public-key-out") {
            try Data(try signer.publicKeyPEM().utf8).write(to: URL(fileURLWithPath: BuildCommand.absolutePath(out)), options: .atomic)
        }
        let tag = "\(reference.registry)/\(reference.repository):\(CosignSignature.tag(of: digest))"
        if parsed.has("--json") {
            print(String(decoding: try CanonicalJSON.encode(ToolContract.SignatureReport(signatureTag: tag, signatureManifest: manifest, payloadDigest: layer.digest)), as: UTF8.self))
        } else {
            print(tag)
        }
    }
}
