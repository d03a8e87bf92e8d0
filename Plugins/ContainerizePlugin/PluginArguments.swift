/// The command line of `swift package containerize`: the plugin's own options, plus image options
/// that go to `containertool build` unchanged.
struct PluginArguments {
    var product: String?
    var embedded = false
    var dockerfileOnly = false
    var noDockerfile = false
    var force = false
    var builderImage: String?
    var port: Int?
    var user: String?
    var verbose = false
    var help = false
    /// `--resolve FILE_OR_DIR` (repeatable) and `--kubernetes`: see KubernetesCommands.swift.
    var resolve: [String] = []
    var kubernetes = false
    /// `--output KIND:DEST` values, including those from `--push REF`.
    var outputs: [String] = []
    var tag: String?
    var exposes: [String] = []
    /// Every other `containertool build` option, in the order given.
    var passthrough: [String] = []

    /// `containertool build` options that take a value and repeat freely.
    static let passthroughValueOptions: Set<String> = [
        "--label", "--env", "--resource", "--workdir", "--cmd", "--healthcheck",
    ]
    /// `containertool build` flags without a value.
    static let passthroughFlags: Set<String> = ["--ca-certificates", "--bundle-shared-libraries", "--insecure-registry"]

    static func parse(_ arguments: [String]) throws -> PluginArguments {
        var parsed = PluginArguments()
        var remaining = ArraySlice(arguments)
        func value(_ option: String) throws -> String {
            guard let value = remaining.popFirst() else { throw PluginError.usage("\(option) needs a value") }
            return value
        }
        while let next = remaining.popFirst() {
            // `--option=value` is `--option value`; values themselves are never split
            // (`--cmd --port=9000` passes `--port=9000` to the product).
            var argument = next
            if next.hasPrefix("--"), let equals = next.firstIndex(of: "=") {
                argument = String(next[..<equals])
                remaining.insert(String(next[next.index(after: equals)...]), at: remaining.startIndex)
            }
            switch argument {
            case "--product": parsed.product = try value(argument)
            case "--embedded": parsed.embedded = true
            case "--dockerfile-only": parsed.dockerfileOnly = true
            case "--no-dockerfile": parsed.noDockerfile = true
            case "--force": parsed.force = true
            case "--builder-image": parsed.builderImage = try value(argument)
            case "--port":
                let text = try value(argument)
                guard let port = Int(text), (1...65535).contains(port) else {
                    throw PluginError.usage("--port needs a number from 1 to 65535, not '\(text)'")
                }
                parsed.port = port
            case "--user":
                let text = try value(argument)
                let ids = text.split(separator: ":", omittingEmptySubsequences: false)
                guard ids.count == 2, ids.allSatisfy({ UInt32($0) != nil }) else {
                    throw PluginError.usage("--user needs a numeric UID:GID such as 65532:65532, not '\(text)'")
                }
                parsed.user = text
            case "--push": parsed.outputs.append("registry:" + (try value(argument)))
            case "--output": parsed.outputs.append(try value(argument))
            case "--tag": parsed.tag = try value(argument)
            case "--expose": parsed.exposes.append(try value(argument))
            case "--resolve": parsed.resolve.append(try value(argument))
            case "--kubernetes": parsed.kubernetes = true
            case "--verbose", "-v": parsed.verbose = true
            case "--help", "-h": parsed.help = true
            case _ where passthroughValueOptions.contains(argument):
                parsed.passthrough += [argument, try value(argument)]
            case _ where passthroughFlags.contains(argument):
                parsed.passthrough.append(argument)
            default:
                throw PluginError.usage("unknown option '\(argument)'")
            }
        }
        if parsed.dockerfileOnly && parsed.noDockerfile {
            throw PluginError.usage("--dockerfile-only and --no-dockerfile exclude each other")
        }
        return parsed
    }


