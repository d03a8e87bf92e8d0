import GeneratedFiles
import OCIModel
import ContainerImage
import DockerfileRenderer
import Foundation

/// `containertool dockerfile`: renders Dockerfile.template into a multi-stage Dockerfile and a
/// `.dockerignore`, never replacing a hand-written file unless `--force` is given.
enum DockerfileCommand {
    static let usage = """
        usage: containertool dockerfile --product NAME [options]

        Renders Dockerfile.template into a multi-stage Dockerfile: a builder stage on the official
        Swift image, a release build of NAME that is fully static and stripped, and a `scratch`
        runtime stage with the binary at /NAME, /etc/passwd and /etc/group for the non-root user.
        Also writes a .dockerignore that keeps .build, .git and dist out of the build context.

        options:
          --product NAME         executable product to build and run (required)
          --template PATH        template to render (default: ./Dockerfile.template if it exists,
                                 else the one shipped with swift-containerize)
          --output PATH          where to write the Dockerfile (default: ./Dockerfile)
          --dockerignore PATH    where to write the .dockerignore (default: in the context)
          --context DIR          the build context `docker build` gets, where Package.swift is
                                 (default: the Dockerfile's folder); --resource paths are taken in it
          --builder-image IMG    builder stage image (default: swift:<swift-version>-bookworm)
          --swift-version X.Y    Swift version of the builder image (default: \(ToolchainVersion.current),
                                 the toolchain that built this tool)
          --port N               port to EXPOSE (default: none; --expose replaces it)
          --user UID:GID         numeric user to run as (default: 65532:65532, named nonroot; with
                                 --from: the base's user)
          --from REF             the runtime stage's base image (a registry reference; default: scratch);
                                 the base's /etc/passwd, /etc/group and /tmp are kept
          --embedded             build the product as Embedded Swift (no runtime floor; ~700 KB)
          --force                overwrite files that lack the generated-file marker line
          --stdout               print the Dockerfile to standard output and write nothing
          --dry-run              check the options and that the files may be written, write nothing
          --describe-options     print this command's option table as JSON (for the plugin)
          --json                 print the result as one JSON object: template, buildMode, builderImage,
                                 files [{path, outcome}] (outcome: created|updated|unchanged|keptHandWritten)
          -h, --help             show this help

        \(DockerfileImageOptions.usage)

        A rendered file starts with the marker line
          \(GeneratedFile.marker)
        Files with it are regenerated on every run; a Dockerfile without it is left alone (error,
        exit 1) unless --force is given; a .dockerignore without it is kept as it is.

        Template placeholders: {{PRODUCT}} {{PRODUCT_TAG}} (lowercased product) {{SWIFT_VERSION}}
        {{BUILDER_IMAGE}} {{PORT}} {{USER}} (UID:GID) {{USER_ID}} {{GROUP_ID}} {{BUILD_MODE}}
        (standard|embedded) {{BUILD_COMMAND}} (the full `swift build` line, writing the link trace)
        {{LINK_TRACE_SCRIPT}} (the link-trace stage: trace and dpkg database for `sbom`) {{COLLECT_RESOURCE_BUNDLES}}
        (shell appended to that RUN) {{ROOTFS_COPIES}} {{ROOTFS_SCRIPT}} (the rootfs stage) {{IMAGE_CONFIG}}
        (LABEL/ENV/EXPOSE/USER/WORKDIR/HEALTHCHECK/CMD). Any other {{NAME}} is an error; a template
        without the placeholder an option needs is refused.

        Exit status: 0 ok, 1 failure, 2 usage error.
        """

    /// The parsed command line.
    struct Arguments {
        var product: String?
        var template: String?
        var output = "Dockerfile"
        var dockerignore: String?
        var context: String?
        var builderImage: String?
        var baseImage: String?
        var userIsExplicit = false
        var swiftVersion = ToolchainVersion.current
        var port: Int?
        var user = (userID: DockerfileOptions.defaultUserID, groupID: DockerfileOptions.defaultUserID)
        var embedded = false
        var force = false
        var toStandardOutput = false
        var dryRun = false
        var json = false
        var help = false
        var image = DockerfileImageOptions()
    }

    static let parser = CommandLineParser(
        valueOptions: DockerfileImageOptions.valueOptions.union(
            ["--product", "--template", "--output", "--dockerignore", "--context", "--builder-image", "--swift-version", "--port", "--user", "--from"]),
        flags: DockerfileImageOptions.flagOptions.union(["--embedded", "--force", "--stdout", "--dry-run", "--json", "--describe-options"])
    )

    static func run(_ arguments: [String]) async throws {
        if arguments.contains("--describe-options") { return print(String(decoding: try CanonicalJSON.encode(parser.optionTable), as: UTF8.self)) }
        let parsed = try parse(arguments)
        if parsed.help { return print(usage) }
        try render(parsed)
    }

