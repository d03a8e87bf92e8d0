import OCIModel
import Foundation
import ImageSigning
import OCIRegistry

/// `containertool attest REF@DIGEST --key FILE --predicate FILE --type T`: an in-toto statement about
/// a pushed image, signed in a DSSE envelope and stored as cosign stores it (`cosign attest`), so
/// `cosign verify-attestation --key PUB` and `containertool verify --key PUB` check it.
enum AttestCommand {
    static let usage = """
        usage: containertool attest HOST/REPO@sha256:DIGEST --key FILE --predicate FILE [--type TYPE] [registry options] [--json]

        Wraps the predicate in an in-toto Statement v1 whose subject is the image's digest (a file that
        already is an in-toto statement is signed as it is, once its subjects are checked to include the
        digest), signs it as a DSSE envelope (payloadType application/vnd.in-toto+json) and stores the
        envelope as a layer of the image under the tag sha256-DIGEST.att (annotation predicateType).
        Attestations already there are kept; the same statement by the same key is not added twice.

          --key FILE                 an EC P-256 private key, PEM (PKCS#8 or SEC1); an encrypted one takes its
                                     password from CONTAINERIZE_SIGNING_KEY_PASSWORD (never from the command line)
          --predicate FILE           the predicate (JSON, at most 8 MiB) or a whole in-toto statement
          --type TYPE                slsaprovenance1, slsaprovenance, spdxjson, spdx, cyclonedx, link, vuln, openvex,
                                     or a predicate type URI (optional for a statement: it carries its own)
        \(RegistryOptions.usage)
          --json                     print {"attestationTag", "attestationManifest", "predicateType", "envelopeDigest", "envelopeBytes"}
          --describe-options         print this command's option table as JSON (for the plugin)
          -h, --help                 show this help
        """

    static let parser = CommandLineParser(valueOptions: ["--key", "--predicate", "--type"], flags: ["--json", "--describe-options"], maximumPositionals: 1)
        .addingRegistryOptions()

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        if parsed.has("--describe-options") { return print(String(decoding: try CanonicalJSON.encode(parser.optionTable), as: UTF8.self)) }
        guard parsed.positionals.count == 1 else { throw UsageError("give the image to attest: containertool attest HOST/REPO@sha256:DIGEST --key FILE --predicate FILE --type TYPE") }
        let reference: RegistryReference
        do { reference = try RegistryReference(parsing: parsed.positionals[0]) } catch { throw UsageError("\(error)") }
        guard let digest = reference.digest else { throw UsageError("attest a digest, not a tag: \(parsed.positionals[0]) can move; use HOST/REPO@sha256:…") }
        guard let keyPath = parsed.last("--key") else { throw UsageError("give the signing key: --key FILE (an EC P-256 PEM private key)") }
        guard let predicatePath = parsed.last("--predicate") else { throw UsageError("give what to attest: --predicate FILE (an SPDX JSON SBOM, a SLSA predicate, an in-toto statement)") }
        let typeName = parsed.last("--type")
        let predicateType: String?
        do { predicateType = try typeName.map(InTotoStatement.predicateType(named:)) } catch { throw UsageError(error.description) }
        let predicate = try readPredicate(BuildCommand.absolutePath(predicatePath), shownAs: predicatePath)

        // cosign names the repository as the reference gives it (registry host included).
        let statement: (bytes: [UInt8], predicateType: String)
        do {
            statement = try InTotoStatement.statement(for: predicate, predicateType: predicateType, typeName: typeName,
                                                      repository: "\(reference.registry)/\(reference.repository)", digest: digest)
        } catch { throw UsageError("--predicate \(predicatePath): \(error.description)") }
        let environment = ProcessInfo.processInfo.environment
        let signer: ECDSASigner
        do {
            signer = try ECDSASigner(pemFile: BuildCommand.absolutePath(keyPath), password: environment["CONTAINERIZE_SIGNING_KEY_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 })
        } catch let error as SigningError { throw UsageError(error.description) }
        let options = try RegistryOptions(parsed, environment: environment)

        let envelope = try DSSEEnvelope.signing(statement.bytes, sign: signer.sign).jsonBytes()
        let layer = CosignAttestation.layer(envelope: envelope, predicateType: statement.predicateType)
        let pusher = RegistryPusher(connection: options.connection, ledger: options.ledger, log: { printError("containertool: \($0)") })
        let ours = statement.bytes
        let pushed = try await pusher.pushAttestation(envelope: envelope, layer: layer, to: parsed.positionals[0]) { existing in
            guard let found = try? DSSEEnvelope(parsing: existing) else { return false }
            return found.payload == ours && found.verifies(with: signer.verifies)
        }
        let tag = "\(reference.registry)/\(reference.repository):\(CosignAttestation.tag(of: digest))"
        if parsed.has("--json") {
            let report = ToolContract.AttestationReport(attestationTag: tag, attestationManifest: pushed.manifestDigest, predicateType: statement.predicateType,
                                                        envelopeDigest: layer.digest, envelopeBytes: envelope.count)
            print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
        } else {
            print(tag)
        }
    }

    /// The predicate file's bytes, refusing (before reading it all) one larger than an attestation carries.
    static func readPredicate(_ path: String, shownAs shown: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw UsageError("--predicate \(shown): no such readable file") }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: InTotoStatement.maxPredicateBytes + 1) ?? Data() } catch {
            throw UsageError("--predicate \(shown): cannot read it (\(error.localizedDescription))")
        }
        guard data.count <= InTotoStatement.maxPredicateBytes else {
            throw UsageError("--predicate \(shown): it is more than the \(InTotoStatement.maxPredicateBytes >> 20) MiB an attestation carries; attach it instead (containertool attach) and attest a smaller summary")
        }
        guard !data.isEmpty else { throw UsageError("--predicate \(shown): the file is empty; give the predicate's JSON") }
        return [UInt8](data)
    }
}
