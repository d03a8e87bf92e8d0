import OCIModel
import Foundation
import ImageSigning
import OCIRegistry

/// `containertool verify REF --key PUB`: checks an image's cosign-format signatures with a public key,
/// as `cosign verify --key` does, says which of its attestations (`.att`, as `cosign verify-attestation`
/// reads them) the key signed about this image, and lists its attached referrers (SBOM, provenance),
/// for pipelines and admission scripts. Exit 0 when at least one signature of this image verifies
/// with the key; the attestations are reported, and do not change the exit status.
enum VerifyCommand {
    static let usage = """
        usage: containertool verify HOST/REPO[:TAG|@sha256:DIGEST] --key FILE [registry options] [--json]

        Resolves the image to its digest, reads the signatures under HOST/REPO:sha256-DIGEST.sig and checks
        each with the key: the signature must be the key's over the payload's bytes, and the payload must
        name this digest. Then lists each attestation under HOST/REPO:sha256-DIGEST.att with its predicate
        type and whether it verifies: a DSSE envelope of an in-toto statement, signed by the key, whose
        subjects include this digest (one about another image is "not about this image"). Also lists the
        OCI 1.1 referrers attached to the image (they are not signed themselves).
        Exit status 0 when a signature verifies, 1 when none does (whatever the attestations say).

          --key FILE                 the signer's EC P-256 public key, PEM (sign --public-key-out writes it)
        \(RegistryOptions.usage)
          --json                     print {"image", "verified", "signatures", "attestationTag", "attestations", "referrers"}
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
        struct Attestation: Encodable {
            /// The signed statement's type when it verified, else the layer's annotation (unsigned).
            var predicateType: String?
            var digest: String
            /// `verified`, `notThisKey`, `otherImage`, `unreadable`.
            var verdict: String
            var detail: String?
        }
        var image: String
        var verified: Int
        var signatures: Int
        var attestationTag: String
        var attestations: [Attestation]
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
        let attestations = found.attestations.map { attestationEntry($0, digest: found.digest, verifier: verifier) }
        if parsed.has("--json") {
            print(String(decoding: try CanonicalJSON.encode(Report(image: found.pinnedReference, verified: verified, signatures: verdicts.count,
                                                                  attestationTag: found.attestationTag, attestations: attestations,
                                                                  referrers: referrers)), as: UTF8.self))
        } else {
            for attestation in attestations { print(printable(attestationLine(attestation))) }
            if found.attestationsNotListed > 0 { print("attestations: \(found.attestationsNotListed) more layer(s) under \(found.attestationTag) not read") }
            for referrer in referrers { print(printable("referrer \(referrer.artifactType) \(referrer.digest) (not signed)")) }
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

    /// The report entry of one attestation layer (verdict: `CosignAttestation.verdict`).
    static func attestationEntry(_ layer: ImageAttestations.Attestation, digest: String, verifier: ECDSAVerifier) -> Report.Attestation {
        guard let envelope = layer.envelope else {
            return Report.Attestation(predicateType: layer.annotatedPredicateType, digest: layer.digest, verdict: "unreadable", detail: layer.notRead)
        }
        let verdict = CosignAttestation.verdict(envelope: envelope, digest: digest, verify: verifier.verifies)
        switch verdict {
        case let .verified(predicateType):
            return Report.Attestation(predicateType: predicateType, digest: layer.digest, verdict: verdict.name, detail: nil)
        case .notThisKey:
            return Report.Attestation(predicateType: layer.annotatedPredicateType, digest: layer.digest, verdict: verdict.name, detail: "not signed by this key")
        case let .otherImage(subjects):
            return Report.Attestation(predicateType: layer.annotatedPredicateType, digest: layer.digest, verdict: verdict.name,
                                      detail: "not about this image (its subjects: \(subjects.isEmpty ? "none" : subjects.prefix(3).joined(separator: ", ")))")
        case let .unreadable(reason):
            return Report.Attestation(predicateType: layer.annotatedPredicateType, digest: layer.digest, verdict: verdict.name, detail: reason)
        }
    }

    /// `line` with control characters (a newline in an annotation a registry sent) shown as `?`: a line
    /// of this output is one line, so no one can push an annotation that reads as another `verified` line.
    static func printable(_ line: String) -> String {
        String(String.UnicodeScalarView(line.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    /// `attestation TYPE DIGEST: verified` or `…: not verified (why)`.
    static func attestationLine(_ entry: Report.Attestation) -> String {
        let type = entry.predicateType ?? "(no predicateType)"
        return entry.verdict == "verified" ? "attestation \(type) \(entry.digest): verified"
            : "attestation \(type) \(entry.digest): not verified (\(entry.detail ?? entry.verdict))"
    }
}
