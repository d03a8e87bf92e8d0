/// The OCI image-spec wire types shared by the image builder and the registry client (https://github.com/opencontainers/image-spec), plus the
/// Docker-only config fields that `docker run` honours (`Healthcheck`).

/// Media types of the OCI image spec, and Docker's equivalents that registries still serve.
public enum MediaType {
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageConfig = "application/vnd.oci.image.config.v1+json"
    public static let layerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// Layer media types a base image may use: kept as they are in our manifest (never recompressed).
    public static let gzipLayers: Set<String> = [layerTarGzip, dockerLayerGzip]
    public static let plainLayers: Set<String> = [layerTar, "application/vnd.docker.image.rootfs.diff.tar"]
    /// The empty JSON blob `{}` an artifact manifest names as its config (OCI image spec 1.1).
    public static let emptyJSON = "application/vnd.oci.empty.v1+json"
    /// What a manifest GET/HEAD accepts back from a registry.
    public static let acceptedManifests = [imageManifest, dockerManifest, imageIndex, dockerManifestList].joined(separator: ", ")
}

/// Standard annotation and label keys.
public enum AnnotationKey {
    public static let refName = "org.opencontainers.image.ref.name"
    /// The full image name containerd (and Docker's containerd image store) reads on import.
    public static let containerdImageName = "io.containerd.image.name"
    public static let created = "org.opencontainers.image.created"
    public static let title = "org.opencontainers.image.title"
    /// The base image as named (`host/repo:tag`), and the digest that name resolved to when the image was built.
    public static let baseName = "org.opencontainers.image.base.name"
    public static let baseDigest = "org.opencontainers.image.base.digest"
}

public struct Platform: Codable, Sendable, Equatable {
    public var architecture: String
    public var os: String
    public var variant: String?
    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// Same OS and architecture, and the same variant where both name one (`linux/arm64` is `linux/arm64/v8`).
    public func matches(_ other: Platform) -> Bool {
        os == other.os && architecture == other.architecture && (variant == nil || other.variant == nil || variant == other.variant)
    }

    /// `os/architecture[/variant]`, the form `init(parsing:)` reads.
    public var name: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }
}

/// A content descriptor: what a blob is, its digest and size.
public struct Descriptor: Codable, Sendable, Equatable {
    public var mediaType: String
    public var digest: String
    /// Bytes; int64 in the spec.
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?
    /// An artifact manifest's type, on its descriptor in a referrers index (OCI 1.1); absent otherwise.
    public var artifactType: String?
    public init(mediaType: String, digest: String, size: Int64, annotations: [String: String]? = nil, platform: Platform? = nil,
                artifactType: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
        self.artifactType = artifactType
    }
}

public struct ImageManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int = 2
    public var mediaType: String? = MediaType.imageManifest
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?
    /// OCI 1.1 artifacts: what the artifact is (`application/spdx+json`), and the manifest it is about.
    public var artifactType: String?
    public var subject: Descriptor?
    public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil,
                artifactType: String? = nil, subject: Descriptor? = nil) {
        self.config = config
        self.layers = layers
        self.annotations = annotations
        self.artifactType = artifactType
        self.subject = subject
    }
}

public struct ImageIndex: Codable, Sendable, Equatable {
    public var schemaVersion: Int = 2
    public var mediaType: String? = MediaType.imageIndex
    public var manifests: [Descriptor]
    public var annotations: [String: String]?
    public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.manifests = manifests
        self.annotations = annotations
    }
}

extension ImageIndex {
    /// Whether a media type names an image index (OCI or Docker's manifest list).
    public static func isIndex(_ mediaType: String) -> Bool { [MediaType.imageIndex, MediaType.dockerManifestList].contains(mediaType) }

    /// The image manifest entries (nested indexes, attestations without a platform and the like are left out).
    public var images: [Descriptor] { manifests.filter { ImageManifest.isManifest($0.mediaType) } }

    /// The entry for `platform` (see `Platform.matches`), or nil.
    public func image(for platform: Platform) -> Descriptor? {
        images.first { $0.platform.map { $0.matches(platform) } ?? false }
    }

