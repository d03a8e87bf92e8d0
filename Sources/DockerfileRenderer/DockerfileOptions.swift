import OCIModel
import ContainerImage

/// What varies between rendered Dockerfiles: each property is one placeholder (or feeds several).
public struct DockerfileOptions: Sendable, Equatable {
    /// The executable product to build and run; the binary lands at `/<product>` in the image.
    public var product: String
    /// MAJOR.MINOR of the Swift toolchain for the builder stage.
    public var swiftVersion: String
    /// The builder stage's image; `nil` means the official `swift:<swiftVersion>-bookworm`.
    public var builderImage: String?
    /// The port the image declares with `EXPOSE`; nil declares none (as `containertool build` without
    /// `--expose`: a command-line tool listens nowhere).
    public var port: Int?
    /// The numeric user the container runs as.
    public var userID: Int
    public var groupID: Int
    public var buildMode: BuildMode
    /// Everything else the image holds and declares, as `containertool build` takes it.
    public var contents: ImageContents
    /// The runtime stage's base (`--from`, a registry reference); nil is `scratch`.
    public var baseImage: String?
    /// `--user` was given; on a base without it, no `USER` line is written and the base's user stays.
    public var userIsExplicit = false

    public static let defaultPort = 8080
    public static let defaultUserID = 65532

    public init(
        product: String,
        swiftVersion: String = ToolchainVersion.current,
        builderImage: String? = nil,
        port: Int? = nil,
        userID: Int = DockerfileOptions.defaultUserID,
        groupID: Int = DockerfileOptions.defaultUserID,
        buildMode: BuildMode = .standard,
        contents: ImageContents = ImageContents()
    ) {
        self.product = product
        self.swiftVersion = swiftVersion
        self.builderImage = builderImage
        self.port = port
        self.userID = userID
        self.groupID = groupID
        self.buildMode = buildMode
        self.contents = contents
    }

    /// The builder image actually used: the override, or the official image matching `swiftVersion`.
    public var effectiveBuilderImage: String {
        builderImage ?? "swift:\(swiftVersion)-bookworm"
    }

    /// Checks every value before it reaches a Dockerfile, where a bad one would only fail at `docker build`.
    public func validate() throws {
        let productCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        guard !product.isEmpty, product.allSatisfy(productCharacters.contains), !product.hasPrefix(".") else {
            throw DockerfileRendererError.invalidProductName(product)
        }
        if let port, !(1...65535).contains(port) { throw DockerfileRendererError.invalidPort(String(port)) }
        guard userID >= 0, groupID >= 0 else { throw DockerfileRendererError.invalidUser("\(userID):\(groupID)") }
        let versionParts = swiftVersion.split(separator: ".", omittingEmptySubsequences: false)
        guard versionParts.count == 2, versionParts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else {
            throw DockerfileRendererError.invalidSwiftVersion(swiftVersion)
        }
        if let builderImage {
            guard !builderImage.isEmpty, !builderImage.contains(where: { $0.isWhitespace || $0 == "\"" }) else {
                throw DockerfileRendererError.invalidBuilderImage(builderImage)
            }
        }
        if let baseImage {
            // The reference grammar: nothing that continues the line (`\`), expands (`$`) or holds a credential reaches FROM.
            do { _ = try ImageReference(parsing: baseImage) } catch {
                throw DockerfileRendererError.invalidBaseImage(error.reference)
            }
        }
        try contents.validate()
    }

    /// The placeholder values for `TemplateRenderer`.
    public var placeholderValues: [String: String] {
        [
            "PRODUCT": product,
            "PRODUCT_TAG": product.lowercased(),
            "SWIFT_VERSION": swiftVersion,
            "BUILDER_IMAGE": effectiveBuilderImage,
            "BASE_IMAGE": baseImage ?? "scratch",
            "PORT": String(port ?? DockerfileOptions.defaultPort),  // (custom templates' `-p` hints)
            "USER": "\(userID):\(groupID)",
            "USER_ID": String(userID),
            "GROUP_ID": String(groupID),
            "BUILD_MODE": buildMode.rawValue,
            "BUILD_COMMAND": buildMode.swiftBuildCommand(product: product),
            "LINK_TRACE_SCRIPT": BuildMode.linkTraceRecording(product: product),
            "COLLECT_RESOURCE_BUNDLES": contents.resourceBundleCollection(product: product),
            "ROOTFS_COPIES": contents.rootfsCopies(),
            "ROOTFS_SCRIPT": contents.rootfsScript(product: product),
            "IMAGE_CONFIG": contents.configLines(product: product, port: port,
                                                 user: baseImage != nil && !userIsExplicit ? nil : "\(userID):\(groupID)"),
        ]
    }

    /// The placeholders a template must have for the options given: a template without them would
    /// silently build an image that lacks what was asked for.
    public var requiredPlaceholders: [(name: String, option: String)] {
        var required: [(String, String)] = []
        let defaults = ImageContents()
        if baseImage != nil { required.append(("BASE_IMAGE", "--from")) }
        if !contents.labels.isEmpty { required.append(("IMAGE_CONFIG", "--label")) }
        if !contents.environment.isEmpty { required.append(("IMAGE_CONFIG", "--env")) }
        if contents.exposedPorts != nil { required.append(("IMAGE_CONFIG", "--expose")) }
        if contents.workingDirectory != nil { required.append(("IMAGE_CONFIG", "--workdir")) }
        if contents.command != nil { required.append(("IMAGE_CONFIG", "--cmd")) }
        if contents.healthcheck != nil { required.append(("IMAGE_CONFIG", "--healthcheck")) }
        if !contents.resources.isEmpty { required += [("ROOTFS_COPIES", "--resource"), ("ROOTFS_SCRIPT", "--resource")] }
        if !contents.caFiles.isEmpty { required += [("ROOTFS_COPIES", "--ca-file"), ("ROOTFS_SCRIPT", "--ca-file")] }
        if contents.timeZoneData != defaults.timeZoneData { required.append(("ROOTFS_SCRIPT", "--tzdata/--no-tzdata")) }
        if contents.caCertificates != defaults.caCertificates { required.append(("ROOTFS_SCRIPT", "--ca-certificates/--no-ca-certificates")) }
        return required
    }
}

extension DockerfileOptions {
    /// Parses `UID:GID` (both numeric) into a user and group ID.
    public static func parseUser(_ text: String) throws -> (userID: Int, groupID: Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let uid = Int(parts[0]), let gid = Int(parts[1]), uid >= 0, gid >= 0 else {
            throw DockerfileRendererError.invalidUser(text)
        }
        return (uid, gid)
    }

    /// Parses a port number from 1 to 65535.
    public static func parsePort(_ text: String) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw DockerfileRendererError.invalidPort(text) }
        return port
    }
}
