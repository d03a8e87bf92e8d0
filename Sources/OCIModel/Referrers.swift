import Foundation

/// One file attached to an image, and what it is (`application/spdx+json`, `application/vnd.in-toto+json`).
public struct ReferrerFile: Sendable {
    public var path: URL
    public var artifactType: String
    public init(path: URL, artifactType: String) {
        self.path = path
        self.artifactType = artifactType
    }
}

/// OCI 1.1 referrers: an artifact (an SBOM, a provenance statement) attached to an image by a
/// manifest whose `subject` is the image's manifest, and the distribution spec's fallback for
/// registries without the referrers API: an index under the tag `sha256-<hex>` listing them.
public enum Referrers {
    /// `{}`: the config every artifact manifest names.
    public static let emptyConfig: [UInt8] = Array("{}".utf8)
    public static var emptyConfigDescriptor: Descriptor {
        Descriptor(mediaType: MediaType.emptyJSON, digest: "sha256:" + SHA256.hash(emptyConfig).hexString, size: Int64(emptyConfig.count))
    }

    /// The artifact manifest for one blob: no timestamps, so the same inputs give the same digest.
    public static func artifactManifest(artifactType: String, blob: Descriptor, subject: Descriptor) -> ImageManifest {
        var subject = subject
        subject.annotations = nil
        subject.platform = nil
        subject.artifactType = nil
        return ImageManifest(config: emptyConfigDescriptor, layers: [blob], artifactType: artifactType, subject: subject)
    }

    /// The fallback tag of a subject: `sha256:abc…` → `sha256-abc…`.
    public static func fallbackTag(of digest: String) -> String { digest.replacingOccurrences(of: ":", with: "-") }

    /// The referrers index with `entry` in it: the entries other tools put there are kept, one with the
    /// same digest is replaced, and the order is by digest so that every writer converges on one index.
    public static func index(adding entry: Descriptor, to existing: ImageIndex?) -> ImageIndex {
        var manifests = (existing?.manifests ?? []).filter { $0.digest != entry.digest }
        manifests.append(entry)
        manifests.sort { $0.digest < $1.digest }
        return ImageIndex(manifests: manifests)
    }

    /// Whether an `index.json` entry of an OCI layout is a referrer rather than an image: it names
    /// an `artifactType` and carries no tag (`org.opencontainers.image.ref.name`), as oras-go's OCI
    /// store and `containertool attach oci-layout:…` write them. Readers that pick "the image" of a
    /// layout leave these out; writers keep them after the images, ordered by digest.
    public static func isLayoutReferrer(artifactType: String?, refName: String?) -> Bool {
        artifactType != nil && refName == nil
    }

    public static func isLayoutReferrer(_ entry: Descriptor) -> Bool {
        isLayoutReferrer(artifactType: entry.artifactType, refName: entry.annotations?[AnnotationKey.refName])
    }
}

extension ImageIndex {
    /// The entries of a layout's `index.json` that are not referrers (see `Referrers.isLayoutReferrer`).
    public var withoutReferrers: [Descriptor] { manifests.filter { !Referrers.isLayoutReferrer($0) } }
}