    static let help = """
        OVERVIEW: Build an executable product fully static and package it as a `scratch` container
        image without Docker, and render a multi-stage Dockerfile for teams that build with Docker.

        USAGE: swift package --allow-writing-to-package-directory containerize [options]

        The plugin writes the Dockerfile, .dockerignore and .build/containerize/ in your package,
        so SwiftPM needs --allow-writing-to-package-directory, placed BEFORE `containerize`.
        Without it SwiftPM asks for permission in a terminal, and elsewhere stops with
        "Plugin 'ContainerizePlugin' wants permission to write to the package directory"
        before the plugin runs: nothing is written. (This applies to --help too.)

        PRODUCT AND BUILD
          --product NAME          the executable product to containerize (default: the package's only
                                  executable product; with several, the error lists them)
          --embedded              build as Embedded Swift: no Swift runtime floor (a hello server is
                                  ~700 KB), but no Foundation, no existentials, no reflection
          --verbose, -v           show the full build log and the containertool commands

        DOCKERFILE (rendered from Dockerfile.template; a Dockerfile.template at your package root wins)
          --dockerfile-only       render Dockerfile and .dockerignore, build nothing
          --no-dockerfile         build the image only, leave Dockerfile and .dockerignore alone
          --force                 overwrite a Dockerfile that lacks the "# Generated by swift package
                                  containerize" marker line (a hand-written one is never replaced otherwise)
          --builder-image IMG     builder stage image (default: swift:<your toolchain's X.Y>-bookworm)
          --port N                port for EXPOSE and the default --expose N/tcp (default: 8080)

        IMAGE (passed to `containertool build`; see `containertool build --help`)
          --output KIND:DEST      where to write the image, repeatable; KIND is oci-layout:DIR,
                                  oci-archive:FILE, docker-archive:FILE or registry:HOST[:PORT]/REPO[:TAG]
                                  (default: docker-archive:.build/containerize/<product>.tar and
                                  oci-layout:.build/containerize/<product>-oci)
          --push REF              same as --output registry:REF
          --tag NAME:TAG          image name in the docker archive (default: <product lowercased>:latest)
          --label K=V             image label, repeatable
          --env K=V               environment variable, repeatable
          --expose PORT[/PROTO]   exposed port, repeatable (default: <port>/tcp)
          --resource SRC[:DEST]   copy a file or folder into the image, repeatable
          --user UID:GID          user to run as (default: 65532:65532, `nonroot`); also used in the Dockerfile
          --workdir DIR           working directory in the image
          --cmd ARG               default arguments after the entrypoint, repeatable
          --healthcheck ARG       exec-form HEALTHCHECK command, one argument per flag, repeatable
          --ca-certificates       add the host's CA bundle at /etc/ssl/certs/ca-certificates.crt
          --bundle-shared-libraries
                                  copy the shared-library closure of a dynamic binary into the image
          --insecure-registry     push over plain HTTP

        KUBERNETES
          --kubernetes            write starter manifests deploy/<product>.yaml (Deployment + Service with
                                  image: swift://<product>); never replaces a file without the marker line
                                  unless --force; builds nothing
          --resolve FILE_OR_DIR   with --push REGISTRY/PREFIX: build and push every product named by an
                                  `image: swift://PRODUCT` in the YAML (a folder: its .yaml/.yml/.json
                                  files), then print the YAML with each one replaced by
                                  REGISTRY/PREFIX/<product>@sha256:… (repeatable). Nothing is built or
                                  pushed unless every file parses and every product is an executable.

          --help, -h              show this help

        EXAMPLES
          swift package --allow-writing-to-package-directory containerize
          swift package --allow-writing-to-package-directory containerize --product HelloWeb --embedded
          swift package --allow-writing-to-package-directory containerize --dockerfile-only --port 9000
          swift package --allow-writing-to-package-directory containerize --push 127.0.0.1:5000/hello:1
          swift package --allow-writing-to-package-directory containerize --resolve deploy --push ghcr.io/me > resolved.yaml
        """
}
