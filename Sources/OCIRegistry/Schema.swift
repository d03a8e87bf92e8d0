// The parts of the OCI image-spec and distribution-spec wire formats the push needs.

/// A content descriptor: what a blob or manifest is, by digest and size.
struct Descriptor: Codable, Sendable, Equatable {
    var mediaType: String
    var digest: String
    var size: Int64
}

/// `index.json` of an OCI image layout (and an image index in general).
struct ImageIndex: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var manifests: [Descriptor]
}

/// An image manifest: one config blob and the layer blobs.
struct ImageManifest: Codable, Sendable {
    var schemaVersion: Int
    var mediaType: String?
    var config: Descriptor
    var layers: [Descriptor]
}

/// Media types the push uses.
enum MediaType {
    static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    static let ociIndex = "application/vnd.oci.image.index.v1+json"
    static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// What a manifest PUT/HEAD accepts back.
    static let acceptedManifests = [ociManifest, dockerManifest, ociIndex, dockerManifestList].joined(separator: ", ")
}

/// The `errors` body of a distribution-spec error response.
struct RegistryErrorBody: Decodable {
    struct Entry: Decodable {
        var code: String?
        var message: String?
    }
    var errors: [Entry]?

    /// `CODE: message; …`, or nil when the body is not such a document.
    var summary: String? {
        guard let errors, !errors.isEmpty else { return nil }
        return errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
    }
}

/// The token endpoint's answer in the bearer flow (`token`, or OAuth2's `access_token`).
struct TokenResponse: Decodable {
    var token: String?
    var access_token: String?
    var bearer: String? { token ?? access_token }
}
