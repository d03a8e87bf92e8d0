import ContainerImage

/// What the image holds and declares besides the binary, as `containertool build` takes it. The
/// rendered Dockerfile reproduces the same file tree and config from these, or refuses (with
/// `DockerfileRendererError.cannotHonour`) what a `docker build` cannot reproduce.
public struct ImageContents: Sendable, Equatable {
    /// A file or folder of the build context copied into the image; here `source` is relative to
    /// the build context (the folder of the Dockerfile).
    public typealias Resource = ImageSpec.Resource

    public var labels: [String: String] = [:]
    /// `KEY=VALUE` entries, in order.
    public var environment: [String] = []
    /// `PORT/PROTO` entries; nil means `EXPOSE <port>` of `DockerfileOptions.port`, if any.
    public var exposedPorts: [String]?
    public var workingDirectory: String?
    public var command: [String]?
    /// Exec-form health check command (without the leading `CMD`).
    public var healthcheck: [String]?
    public var resources: [Resource] = []
    /// PEM files of the build context whose certificates are appended to the CA bundle.
    public var caFiles: [String] = []
    public var timeZoneData: AddOnChoice = .auto
    public var caCertificates: AddOnChoice = .auto
    public var resourceBundles = true
    /// `SOURCE_DATE_EPOCH`: the `org.opencontainers.image.created` label, as containertool sets it.
    public var sourceDateEpoch = 0
    /// Built on a base image (`--from`): the base's /etc/passwd, /etc/group and /tmp are kept, so
    /// the rootfs stage writes none of them (as `containertool build --from` adds none).
    public var onBase = false

    public init() {}

    /// Checks that every value can be written into a Dockerfile line and means there what it means
    /// to `containertool build`.
    public func validate() throws {
        for entry in environment {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw DockerfileRendererError.cannotHonour(option: "--env \(entry)", reason: "it must be KEY=VALUE")
            }
            try Self.requireKey(String(entry[..<equals]), option: "--env")
            try Self.requireSingleLine(entry, option: "--env")
        }
        for (key, value) in labels {
            try Self.requireSingleLine(key + value, option: "--label \(key)")
            guard !key.isEmpty else { throw DockerfileRendererError.cannotHonour(option: "--label", reason: "a label needs a key") }
        }
        if let workingDirectory {
            try Self.requirePlainPath(workingDirectory, option: "--workdir")
        }
        for word in (command ?? []) + (healthcheck ?? []) {
            try Self.requireSingleLine(word, option: "--cmd/--healthcheck")
        }
        for resource in resources {
            try Self.requirePlainPath(resource.source, option: "--resource \(resource.source)")
            try Self.requirePlainPath(resource.destination, option: "--resource \(resource.source)")
        }
        for file in caFiles { try Self.requirePlainPath(file, option: "--ca-file \(file)") }
        _ = try addOnChoices()
    }

    /// The add-on choices once `--resource` destinations are known, decided as `ImageAddOns` decides.
    func addOnChoices() throws -> (timeZoneData: AddOnChoice, caCertificates: AddOnChoice) {
        let destinations = resources.map(\.destination)
        let timeZone = try UserProvidedPaths.effectiveChoice(
            timeZoneData, path: TimeZoneData.imagePath, option: "--tzdata", resourceDestinations: destinations)
        let ca = try UserProvidedPaths.effectiveChoice(
            caCertificates, path: CABundle.imagePath, option: "--ca-certificates/--ca-file", resourceDestinations: destinations,
            appending: !caFiles.isEmpty)
        if ca == .off && !caFiles.isEmpty && UserProvidedPaths.provides(CABundle.imagePath, destinations) {
            throw AddOnError.conflictsWithResource(path: CABundle.imagePath, option: "--ca-file")
        }
        return (timeZone, ca)
    }

    static func requireKey(_ key: String, option: String) throws {
        guard key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }) else {
            throw DockerfileRendererError.cannotHonour(option: "\(option) \(key)", reason: "the key must be letters, digits, '_', '.' or '-'")
        }
    }

    static func requireSingleLine(_ text: String, option: String) throws {
        guard !text.contains(where: { $0 == "\n" || $0 == "\r" }) else {
            throw DockerfileRendererError.cannotHonour(option: option, reason: "a value with a line break does not fit a Dockerfile line")
        }
    }

    /// COPY treats `*?[` as patterns, `$` as a variable and `\` as an escape; WORKDIR has no JSON form.
    static func requirePlainPath(_ path: String, option: String) throws {
        let special: Set<Character> = ["*", "?", "[", "]", "$", "\\", "\"", "\n", "\r", "\t", " "]
        guard !path.isEmpty, !path.contains(where: special.contains) else {
            throw DockerfileRendererError.cannotHonour(option: option, reason: "the path has a space or one of * ? [ ] $ \\ \" that a Dockerfile would not take literally")
        }
    }

    /// `path` (absolute, on the host) relative to the build context `root`, refused when it is outside
    /// it or in a folder the rendered `.dockerignore` keeps out of the context.
    public static func contextRelativePath(_ path: String, contextRoot root: String, option: String) throws -> String {
        let root = root.hasSuffix("/") ? String(root.dropLast()) : root
        guard path.hasPrefix(root + "/") else {
            throw DockerfileRendererError.cannotHonour(option: "\(option) \(path)", reason: "it is outside the build context \(root); move it into the package")
        }
        let relative = String(path.dropFirst(root.count + 1))
        if DockerfileRenderer.isIgnoredByDockerignore(relative) {
            throw DockerfileRendererError.cannotHonour(option: "\(option) \(path)", reason: "the rendered .dockerignore keeps it out of the build context (\(DockerfileRenderer.ignoredContextPatterns.joined(separator: " ")))")
        }
        return relative
    }
}