    static func parse(_ arguments: [String]) throws(UsageError) -> Arguments {
        let options = try parser.parse(arguments)
        var parsed = Arguments()
        parsed.help = options.wantsHelp
        parsed.product = options.last("--product")
        parsed.template = options.last("--template")
        parsed.output = options.last("--output") ?? parsed.output
        parsed.dockerignore = options.last("--dockerignore")
        parsed.context = options.last("--context")
        parsed.builderImage = options.last("--builder-image")
        parsed.baseImage = options.last("--from").flatMap { $0 == BaseOption.scratch ? nil : $0 }
        parsed.userIsExplicit = options.last("--user") != nil
        if let base = parsed.baseImage, ["oci-layout:", "oci-archive:", "docker-archive:"].contains(where: { base.hasPrefix($0) }) {
            throw UsageError(DockerfileRendererError.invalidBaseImage(base).description)
        }
        parsed.swiftVersion = options.last("--swift-version") ?? parsed.swiftVersion
        do {
            if let port = options.last("--port") { parsed.port = try DockerfileOptions.parsePort(port) }
            if let user = options.last("--user") { parsed.user = try DockerfileOptions.parseUser(user) }
        } catch {
            throw UsageError("\(error)")
        }
        do {
            for option in DockerfileImageOptions.valueOptions.sorted() {
                for value in options.all(option) { _ = try parsed.image.take(option, value: { value }) }
            }
            for flag in DockerfileImageOptions.flagOptions where options.has(flag) { _ = try parsed.image.take(flag, value: { "" }) }
        } catch let error as UsageError {
            throw error
        } catch {
            throw UsageError("\(error)")
        }
        parsed.embedded = options.has("--embedded")
        parsed.force = options.has("--force")
        parsed.toStandardOutput = options.has("--stdout")
        parsed.dryRun = options.has("--dry-run")
        parsed.json = options.has("--json")
        if parsed.product == nil && !parsed.help {
            throw UsageError("--product NAME is required")
        }
        return parsed
    }

    private static func render(_ arguments: Arguments) throws {
        if let name = arguments.image.name, name != arguments.product {
            throw DockerfileRendererError.cannotHonour(option: "--name \(name)", reason: "its binary is /\(arguments.product ?? "")")
        }
        var options = DockerfileOptions(
            product: arguments.product ?? "",
            swiftVersion: arguments.swiftVersion,
            builderImage: arguments.builderImage,
            port: arguments.port,
            userID: arguments.user.userID,
            groupID: arguments.user.groupID,
            buildMode: arguments.embedded ? .embedded : .standard,
            contents: try arguments.image.resolved(
                contextRoot: arguments.context.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
                    ?? URL(fileURLWithPath: arguments.output).standardizedFileURL.deletingLastPathComponent().path,
                environment: ProcessInfo.processInfo.environment)
        )
        options.baseImage = arguments.baseImage
        options.userIsExplicit = arguments.userIsExplicit
        options.contents.onBase = arguments.baseImage != nil
        let currentDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let templateURL = DockerfileTemplate.locate(explicit: arguments.template, packageRoot: currentDirectory)
        let dockerfile = try DockerfileRenderer.renderDockerfile(
            template: try DockerfileTemplate.read(templateURL), options: options)

        if arguments.toStandardOutput {
            print(dockerfile, terminator: "")
            return
        }
        let dockerfileURL = URL(fileURLWithPath: arguments.output).standardizedFileURL
        let dockerignoreURL = arguments.dockerignore.map { URL(fileURLWithPath: $0).standardizedFileURL }
            ?? (arguments.context.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? dockerfileURL.deletingLastPathComponent())
                .appendingPathComponent(".dockerignore")  // docker reads it at the context's root
        let files = [
            GeneratedFile(url: dockerfileURL, contents: dockerfile, handWrittenPolicy: .refuse),
            GeneratedFile(url: dockerignoreURL, contents: DockerfileRenderer.renderDockerignore(), handWrittenPolicy: .keep),
        ]
        let outcomes = try GeneratedFileWriter.write(files, force: arguments.force, dryRun: arguments.dryRun)
        if arguments.json {
            let report = ToolContract.DockerfileReport(
                template: templateURL.path, buildMode: options.buildMode.rawValue, builderImage: options.effectiveBuilderImage,
                dryRun: arguments.dryRun, files: zip(files, outcomes).map { .init(path: $0.url.path, outcome: $1.rawValue) })
            print(String(decoding: try CanonicalJSON.encode(report), as: UTF8.self))
            return
        }
        print((arguments.dryRun ? "would render " : "rendered ") + "\(templateURL.path) (\(options.buildMode.rawValue) build of \(options.product) on \(options.effectiveBuilderImage))")
        for (file, outcome) in zip(files, outcomes) {
            print("  \(file.url.path): \(describe(outcome))")
        }
    }

    private static func describe(_ outcome: WriteOutcome) -> String {
        switch outcome {
        case .created: return "created"
        case .updated: return "updated"
        case .unchanged: return "unchanged"
        case .keptHandWritten: return "kept (hand-written, no marker line; check that it excludes .build)"
        }
    }
}
