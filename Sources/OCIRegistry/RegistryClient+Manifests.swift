import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension RegistryClient {
    /// `PUT /v2/<repo>/manifests/<reference>` with the manifest's own media type;
    /// returns the digest the registry stored it under (`Docker-Content-Digest`).
    func putManifest(_ manifest: Data, mediaType: String, reference tagOrDigest: String) async throws -> String? {
        try await withRetry("uploading the manifest") {
            var request = URLRequest(url: url("manifests/\(tagOrDigest)"))
            request.httpMethod = "PUT"
            request.setValue(mediaType, forHTTPHeaderField: "Content-Type")
            let (data, response) = try await send(request, body: manifest)
            guard response.statusCode == 201 || response.statusCode == 200 else {
                throw failure("uploading the manifest \(tagOrDigest)", response, data, bytes: Int64(manifest.count))
            }
            return response.header("Docker-Content-Digest")
        }
    }

    /// `HEAD /v2/<repo>/manifests/<reference>` → its `Docker-Content-Digest`, or nil when absent.
    func manifestDigest(reference tagOrDigest: String) async throws -> String? {
        try await withRetry("checking the manifest") {
            var request = URLRequest(url: url("manifests/\(tagOrDigest)"))
            request.httpMethod = "HEAD"
            request.setValue(MediaType.acceptedManifests, forHTTPHeaderField: "Accept")
            let (data, response) = try await send(request)
            switch response.statusCode {
            case 200: return response.header("Docker-Content-Digest")
            case 404: return nil
            default: throw failure("checking the manifest \(tagOrDigest)", response, data)
            }
        }
    }
}
