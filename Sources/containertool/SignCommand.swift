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
        let target = try SigningTarget(parsed, verb: "sign", example: "containertool sign HOST/REPO@sha256:DIGEST --key FILE")
        let (reference, digest, signer, options) = (target.reference, target.digest, target.signer, target.registry)
        let payload = CosignSignature.payload(repository: target.cosignRepository, digest: digest)
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
