import ContainerImage
import Foundation
import OCIRegistry

/// `containertool build`: executable → scratch image → one or more destinations, no daemon.
enum BuildCommand {
    static let usage = """
        usage: containertool build --executable PATH --output KIND:DEST [--output KIND:DEST ...] [options]

        Packages one executable as a scratch container image, byte-for-byte reproducible.

          --executable PATH          the (static) executable to package (required)
          --output KIND:DEST         where to write the image (required, repeatable):
                                       oci-layout:DIR | oci-archive:FILE | docker-archive:FILE |
                                       registry:HOST[:PORT]/REPO[:TAG]
          --tag NAME:TAG             image name and tag (default: <name lowercased>:latest)
          --name NAME                binary name inside the image, at /NAME (default: basename of PATH)
          --label K=V                image label (repeatable)
          --env K=V                  environment variable (repeatable)
          --expose PORT[/tcp|/udp]   exposed port (repeatable)
          --user UID:GID             user to run as (default: 65532:65532, `nonroot`)
          --workdir DIR              working directory (absolute)
          --cmd ARG                  default argument after the entrypoint (repeatable)
          --resource SRC[:DEST]      copy a file or directory into the image (default DEST: /basename)
        \(AddOnOptions.usage)
          --bundle-shared-libraries  copy the shared libraries and loader of a dynamic executable
          --healthcheck ARG          exec-form health check command word (repeatable)
        \(RegistryOptions.usage)
          --json                     print the result as one JSON object
          --dry-run                  check every option, reference and output path, then stop: nothing
                                     is read or written (the plugin runs this before it compiles)
          --describe-options         print this command's option table as JSON (for the plugin)
          -h, --help                 show this help

        SOURCE_DATE_EPOCH (seconds) sets the creation time and every file time (default 0).
        docker-archive keeps plain tar layers (as docker save does); the other outputs gzip them, so
        their manifest digests differ while the config (image ID) is the same. Outputs appear only
        when all of them succeeded; registry pushes run last.
        Progress goes to stderr, the result to stdout. Exit codes: 0 ok, 1 failure, 2 usage.
        """

    static let parser = CommandLineParser(
        valueOptions: (["--executable", "--output", "--tag", "--name", "--label", "--env", "--expose", "--user", "--workdir",
                        "--cmd", "--resource", "--healthcheck"] as Set<String>).union(AddOnOptions.valueOptions),
        flags: (["--bundle-shared-libraries", "--json", "--dry-run", "--describe-options"] as Set<String>).union(AddOnOptions.flags)
    ).addingRegistryOptions()

