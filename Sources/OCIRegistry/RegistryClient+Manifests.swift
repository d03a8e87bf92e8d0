import OCIModel
import Foundation

extension RegistryClient {
    /// `PUT /v2/<repo>/manifests/<reference>` with the manifest's own media type;
    /// returns the digest the registry stored it under (`Docker-Content-Digest`).
    func putManifest(_ manifest: Data, mediaType: String, reference tagOrDigest: String) async throws -> String? {
        try await putManifestReportingSubject(manifest, mediaType: mediaType, reference: tagOrDigest).digest
    }

    /// `putManifest`, also returning the `OCI-Subject` header: a registry with the referrers API
    /// sends it (the subject's digest) when the manifest has a `subject`.
    func putManifestReportingSubject(_ manifest: Data, mediaType: String, reference: String) async throws -> (digest: String?, subject: String?) {
        try await withRetry("uploading the manifest") {
            let response = try await send(HTTPRequest("PUT", url("manifests/\(reference)"), headers: [("Content-Type", mediaType)], body: manifest))
            guard response.status == 201 || response.status == 200 else {
                throw failure("uploading the manifest \(reference)", response, bytes: Int64(manifest.count))
            }
            return (response.header("Docker-Content-Digest"), response.header("OCI-Subject"))
        }
    }

    /// `HEAD /v2/<repo>/manifests/<reference>` → its `Docker-Content-Digest`, or nil when absent.
    func manifestDigest(reference tagOrDigest: String) async throws -> String? {
        try await withRetry("checking the manifest") {
            let response = try await send(HTTPRequest("HEAD", url("manifests/\(tagOrDigest)"), headers: [("Accept", MediaType.acceptedManifests)]))
            switch response.status {
            case 200: return response.header("Docker-Content-Digest")
            case 404: return nil
            default: throw failure("checking the manifest \(tagOrDigest)", response)
            }
        }
    }
}
