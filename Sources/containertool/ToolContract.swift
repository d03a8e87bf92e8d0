// The JSON that `containertool` prints for the plugin: one file, compiled into both. The plugin target
// (which cannot import a library) compiles this very file through the symlink
// Plugins/ContainerizePlugin/ToolContract.swift. Standard library only.

/// The JSON objects the plugin reads; `containertool` encodes them, the plugin decodes them.
enum ToolContract {
    /// `containertool build --json`. `digest` and `compressedSize` describe the image as a registry
    /// holds it: the first output with gzip layers (OCI layout, OCI archive, registry), else the first
    /// output. `configDigest` is the image ID `docker images` shows, the same in every output.
    struct BuildReport: Codable {
        struct Output: Codable {
            var kind: String
            var destination: String
            var digest: String
            var size: Int
        }
        /// What was added to the image because the binary needs it (`tzdata`, `ca-certificates`,
        /// `resource-bundle`): where it is in the image, its bytes before compression, and why.
        struct AddOn: Codable {
            var kind: String
            var path: String
            var size: Int
            var detail: String
        }
        var digest: String
        var configDigest: String
        var compressedSize: Int
        var uncompressedSize: Int
        var tag: String
        var outputs: [Output]
        var pushed: [String]
        var addOns: [AddOn]
        /// One image of an index build (`--executable OS/ARCH=PATH`): its platform, manifest digest,
        /// image ID, registry size and layers (the lower ones are the same blobs on every platform).
        struct PlatformImage: Codable {
            var platform: String
            var digest: String
            var configDigest: String
            var size: Int
            var layers: [Layer]? = nil
        }
        /// Index builds only: the image index digest (also `digest`), and each platform's image.
        var indexDigest: String? = nil
        var platforms: [PlatformImage]? = nil
        /// One layer of the reported image, bottom first: what it is (`containerize: resources`),
        /// its blob digest and stored size (an index build: the first platform's image).
        struct Layer: Codable {
            var createdBy: String
            var digest: String
            var size: Int
        }
        var layers: [Layer]? = nil
        /// A registry base named by tag, pinned to the digest the build resolved it to
        /// (`HOST/REPO:TAG@sha256:…`, what the image records as base.name and base.digest), so later
        /// steps (the release's SBOM) see the same base even if the tag moves; nil for scratch, a
        /// local base, or a base named by digest alone (its name is pinned already).
        var base: String? = nil
        /// The platform of the one image a single-platform build made (`linux/arm64/v8`: the
        /// executable's, which a cross build's Swift SDK decides); nil for an index (see `platforms`).
        var platform: String? = nil
    }

    /// `containertool build --describe-options`: what the plugin may pass through.
    struct OptionTable: Codable {
        var valueOptions: [String]
        var flags: [String]
    }

    /// `containertool build-flags --json`.
    struct BuildFlags: Codable {
        var mode: String
        var link: String
        var swiftBuildFlags: [String]
        var bundleSharedLibraries: Bool
        /// `--platform`, when given; `swiftSDK`: the Swift SDK the flags build through, if any.
        var platform: String? = nil
        var swiftSDK: String? = nil
        /// The platform containertool runs on (`linux/amd64`): a docker archive of several holds this one.
        var hostPlatform: String? = nil
        /// Flags that make the linker write what it used (for the SBOM), with `{prefix}` standing for
        /// the path the caller chooses: `{prefix}.link-inputs` and `{prefix}.why-extract`.
        var linkTraceFlags: [String]? = nil
    }

    /// `containertool attach --json`: one entry per file attached.
    struct AttachedReferrer: Codable {
        var artifactType: String
        var digest: String
        var viaReferrersAPI: Bool
        /// The OCI layout whose index.json now lists it; nil for a registry.
        var ociLayout: String? = nil
    }

    /// `containertool sign --json`.
    struct SignatureReport: Codable {
        var signatureTag: String
        var signatureManifest: String
        var payloadDigest: String
    }

    /// `containertool attest --json`.
    struct AttestationReport: Codable {
        /// `HOST/REPO:sha256-<hex>.att`.
        var attestationTag: String
        /// The attestation image's manifest digest after this attestation.
        var attestationManifest: String
        var predicateType: String
        /// The envelope layer's digest (a new one each time: ECDSA signatures differ), and its size.
        var envelopeDigest: String
        var envelopeBytes: Int
    }

    /// `containertool dockerfile --json`. `outcome`: created, updated, unchanged or keptHandWritten.
    struct DockerfileReport: Codable {
        struct File: Codable { var path: String; var outcome: String }
        var template: String
        var buildMode: String
        var builderImage: String
        var dryRun: Bool
        var files: [File]
    }
}
