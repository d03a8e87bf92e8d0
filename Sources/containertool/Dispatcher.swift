/// Routes `containertool SUBCOMMAND …` to the subcommand's file, and maps every error to an exit
/// code and a one-line message in one place: subcommands only throw.
enum Dispatcher {
    /// One subcommand: its usage text (first line `usage: …`) and its body.
    struct Subcommand: Sendable {
        var summary: String
        var usage: String
        var run: @Sendable ([String]) async throws -> Void
    }

    static let subcommands: [(name: String, command: Subcommand)] = [
        ("build", Subcommand(summary: "assemble a scratch image from an executable (no Docker daemon needed)", usage: BuildCommand.usage, run: BuildCommand.run)),
        ("push", Subcommand(summary: "push a built OCI layout or archive to a registry, without building again", usage: PushCommand.usage, run: PushCommand.run)),
        ("attach", Subcommand(summary: "attach files (SBOM, provenance) to a pushed image as OCI 1.1 referrers", usage: AttachCommand.usage, run: AttachCommand.run)),
        ("sign", Subcommand(summary: "sign a pushed image in cosign's format with an ECDSA P-256 key", usage: SignCommand.usage, run: SignCommand.run)),
        ("attest", Subcommand(summary: "sign an in-toto statement about a pushed image (DSSE, cosign's .att tag)", usage: AttestCommand.usage, run: AttestCommand.run)),
        ("verify", Subcommand(summary: "check an image's cosign-format signatures and attestations with a public key; list its referrers", usage: VerifyCommand.usage, run: VerifyCommand.run)),
        ("run", Subcommand(summary: "run an image from the local engine in the foreground; Ctrl-C stops and removes it", usage: RunCommand.usage, run: RunCommand.run)),
        ("inspect", Subcommand(summary: "print digest, size and config summary of an image", usage: InspectCommand.usage, run: InspectCommand.run)),
        ("dockerfile", Subcommand(summary: "render Dockerfile.template into a multi-stage Dockerfile", usage: DockerfileCommand.usage, run: DockerfileCommand.run)),
        ("build-flags", Subcommand(summary: "print the `swift build` flags of a build mode (the one place they live)", usage: BuildFlagsCommand.usage, run: BuildFlagsCommand.run)),
        ("sbom", Subcommand(summary: "write an SPDX 2.3 JSON SBOM for a product", usage: SBOMCommand.usage, run: SBOMCommand.run)),
        ("provenance", Subcommand(summary: "write SLSA Provenance v1 (an in-toto statement) for a built image", usage: ProvenanceCommand.usage, run: ProvenanceCommand.run)),
        ("digest", Subcommand(summary: "print the sha256 of files (like sha256sum)", usage: DigestCommand.usage, run: DigestCommand.run)),
        ("resolve", Subcommand(summary: "list or pin the swift://PRODUCT images in Kubernetes manifests", usage: ResolveCommand.usage, run: ResolveCommand.run)),
        ("kubernetes", Subcommand(summary: "render starter Kubernetes manifests (Deployment + Service) for a product", usage: KubernetesCommand.usage, run: KubernetesCommand.run)),
    ]

    static var usage: String {
        let width = subcommands.map(\.name.count).max() ?? 0
        let lines = subcommands.map { "  " + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.command.summary }
        return """
            usage: containertool <subcommand> [options]

            subcommands:
            \(lines.joined(separator: "\n"))

            Run `containertool <subcommand> --help` for its options.
            Exit codes: 0 ok, 1 failure, 2 usage error.
            """
    }

    /// Test support, not listed in the usage: the fuzz tests run the readers of foreign bytes in a
    /// child process, so that a trap fails the test with its case instead of killing the runner.
    static let hidden: [(name: String, command: Subcommand)] = [
        ("__read-foreign", Subcommand(summary: "", usage: ReadForeignCommand.usage, run: ReadForeignCommand.run)),
    ]

    static func run(_ arguments: [String]) async -> Int32 {
        guard let name = arguments.first else {
            printError(usage)
            return ExitCode.usage
        }
        if ["-h", "--help", "help"].contains(name) {
            print(usage)
            return ExitCode.ok
        }
        guard let subcommand = (subcommands + hidden).first(where: { $0.name == name })?.command else {
            printError("containertool: unknown subcommand '\(name)'\n\n\(usage)")
            return ExitCode.usage
        }
        do {
            try await subcommand.run(Array(arguments.dropFirst()))
            return ExitCode.ok
        } catch let error as UsageError {
            let usageLine = subcommand.usage.split(separator: "\n").first.map(String.init) ?? ""
            printError("containertool \(name): \(error.description)\n\(usageLine)\nRun `containertool \(name) --help` for all options.")
            return ExitCode.usage
        } catch is AlreadyReported {
            return ExitCode.failure
        } catch {
            printError("containertool \(name): \(error)")
            return ExitCode.failure
        }
    }
}

/// The exit codes of `containertool`.
enum ExitCode {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
}
