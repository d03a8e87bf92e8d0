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
          --dockerignore PATH    where to write the .dockerignore (default: beside the Dockerfile)
          --builder-image IMG    builder stage image (default: swift:<swift-version>-bookworm)
          --swift-version X.Y    Swift version of the builder image (default: \(ToolchainVersion.current),
                                 the toolchain that built this tool)
          --port N               port to EXPOSE (default: \(DockerfileOptions.defaultPort); --expose replaces it)
          --user UID:GID         numeric user to run as (default: 65532:65532, named nonroot)
          --embedded             build the product as Embedded Swift (no runtime floor; ~700 KB)
          --force                overwrite files that lack the generated-file marker line
          --stdout               print the Dockerfile to standard output and write nothing
          -h, --help             show this help

        \(DockerfileImageOptions.usage)

        A rendered file starts with the marker line
          \(DockerfileRenderer.marker)
        Files with it are regenerated on every run; a Dockerfile without it is left alone (error,
        exit 1) unless --force is given; a .dockerignore without it is kept as it is.

        Template placeholders: {{PRODUCT}} {{PRODUCT_TAG}} (lowercased product) {{SWIFT_VERSION}}
        {{BUILDER_IMAGE}} {{PORT}} {{USER}} (UID:GID) {{USER_ID}} {{GROUP_ID}} {{BUILD_MODE}}
        (standard|embedded) {{BUILD_COMMAND}} (the full `swift build` line) {{COLLECT_RESOURCE_BUNDLES}}
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
        var builderImage: String?
        var swiftVersion = ToolchainVersion.current
        var port = DockerfileOptions.defaultPort
        var user = (userID: DockerfileOptions.defaultUserID, groupID: DockerfileOptions.defaultUserID)
        var embedded = false
        var force = false
        var toStandardOutput = false
        var help = false
        var image = DockerfileImageOptions()
    }

    /// A command-line mistake: printed with the usage, exit status 2.
    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: Arguments
        do {
            parsed = try parse(arguments)
        } catch {
            printError("containertool dockerfile: \(error)\n\n\(usage)")
            return ExitCode.usage
        }
        if parsed.help {
            print(usage)
            return ExitCode.ok
        }
        do {
            try render(parsed)
            return ExitCode.ok
        } catch {
            printError("containertool dockerfile: \(error)")
            return ExitCode.failure
        }
    }

    static func parse(_ arguments: [String]) throws -> Arguments {
        var parsed = Arguments()
        var remaining = arguments[...]
        func value(for option: String) throws -> String {
            guard let value = remaining.popFirst() else { throw UsageError(description: "\(option) needs a value") }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--product": parsed.product = try value(for: argument)
            case "--template": parsed.template = try value(for: argument)
            case "--output": parsed.output = try value(for: argument)
            case "--dockerignore": parsed.dockerignore = try value(for: argument)
            case "--builder-image": parsed.builderImage = try value(for: argument)
            case "--swift-version": parsed.swiftVersion = try value(for: argument)
            case "--port":
                do { parsed.port = try DockerfileOptions.parsePort(try value(for: argument)) } catch let error as DockerfileRendererError {
                    throw UsageError(description: error.description)
                }
            case "--user":
                do { parsed.user = try DockerfileOptions.parseUser(try value(for: argument)) } catch let error as DockerfileRendererError {
                    throw UsageError(description: error.description)
                }
            case "--embedded": parsed.embedded = true
            case "--force": parsed.force = true
            case "--stdout": parsed.toStandardOutput = true
            case "-h", "--help": parsed.help = true
            default:
                do {
                    guard try parsed.image.take(argument, value: { try value(for: argument) }) else {
                        throw UsageError(description: "unknown option '\(argument)'")
                    }
                } catch let error as containertool.UsageError {
                    throw UsageError(description: error.description)
                }
            }
        }
        if parsed.product == nil && !parsed.help {
            throw UsageError(description: "--product NAME is required")
        }
        return parsed
    }

    private static func render(_ arguments: Arguments) throws {
        let options = DockerfileOptions(
            product: arguments.product ?? "",
            swiftVersion: arguments.swiftVersion,
            builderImage: arguments.builderImage,
            port: arguments.port,
            userID: arguments.user.userID,
            groupID: arguments.user.groupID,
            buildMode: arguments.embedded ? .embedded : .standard,
            contents: try arguments.image.resolved(
                contextRoot: URL(fileURLWithPath: arguments.output).standardizedFileURL.deletingLastPathComponent().path,
                environment: ProcessInfo.processInfo.environment)
        )
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
            ?? dockerfileURL.deletingLastPathComponent().appendingPathComponent(".dockerignore")
        let files = [
            GeneratedFile(url: dockerfileURL, contents: dockerfile, handWrittenPolicy: .refuse),
            GeneratedFile(url: dockerignoreURL, contents: DockerfileRenderer.renderDockerignore(), handWrittenPolicy: .keep),
        ]
        let outcomes = try GeneratedFileWriter.write(files, force: arguments.force)
        print("rendered \(templateURL.path) (\(options.buildMode.rawValue) build of \(options.product) on \(options.effectiveBuilderImage))")
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
