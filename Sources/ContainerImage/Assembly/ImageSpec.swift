/// Everything that goes into a `scratch` image around one executable (layered by `ImageLayerKind`).
public struct ImageSpec: Sendable {
    /// A host file or directory copied into the image.
    public struct Resource: Sendable, Equatable {
        public var source: String
        /// Absolute path inside the image.
        public var destination: String
        /// The image folder that symlinks inside the copy must stay in (default: `destination`
        /// itself). Set when several resources form one tree, as the time-zone entries do.
        public var symlinkBoundary: String?
        /// The layer it goes in: `.resources`, or `.addOns` for add-ons copied as files (tzdata).
        public var layer: ImageLayerKind
        public init(source: String, destination: String, symlinkBoundary: String? = nil, layer: ImageLayerKind = .resources) {
            self.source = source
            self.destination = destination
            self.symlinkBoundary = symlinkBoundary
            self.layer = layer
        }
    }

    public var executablePath: String
    /// The binary's name inside the image: it lands at `/<name>` and is the entrypoint.
    public var name: String
    public var labels: [String: String] = [:]
    public var environment: [String] = []
    /// `PORT/PROTO` keys, e.g. `8080/tcp`.
    public var exposedPorts: [String] = []
    public var user: String = ImageAssembler.nonrootUser
    public var workingDirectory: String?
    public var command: [String]?
    public var resources: [Resource] = []
    /// Host CA bundle to copy to `/etc/ssl/certs/ca-certificates.crt`.
    public var caCertificatesPath: String?
    public var bundleSharedLibraries = false
    /// Exec-form health check command (without the leading `CMD`).
    public var healthcheck: [String]?
    /// Files made rather than copied (add-ons: the CA bundle, /etc/localtime), in the add-ons layer; see `ImageAddOns`.
    public var generatedFiles: [TarEntry] = []
    /// Seconds since the epoch used for `created` and every file time (`SOURCE_DATE_EPOCH`).
    public var sourceDateEpoch: Int = 0
    /// The image to build on (`--from`); nil builds on scratch.
    public var base: BaseImage?
    /// `--user` was given: it wins over a base image's user (see `BaseImage.inherit`).
    public var userIsExplicit = false

    public init(executablePath: String, name: String) {
        self.executablePath = executablePath
        self.name = name
    }
}