    /// `linux/amd64, linux/arm64/v8`, or `none`: what an error about a missing platform lists.
    public var platformList: String {
        let names = images.compactMap(\.platform).filter { $0.os != "unknown" }.map(\.name)
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}

extension ImageManifest {
    /// Whether a media type names a single-image manifest (OCI or Docker v2 schema 2).
    public static func isManifest(_ mediaType: String) -> Bool { [MediaType.imageManifest, MediaType.dockerManifest].contains(mediaType) }

    /// The first layer whose media type a base image may not have (zstd, foreign, …): we pass on tar and tar+gzip only.
    public var unsupportedLayer: Descriptor? {
        layers.first { !MediaType.gzipLayers.contains($0.mediaType) && !MediaType.plainLayers.contains($0.mediaType) }
    }
}

/// An empty JSON object, the value type of `ExposedPorts` and `Volumes`.
public struct EmptyObject: Codable, Sendable, Equatable {
    public init() {}
}

/// Docker's health check, honoured by `docker run`; `Test` is `["CMD", executable, args…]`.
public struct HealthConfig: Codable, Sendable, Equatable {
    public var test: [String]
    public init(test: [String]) { self.test = test }
    enum CodingKeys: String, CodingKey { case test = "Test" }
}

/// The execution parameters of the image (`config` inside the image config).
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var user: String?
    public var exposedPorts: [String: EmptyObject]?
    public var env: [String]?
    public var entrypoint: [String]?
    public var cmd: [String]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var healthcheck: HealthConfig?
    /// Kept from a base image (we never set them ourselves).
    public var stopSignal: String?
    public var volumes: [String: EmptyObject]?

    public init(user: String? = nil, exposedPorts: [String: EmptyObject]? = nil, env: [String]? = nil, entrypoint: [String]? = nil,
                cmd: [String]? = nil, workingDir: String? = nil, labels: [String: String]? = nil, healthcheck: HealthConfig? = nil,
                stopSignal: String? = nil, volumes: [String: EmptyObject]? = nil) {
        self.user = user
        self.exposedPorts = exposedPorts
        self.env = env
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.workingDir = workingDir
        self.labels = labels
        self.healthcheck = healthcheck
        self.stopSignal = stopSignal
        self.volumes = volumes
    }

    enum CodingKeys: String, CodingKey {
        case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
        case workingDir = "WorkingDir", labels = "Labels", healthcheck = "Healthcheck", stopSignal = "StopSignal", volumes = "Volumes"
    }
}

public struct RootFS: Codable, Sendable, Equatable {
    public var type: String = "layers"
    public var diffIDs: [String]
    public init(diffIDs: [String]) { self.diffIDs = diffIDs }
    enum CodingKeys: String, CodingKey { case type, diffIDs = "diff_ids" }
}

public struct HistoryEntry: Codable, Sendable, Equatable {
    public var created: String?
    public var createdBy: String?
    public var comment: String?
    public var emptyLayer: Bool?
    public init(created: String?, createdBy: String?, comment: String? = nil, emptyLayer: Bool? = nil) {
        self.created = created
        self.createdBy = createdBy
        self.comment = comment
        self.emptyLayer = emptyLayer
    }
    enum CodingKeys: String, CodingKey { case created, createdBy = "created_by", comment, emptyLayer = "empty_layer" }
}

/// The image configuration blob.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var created: String?
    public var architecture: String
    public var variant: String?
    public var os: String
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [HistoryEntry]?

    public init(created: String?, architecture: String, variant: String? = nil, os: String, config: ContainerConfig?,
                rootfs: RootFS, history: [HistoryEntry]?) {
        self.created = created
        self.architecture = architecture
        self.variant = variant
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }
}

/// The Docker archive's `manifest.json` entry (what `docker save` writes and `docker load` reads).
public struct DockerArchiveManifestEntry: Codable, Sendable, Equatable {
    public var config: String
    public var repoTags: [String]?
    public var layers: [String]
    public init(config: String, repoTags: [String]?, layers: [String]) {
        self.config = config
        self.repoTags = repoTags
        self.layers = layers
    }
    enum CodingKeys: String, CodingKey { case config = "Config", repoTags = "RepoTags", layers = "Layers" }
}