    /// Everything the command line asked for, validated.
    struct Request {
        var spec: ImageSpec
        var tag: ImageReference
        var destinations: [any ImageDestination]
        var json: Bool
        var addOns = AddOnRequest()
    }

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        if parsed.has("--describe-options") { return print(String(decoding: try CanonicalJSON.encode(parser.optionTable), as: UTF8.self)) }
        var request = try makeRequest(parsed, environment: ProcessInfo.processInfo.environment)
        for destination in request.destinations { try destination.checkWritable() }
        if parsed.has("--dry-run") {
            printError("containertool: options checked: \(request.destinations.count) output(s), tag \(request.tag.familiarDescription)")
            return
        }
        let started = Date()
        _ = try ImageAssembler.inspectExecutable(request.spec.executablePath)  // its errors first: not found, a folder, not ELF
        let addOns = try ImageAddOns.apply(request.addOns, to: &request.spec)
        AddOnOptions.printReports(addOns)
        do {
            let localPaths = request.destinations.filter { !$0.isIrreversible }.map(\.destination)
            // Layers are streamed once to a temporary file beside the first local output (so an
            // OCI layout there can hard-link it), else in the temporary directory.
            let layerDirectory = localPaths.first.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? NSTemporaryDirectory()
            let builder = try ImageBuilder(request.spec, layerDirectory: layerDirectory)
            defer { builder.removeLayerFiles() }
            try InputGuard.refuseOverwriting(inputs: [request.spec.executablePath] + builder.inputFiles,
                                             directories: request.spec.resources.map(\.source), outputs: localPaths)
            let written = try await writeAllOrNothing(request, builder: builder, started: started)
            report(written, request: request, addOns: addOns)
        } catch let error as UsageError {
            throw error
        } catch {
            throw BuildHints.Hinted(error)
        }
    }

    /// Stages every output (local ones first and concurrently, registry pushes last), then
    /// commits them all together; if anything fails, nothing is left behind.
    static func writeAllOrNothing(_ request: Request, builder: ImageBuilder, started: Date) async throws -> [WrittenOutput] {
        let staged = try await OutputStager.stageAll(request.destinations, builder: builder, tag: request.tag)
        try StagedOutput.commitAll(staged.map(\.output))
        for (destination, entry) in zip(request.destinations, staged) {
            printError("containertool: wrote \(destination.kind):\(destination.destination) \(entry.image.digest) (\(entry.image.compressedSize) bytes)")
        }
        printError("containertool: done in \(milliseconds(since: started)) ms")
        return zip(request.destinations, staged).map { WrittenOutput(destination: $0, image: $1.image, pushed: $1.output.pushedReference) }
    }

    static func makeRequest(_ parsed: CommandLineParser.Result, environment: [String: String]) throws -> Request {
        guard let executable = parsed.last("--executable") else { throw UsageError("missing --executable PATH") }
        let outputs = parsed.all("--output")
        guard !outputs.isEmpty else { throw UsageError("missing --output KIND:DEST (oci-layout:DIR, oci-archive:FILE, docker-archive:FILE or registry:HOST/REPO[:TAG])") }

        let executablePath = absolutePath(executable)
        let name = parsed.last("--name") ?? URL(fileURLWithPath: executablePath).lastPathComponent
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { throw UsageError("--name '\(name)' must be a plain file name") }
        let tag: ImageReference
        do { tag = try ImageReference(parsing: parsed.last("--tag") ?? name.lowercased() + ":latest", allowDigest: false) } catch {
            throw UsageError("--tag: \(error)")
        }

        var spec = ImageSpec(executablePath: executablePath, name: name)
        for label in parsed.all("--label") {
            let (key, value) = try keyValue(label, option: "--label")
            spec.labels[key] = value
        }
        for variable in parsed.all("--env") {
            _ = try keyValue(variable, option: "--env")
            spec.environment.append(variable)
        }
        spec.exposedPorts = try parsed.all("--expose").map(exposedPort)
        if let user = parsed.last("--user") {
            let parts = user.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
                throw UsageError("--user '\(user)' must be UID[:GID] (e.g. 65532:65532) or a user name")
            }
            spec.user = user
        }
        if let workdir = parsed.last("--workdir") {
            guard workdir.hasPrefix("/") else { throw UsageError("--workdir '\(workdir)' must be an absolute path, e.g. /app") }
            spec.workingDirectory = workdir
        }
        let command = parsed.all("--cmd")
        spec.command = command.isEmpty ? nil : command
        let healthcheck = parsed.all("--healthcheck")
        spec.healthcheck = healthcheck.isEmpty ? nil : healthcheck
        spec.resources = try parsed.all("--resource").map(resource)
        spec.bundleSharedLibraries = parsed.has("--bundle-shared-libraries")
        do { spec.sourceDateEpoch = try SourceDateEpoch.from(environment: environment) ?? 0 } catch { throw UsageError(error.description) }

        let registryOptions = try RegistryOptions(parsed, environment: environment)
        let destinations = try outputs.map { try destination($0, tag: tag, registry: registryOptions) }
        var seen: Set<String> = []
        for destination in destinations where !seen.insert(destination.destination).inserted {
            throw UsageError("--output \(destination.destination) is given twice; write each output to its own path")
        }
        return Request(spec: spec, tag: tag, destinations: destinations, json: parsed.has("--json"),
                       addOns: try AddOnOptions.request(parsed, environment: environment))
    }

    static func destination(_ output: String, tag: ImageReference, registry: RegistryOptions) throws -> any ImageDestination {
        guard let colon = output.firstIndex(of: ":"), !output[output.index(after: colon)...].isEmpty else {
            throw UsageError("--output '\(output)' must be KIND:DEST, e.g. docker-archive:image.tar")
        }
        let kind = String(output[..<colon])
        let target = String(output[output.index(after: colon)...])
        switch kind {
        case "oci-layout": return OCILayoutDestination(path: absolutePath(target))
        case "oci-archive": return OCIArchiveDestination(path: absolutePath(target))
        case "docker-archive": return DockerArchiveDestination(path: absolutePath(target))
        case "registry":
            guard target.contains("/"), !target.hasPrefix("/") else {
                // Not echoed before an `@`: it may be USER:PASSWORD.
                let shown = target.firstIndex(of: "@").map { "…" + target[$0...] } ?? target
                throw UsageError("--output registry:\(shown) must be registry:HOST[:PORT]/REPO[:TAG], e.g. registry:localhost:5000/helloweb:1.0")
            }
            let reference = RegistryDestination.completing(target, with: tag)
            // Checked here, before anything is built or staged, with the pusher's own parser.
            do { _ = try RegistryReference(parsing: reference) } catch { throw UsageError("\(error)") }
            return RegistryDestination(reference: reference, options: registry)
        default:
            throw UsageError("--output kind '\(kind)' is unknown; use oci-layout, oci-archive, docker-archive or registry")
        }
    }

    static func keyValue(_ text: String, option: String) throws -> (String, String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw UsageError("\(option) '\(text)' must be KEY=VALUE")
        }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    static func exposedPort(_ text: String) throws -> String {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let proto = parts.count == 2 ? String(parts[1]).lowercased() : "tcp"
        guard (1...2).contains(parts.count), let port = Int(parts[0]), (1...65535).contains(port), ["tcp", "udp", "sctp"].contains(proto) else {
            throw UsageError("--expose '\(text)' must be PORT[/tcp|/udp], e.g. 8080/tcp")
        }
        return "\(port)/\(proto)"
    }

    static func resource(_ text: String) throws -> ImageSpec.Resource {
        let source: String
        let destination: String
        if let colon = text.lastIndex(of: ":") {
            source = String(text[..<colon])
            destination = String(text[text.index(after: colon)...])
            guard !source.isEmpty, destination.hasPrefix("/") else {
                throw UsageError("--resource '\(text)' must be SRC[:DEST] with an absolute DEST, e.g. Public:/public")
            }
        } else {
            source = text
            destination = "/" + URL(fileURLWithPath: text).lastPathComponent
        }
        return ImageSpec.Resource(source: absolutePath(source), destination: destination)
    }

    static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }

    static func milliseconds(since start: Date) -> Int { Int(Date().timeIntervalSince(start) * 1000) }

    /// One destination after writing: the image as stored there (docker archives keep plain
    /// tar layers, so their manifest digest differs from the gzip outputs; the config is the same).
    struct WrittenOutput {
        var destination: any ImageDestination
        var image: Image
        var pushed: String?
    }

    static func report(_ written: [WrittenOutput], request: Request, addOns: [AddOnReport] = []) {
        guard let first = (written.first { $0.destination.layerCompression == .gzip } ?? written.first)?.image else { return }
        let pushed = written.compactMap(\.pushed)
        if request.json {
            let report = ToolContract.BuildReport(
                digest: first.digest, configDigest: first.configBlob.digest, compressedSize: first.compressedSize,
                uncompressedSize: first.uncompressedSize, tag: request.tag.familiarDescription,
                outputs: written.map { .init(kind: $0.destination.kind, destination: $0.destination.destination, digest: $0.image.digest, size: $0.image.compressedSize) },
                pushed: pushed, addOns: addOns.map { .init(kind: $0.kind, path: $0.path, size: $0.size, detail: $0.detail) })
            print(String(decoding: (try? CanonicalJSON.encode(report)) ?? [], as: UTF8.self))
            return
        }
        print("image \(request.tag.familiarDescription) \(first.digest)")
        print("  image ID (config): \(first.configBlob.digest), \(first.uncompressedSize) bytes uncompressed")
        for output in written {
            let layers = output.destination.layerCompression == .none ? "plain tar layers" : "gzip layers"
            print("  \(output.destination.kind): \(output.destination.destination) \(output.image.digest) (\(output.image.compressedSize) bytes, \(layers))")
        }
        for reference in pushed { print("  pushed: \(reference)") }
        for addOn in addOns { print("  add-on \(addOn.kind): \(addOn.path) (\(addOn.size) bytes)") }
    }
}
