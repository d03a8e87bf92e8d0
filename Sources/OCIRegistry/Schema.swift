// The distribution-spec wire formats only the registry client needs. The image-spec types
// (Descriptor, ImageManifest, ImageIndex, MediaType) are OCIModel's, shared with ContainerImage.
import OCIModel

extension MediaType {
    /// Names the registry client used before the model was shared.
    static var ociManifest: String { imageManifest }
    static var ociIndex: String { imageIndex }
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
