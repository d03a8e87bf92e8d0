import OCIModel
import Foundation

/// A manifest or index as the registry sent it, checked against its digest.
struct FetchedManifest: Sendable {
    var data: Data
    var mediaType: String
    /// `sha256:…` of `data`.
    var digest: String
}

extension RegistryClient {
    /// `GET /v2/<repo>/manifests/<reference>` accepting OCI and Docker v2 manifests and indexes.
    /// The body is capped by the transport (a few MiB); a digest reference must match the bytes, and so
    /// must the registry's `Docker-Content-Digest` when it sends one.
    func fetchManifest(reference tagOrDigest: String) async throws -> FetchedManifest {
        let response = try await withRetry("fetching the manifest \(tagOrDigest)") {
            let response = try await send(HTTPRequest("GET", url("manifests/\(tagOrDigest)"), headers: [("Accept", MediaType.acceptedManifests)]))
            guard response.status == 200 else { throw failure("fetching the manifest \(tagOrDigest)", response) }
            return response
        }
        let digest = "sha256:" + SHA256.hash(response.body).hexString
        if tagOrDigest.hasPrefix("sha256:"), tagOrDigest != digest {
            throw RegistryError.contentMismatch(registry: reference.registry, digest: tagOrDigest, detail: "the manifest's bytes hash to \(digest)")
        }
        if let stated = response.header("Docker-Content-Digest"), stated.hasPrefix("sha256:"), stated != digest {
            throw RegistryError.contentMismatch(registry: reference.registry, digest: stated, detail: "the manifest's bytes hash to \(digest)")
        }
        let mediaType = (try? JSONDecoder().decode(MediaTypeField.self, from: response.body))?.mediaType
            ?? response.header("Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return FetchedManifest(data: response.body, mediaType: mediaType, digest: digest)
    }

    /// `GET /v2/<repo>/blobs/<digest>` streamed into `file` (created or truncated), hashed while it is
    /// written; redirects to a storage backend are followed per `RedirectPolicy`. The transfer stops as
    /// soon as the server sends more than `blob.size` bytes; a short or different body throws
    /// `RegistryError.contentMismatch` naming the digest. The caller deletes `file` on any error.
    func downloadBlob(_ blob: Descriptor, to file: String) async throws {
        do {
            try await withRetry("downloading blob \(blob.digest.shortDigest)") {
                let sink = try DownloadSink(path: file, limit: blob.size)
                var request = HTTPRequest("GET", url("blobs/\(blob.digest)"))
                request.download = sink
                let response = try await send(request)
                guard response.status == 200 else { throw failure("downloading blob \(blob.digest)", response) }
                guard sink.received == blob.size else {
                    throw RegistryError.contentMismatch(registry: reference.registry, digest: blob.digest,
                                                        detail: "it has \(sink.received) bytes, the manifest says \(blob.size)")
                }
                let received = sink.digest()
                guard received == blob.digest else {
                    throw RegistryError.contentMismatch(registry: reference.registry, digest: blob.digest, detail: "the bytes received hash to \(received)")
                }
            }
        } catch let failure as DownloadFailure {
            throw RegistryError.contentMismatch(registry: reference.registry, digest: blob.digest, detail: failure.detail)
        } catch let failure as TransportFailure {
            throw RegistryError.badResponse(registry: reference.registry, detail: "downloading blob \(blob.digest): \(failure)")
        }
    }
}

/// Just the `mediaType` of a manifest or index.
private struct MediaTypeField: Decodable {
    var mediaType: String?
}
