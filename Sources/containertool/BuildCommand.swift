import OCIModel
import ContainerImage
import Foundation
import OCIRegistry

/// `containertool build`: executable → scratch image → one or more destinations, no daemon.
enum BuildCommand {
    static let usage = """
        usage: containertool build --executable [OS/ARCH=]PATH --output KIND:DEST [--output KIND:DEST ...] [options]

        Packages one executable as a scratch container image, byte-for-byte reproducible.

          --executable PATH          the (static) executable to package (required)
          --executable OS/ARCH=PATH  one executable per platform (repeatable, e.g. linux/arm64=PATH):
                                       an OCI image index over one image per platform; each ELF
                                       machine must match its platform
          --platform OS/ARCH         the platform a docker-archive output holds (required when
                                       several are given: docker load takes one); with a plain
                                       --executable PATH, checks that PATH is built for it
          --output KIND:DEST         where to write the image (required, repeatable):
                                       oci-layout:DIR | oci-archive:FILE | docker-archive:FILE |
                                       registry:HOST[:PORT]/REPO[:TAG] |
                                       engine:docker|podman|auto (load into the local engine,
                                       streamed: no archive file is written)
          --tag NAME:TAG             image name and tag (default: <name lowercased>:latest)
          --name NAME                binary name inside the image, at /NAME (default: basename of PATH)
          --label K=V                image label (repeatable)
          --env K=V                  environment variable (repeatable)
          --expose PORT[/tcp|/udp]   exposed port (repeatable)
          --user UID:GID             user to run as (default: 65532:65532, `nonroot`)
          --workdir DIR              working directory (absolute)
          --cmd ARG                  default argument after the entrypoint (repeatable)
          --resource SRC[:DEST]      copy a file or directory into the image (default DEST: /basename)
        \(BaseOption.usage)
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
        valueOptions: (["--executable", "--platform", "--output", "--tag", "--name", "--label", "--env", "--expose", "--user", "--workdir",
                        "--cmd", "--resource", "--healthcheck", "--from"] as Set<String>).union(AddOnOptions.valueOptions),
        flags: (["--bundle-shared-libraries", "--json", "--dry-run", "--describe-options"] as Set<String>).union(AddOnOptions.flags)
    ).addingRegistryOptions()

    /// Everything the command line asked for, validated.
    struct Request {
        var spec: ImageSpec
        var tag: ImageReference
        var destinations: [any ImageDestination]
        var json: Bool
        var addOns = AddOnRequest()
        /// One executable per declared platform (`--executable linux/arm64=PATH`): an image index.
        /// Empty for a plain `--executable PATH` (one image manifest).
        var platformExecutables: [(platform: Platform, path: String)] = []
        /// `--platform`: what a docker archive holds (index builds), or what the one executable must be.
        var platform: Platform?
        /// `--from`: the base image, resolved per platform once the executables are known.
        var base: BaseOption.Source?
        var registry: RegistryOptions
        var environment: [String: String] = [:]
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
        let elf = try ImageAssembler.inspectExecutable(request.spec.executablePath)  // its errors first: not found, a folder, not ELF
        if request.platformExecutables.isEmpty, let platform = request.platform {
            try PlatformCheck.check(elf, at: request.spec.executablePath, declaredAs: platform)
        }
        for (platform, path) in request.platformExecutables {
            try PlatformCheck.check(try ImageAssembler.inspectExecutable(path), at: path, declaredAs: platform)
        }
        if !request.platformExecutables.isEmpty {
            let addOns = try ImageAddOns.apply(request.addOns, to: &request.spec)
            AddOnOptions.printReports(addOns)
            return try await runIndexBuild(request, addOns: addOns, started: started)
        }
        if let base = request.base {
            request.spec.base = try await BaseOption.resolve(base, platform: Platform(architecture: elf.architecture, os: "linux", variant: elf.variant),
                                                             registry: request.registry, environment: request.environment)
        }
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

    /// `--executable OS/ARCH=PATH …`: one image per platform (the executable's layer on top of
    /// the layers the platforms share, stored once), an index over them for OCI outputs and registries, and the
    /// `--platform` image for a docker archive.
    static func runIndexBuild(_ request: Request, addOns: [AddOnReport], started: Date) async throws {
        do {
            let localPaths = request.destinations.filter { !$0.isIrreversible }.map(\.destination)
            let layerDirectory = localPaths.first.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? NSTemporaryDirectory()
            var builders: [ImageBuilder] = []
            defer { for builder in builders { builder.removeLayerFiles() } }
            // Each platform builds on the base's image for that platform, all from one resolution of its tag.
            let platforms = request.platformExecutables.map(\.platform)
            var bases: [BaseImage]?
            if let base = request.base {
                bases = try await BaseOption.resolve(base, platforms: platforms, registry: request.registry, environment: request.environment)
            }
            for (offset, (_, path)) in request.platformExecutables.enumerated() {
                var spec = request.spec
                spec.executablePath = path
                spec.base = bases?[offset]
                builders.append(try ImageBuilder(spec, layerDirectory: layerDirectory))
            }
            try InputGuard.refuseOverwriting(inputs: request.platformExecutables.map(\.path) + builders.flatMap(\.inputFiles),
                                             directories: request.spec.resources.map(\.source), outputs: localPaths)
            let chosen = request.platform.flatMap { wanted in request.platformExecutables.firstIndex { $0.platform.matches(wanted) } } ?? 0
            let tag = request.tag
            let all = builders
            let indexAnnotations = bases?.first?.manifestAnnotations
            let staged = try await OutputStager.stageAll(request.destinations) { destination in
                if holdsOnePlatform(destination) {
                    let image = try all[chosen].image(layerCompression: destination.layerCompression)
                    return OutputStager.Staged(image: image, output: try await destination.stage(image, tag: tag))
                }
                let index = try MultiPlatformImage(images: try all.map { try $0.image(layerCompression: destination.layerCompression) },
                                                   annotations: indexAnnotations)
                return OutputStager.Staged(image: index.images[0], output: try await destination.stage(index, tag: tag), index: index)
            }
            try StagedOutput.commitAll(staged.map(\.output))
            let written = zip(request.destinations, staged).map {
                WrittenOutput(destination: $0, image: $1.image, pushed: $1.output.pushedReference, index: $1.index)
            }
            for output in written {
                printError("containertool: wrote \(output.destination.kind):\(output.shownDestination) \(output.digest) (\(output.size) bytes)")
            }
            printError("containertool: done in \(milliseconds(since: started)) ms")
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
        let written = zip(request.destinations, staged).map { WrittenOutput(destination: $0, image: $1.image, pushed: $1.output.pushedReference) }
        for output in written {
            printError("containertool: wrote \(output.destination.kind):\(output.shownDestination) \(output.image.digest) (\(output.image.compressedSize) bytes)")
        }
        printError("containertool: done in \(milliseconds(since: started)) ms")
        return written
    }

    static func makeRequest(_ parsed: CommandLineParser.Result, environment: [String: String]) throws -> Request {
        guard let executable = parsed.last("--executable") else { throw UsageError("missing --executable PATH") }
        let outputs = parsed.all("--output")
        guard !outputs.isEmpty else { throw UsageError("missing --output KIND:DEST (oci-layout:DIR, oci-archive:FILE, docker-archive:FILE or registry:HOST/REPO[:TAG])") }
        let platformExecutables = try platformExecutables(parsed.all("--executable"))
        var platform: Platform?
        if let text = parsed.last("--platform") {
            do { platform = try Platform(parsing: text) } catch { throw UsageError("--platform: \(error)") }
        }

        let executablePath = platformExecutables.first?.path ?? absolutePath(executable)
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
            spec.userIsExplicit = true
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
        if !platformExecutables.isEmpty {
            if let platform, !platformExecutables.contains(where: { $0.platform.matches(platform) }) {
                throw UsageError("--platform \(platform.name) is not one of the --executable platforms (\(platformExecutables.map(\.platform.name).joined(separator: ", ")))")
            }
            if platform == nil, platformExecutables.count > 1, destinations.contains(where: holdsOnePlatform) {
                throw UsageError("a docker-archive or engine output holds one platform (docker load takes one); choose it with --platform, e.g. --platform \(platformExecutables[0].platform.name)")
            }
        }
        return Request(spec: spec, tag: tag, destinations: destinations, json: parsed.has("--json"),
                       addOns: try AddOnOptions.request(parsed, environment: environment),
                       platformExecutables: platformExecutables, platform: platform,
                       base: try parsed.last("--from").flatMap(BaseOption.parse), registry: registryOptions, environment: environment)
    }

    /// `--executable OS/ARCH=PATH` values, in order; empty for one plain `--executable PATH`.
    static func platformExecutables(_ values: [String]) throws -> [(platform: Platform, path: String)] {
        let declared = try values.map { value -> (platform: Platform, path: String)? in
            guard let equals = value.firstIndex(of: "="), value[..<equals].contains("/"), !value[..<equals].hasPrefix("/"),
                  !value[..<equals].hasPrefix("."), !FileManager.default.fileExists(atPath: absolutePath(value)) else { return nil }
            let platform: Platform
            do { platform = try Platform(parsing: String(value[..<equals])) } catch { throw UsageError("--executable \(value): \(error)") }
            let path = String(value[value.index(after: equals)...])
            guard !path.isEmpty else { throw UsageError("--executable \(value) names no file; write OS/ARCH=PATH, e.g. linux/arm64=.build-arm64/release/App") }
            return (platform, absolutePath(path))
        }
        if declared.allSatisfy({ $0 == nil }) { return [] }
        guard declared.allSatisfy({ $0 != nil }) else {
            throw UsageError("either give every --executable a platform (--executable linux/arm64=PATH) or give one plain --executable PATH")
        }
        let entries = declared.compactMap { $0 }
        for (index, entry) in entries.enumerated() where entries[..<index].contains(where: { $0.platform.matches(entry.platform) }) {
            throw UsageError("--executable \(entry.platform.name)= is given twice; give one executable per platform")
        }
        return entries
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
        case "engine": return EngineDestination(choice: target)
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
            throw UsageError("--output kind '\(kind)' is unknown; use oci-layout, oci-archive, docker-archive, registry or engine")
        }
    }

    /// Outputs that hold one image, not an index: a Docker archive, and a local engine (its `load` takes a Docker archive).
    static func holdsOnePlatform(_ destination: any ImageDestination) -> Bool {
        destination is DockerArchiveDestination || destination is EngineDestination
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
        guard !text.isEmpty else {  // an unset shell variable; as "" it would be the current folder
            throw UsageError("--resource '' must be SRC[:DEST] with an absolute DEST, e.g. Public:/public")
        }
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
        /// The index written, for outputs of an index build that hold one.
        var index: MultiPlatformImage?

        var digest: String { index?.digest ?? image.digest }
        /// The path or reference; for an engine output, the engine it went into (`auto` resolved).
        var shownDestination: String { destination is EngineDestination ? pushed ?? destination.destination : destination.destination }
        var size: Int { index?.compressedSize ?? image.compressedSize }
    }

    /// One layer of the summary, bottom first: `layer #2 (sha256:…, 4001451 bytes): containerize: resources`.
    static func layerLine(_ index: Int, _ layer: ToolContract.BuildReport.Layer) -> String {
        "layer #\(index + 1) (\(layer.digest), \(layer.size) bytes): \(layer.createdBy)"
    }

    static func report(_ written: [WrittenOutput], request: Request, addOns: [AddOnReport] = []) {
        guard let main = written.first(where: { $0.index != nil }) ?? written.first(where: { $0.destination.layerCompression == .gzip }) ?? written.first else { return }
        let first = main.image
        let pushed = written.filter { $0.destination.kind == "registry" }.compactMap(\.pushed)
        func layerReports(_ image: Image) -> [ToolContract.BuildReport.Layer] {
            zip(image.layers, image.layerDescriptions).map { ToolContract.BuildReport.Layer(createdBy: $1, digest: $0.blob.digest, size: $0.blob.size) }
        }
        let platforms = main.index.map { index in
            index.images.map { ToolContract.BuildReport.PlatformImage(platform: $0.platform.name, digest: $0.digest, configDigest: $0.configBlob.digest,
                                                                      size: $0.compressedSize, layers: layerReports($0)) }
        }
        let layers = layerReports(first)
        if request.json {
            let report = ToolContract.BuildReport(
                digest: main.digest, configDigest: first.configBlob.digest, compressedSize: main.size,
                uncompressedSize: first.uncompressedSize, tag: request.tag.familiarDescription,
                outputs: written.map { .init(kind: $0.destination.kind, destination: $0.shownDestination, digest: $0.digest, size: $0.size) },
                pushed: pushed, addOns: addOns.map { .init(kind: $0.kind, path: $0.path, size: $0.size, detail: $0.detail) },
                indexDigest: main.index?.digest, platforms: platforms, layers: layers)
            print(String(decoding: (try? CanonicalJSON.encode(report)) ?? [], as: UTF8.self))
            return
        }
        print("image \(request.tag.familiarDescription) \(main.digest)\(main.index == nil ? "" : " (image index)")")
        for platform in platforms ?? [] {
            print("  \(platform.platform): \(platform.digest) (\(platform.size) bytes, image ID \(platform.configDigest))")
            for (number, layer) in (platform.layers ?? []).enumerated() { print("    " + layerLine(number, layer)) }
        }
        if platforms == nil {
            print("  image ID (config): \(first.configBlob.digest), \(first.uncompressedSize) bytes uncompressed")
            for (number, layer) in layers.enumerated() { print("  " + layerLine(number, layer)) }
        }
        for output in written {
            let layers = output.destination.layerCompression == .none ? "plain tar layers" : "gzip layers"
            let which = output.index == nil && main.index != nil ? ", \(output.image.platform.name)" : ""
            print("  \(output.destination.kind): \(output.shownDestination) \(output.digest) (\(output.size) bytes, \(layers)\(which))")
        }
        for reference in pushed { print("  pushed: \(reference)") }
        for addOn in addOns { print("  add-on \(addOn.kind): \(addOn.path) (\(addOn.size) bytes)") }
    }
}
