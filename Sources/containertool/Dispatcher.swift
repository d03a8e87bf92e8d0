/// Routes `containertool SUBCOMMAND …` to the subcommand's file.
enum Dispatcher {
    static let usage = """
        usage: containertool <subcommand> [options]

        subcommands:
          build        assemble a scratch image from an executable (no Docker daemon needed)
          inspect      print digest, size and config summary of an image
          dockerfile   render Dockerfile.template into a multi-stage Dockerfile
          sbom         write an SPDX 2.3 JSON SBOM for a product
          digest       print the sha256 of files (like sha256sum)
          resolve      list or pin the swift://PRODUCT images in Kubernetes manifests
          kubernetes   render starter Kubernetes manifests (Deployment + Service) for a product

        Run `containertool <subcommand> --help` for its options.
        """

    static func run(_ arguments: [String]) async -> Int32 {
        guard let subcommand = arguments.first else {
            printError(usage)
            return ExitCode.usage
        }
        let rest = Array(arguments.dropFirst())
        switch subcommand {
        case "build": return await BuildCommand.run(rest)
        case "inspect": return await InspectCommand.run(rest)
        case "dockerfile": return await DockerfileCommand.run(rest)
        case "sbom": return await SBOMCommand.run(rest)
        case "digest": return await DigestCommand.run(rest)
        case "resolve": return await ResolveCommand.run(rest)
        case "kubernetes": return await KubernetesCommand.run(rest)
        case "-h", "--help", "help":
            print(usage)
            return ExitCode.ok
        default:
            printError("containertool: unknown subcommand '\(subcommand)'\n\n\(usage)")
            return ExitCode.usage
        }
    }
}

/// The exit codes every subcommand uses.
enum ExitCode {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
}
