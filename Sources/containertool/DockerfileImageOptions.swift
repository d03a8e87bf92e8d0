import ContainerImage
import DockerfileRenderer
import Foundation

/// The image options `containertool dockerfile` shares with `containertool build`, parsed by the same
/// rules, so the rendered Dockerfile builds the image the plugin builds for the same command line.
struct DockerfileImageOptions {
    var contents = ImageContents()
    /// Host paths as given; made relative to the build context once it is known.
    var resources: [ImageSpec.Resource] = []
    var caFiles: [String] = []
    var flags: Set<String> = []
    /// `--name`: the Dockerfile's binary is always /PRODUCT, so another name is refused.
    var name: String?

    static let valueOptions = AddOnOptions.valueOptions.union(["--label", "--env", "--expose", "--workdir", "--cmd", "--healthcheck", "--resource", "--name"])
    /// Accepted without effect, so a caller can pass the options it gives `containertool build`
    /// unchanged: `--bundle-shared-libraries` (the Dockerfile's binary is static, so, as with the
    /// plugin's static build, there is nothing to bundle) and `--insecure-registry` (push only).
    static let flagOptions: Set<String> = AddOnOptions.flags.union(["--bundle-shared-libraries", "--insecure-registry"])

    static let usage = """
        image options (as for `containertool build`; the Dockerfile reproduces them or refuses):
          --label K=V, --env K=V, --expose PORT[/PROTO], --workdir DIR, --cmd ARG, --healthcheck ARG
          --name NAME                only the product's own name: the Dockerfile's binary is /PRODUCT
          --resource SRC[:DEST]      SRC (and a --ca-file) must be inside the build context (--context,
                                     else the Dockerfile's folder), and not kept out by .dockerignore
        \(AddOnOptions.usage)
        """

    /// Takes one option (and its value) if it is an image option; false otherwise.
    mutating func take(_ option: String, value next: () throws -> String) throws -> Bool {
        if Self.flagOptions.contains(option) {
            flags.insert(option)
            return true
        }
        guard Self.valueOptions.contains(option) else { return false }
        let value = try next()
        switch option {
        case "--label":
            let (key, labelValue) = try BuildCommand.keyValue(value, option: option)
            contents.labels[key] = labelValue
        case "--env":
            _ = try BuildCommand.keyValue(value, option: option)
            contents.environment.append(value)
        case "--expose": contents.exposedPorts = (contents.exposedPorts ?? []) + [try BuildCommand.exposedPort(value)]
        case "--workdir":
            guard value.hasPrefix("/") else { throw UsageError("--workdir '\(value)' must be an absolute path, e.g. /app") }
            contents.workingDirectory = value
        case "--cmd": contents.command = (contents.command ?? []) + [value]
        case "--healthcheck": contents.healthcheck = (contents.healthcheck ?? []) + [value]
        case "--resource": resources.append(try BuildCommand.resource(value))
        case "--ca-file": caFiles.append(BuildCommand.absolutePath(value))
        case "--name": name = value
        default: return false
        }
        return true
    }

    /// The contents for a Dockerfile whose build context is `contextRoot`: context-relative paths,
    /// add-on choices, `SOURCE_DATE_EPOCH`. CA files are checked as `containertool build` checks them.
    func resolved(contextRoot: String, environment: [String: String]) throws -> ImageContents {
        var contents = contents
        let parsed = CommandLineParser.Result(flags: flags)
        contents.timeZoneData = try AddOnOptions.choice(parsed, on: "--tzdata", off: "--no-tzdata")
        contents.caCertificates = try AddOnOptions.choice(parsed, on: "--ca-certificates", off: "--no-ca-certificates")
        contents.resourceBundles = !flags.contains("--no-resource-bundles")
        contents.resources = try resources.map {
            ImageContents.Resource(
                source: try ImageContents.contextRelativePath($0.source, contextRoot: contextRoot, option: "--resource"),
                destination: $0.destination)
        }
        contents.caFiles = try caFiles.map { file in
            _ = try CABundle.certificates(inPEMFile: file)
            return try ImageContents.contextRelativePath(file, contextRoot: contextRoot, option: "--ca-file")
        }
        if let epoch = environment["SOURCE_DATE_EPOCH"], !epoch.isEmpty {
            guard let seconds = Int(epoch), seconds >= 0 else { throw UsageError("SOURCE_DATE_EPOCH='\(epoch)' must be a non-negative number of seconds") }
            contents.sourceDateEpoch = seconds
        }
        return contents
    }
}
