import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension RegistryClient {
    /// `HEAD /v2/<repo>/blobs/<digest>`: whether the registry already has the blob.
    func blobExists(_ blob: Descriptor) async throws -> Bool {
        try await withRetry("checking blob \(blob.digest.shortDigest)") {
            var request = URLRequest(url: url("blobs/\(blob.digest)"))
            request.httpMethod = "HEAD"
            let (data, response) = try await send(request)
            switch response.statusCode {
            case 200: return true
            case 404: return false
            default: throw failure("checking blob \(blob.digest)", response, data)
            }
        }
    }

    /// Uploads the blob stored at `file`: in one `PUT` when it is at most `chunkSize` bytes,
    /// otherwise in `PATCH` chunks of `chunkSize` read from the file one at a time.
    /// A retry restarts the upload session.
    func uploadBlob(_ blob: Descriptor, from file: URL, chunkSize: Int) async throws {
        try await withRetry("uploading blob \(blob.digest.shortDigest)") {
            let location = try await startUpload(blob)
            if blob.size <= Int64(chunkSize) {
                let data: Data
                do { data = try Data(contentsOf: file) } catch {
                    throw RegistryError.invalidLayout(path: file.path, reason: "the blob cannot be read (\(error.localizedDescription))")
                }
                try await finishUpload(blob, location: location, body: data)
            } else {
                let last = try await uploadChunks(blob, from: file, location: location, chunkSize: chunkSize)
                try await finishUpload(blob, location: last, body: Data())
            }
        }
    }

    /// `POST /v2/<repo>/blobs/uploads/` → the upload session's `Location`.
    func startUpload(_ blob: Descriptor) async throws -> String {
        var request = URLRequest(url: url("blobs/uploads/"))
        request.httpMethod = "POST"
        let (data, response) = try await send(request, body: Data())
        guard response.statusCode == 202, let location = response.header("Location") else {
            throw failure("starting the upload of blob \(blob.digest)", response, data, bytes: blob.size)
        }
        return location
    }

    /// `PATCH` each `chunkSize` slice with `Content-Range: start-end`; returns the last `Location`.
    func uploadChunks(_ blob: Descriptor, from file: URL, location: String, chunkSize: Int) async throws -> String {
        let handle: FileHandle
        do { handle = try FileHandle(forReadingFrom: file) } catch {
            throw RegistryError.invalidLayout(path: file.path, reason: "the blob cannot be read (\(error.localizedDescription))")
        }
        defer { try? handle.close() }
        var location = location
        var offset: Int64 = 0
        var chunks = 0
        while offset < blob.size {
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            guard !chunk.isEmpty else {
                throw RegistryError.invalidLayout(path: file.path, reason: "the blob ended after \(offset) of \(blob.size) bytes")
            }
            var request = URLRequest(url: try uploadURL(location: location))
            request.httpMethod = "PATCH"
            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            request.setValue("\(offset)-\(offset + Int64(chunk.count) - 1)", forHTTPHeaderField: "Content-Range")
            let (data, response) = try await send(request, body: chunk)
            guard response.statusCode == 202, let next = response.header("Location") else {
                throw failure("uploading a chunk of blob \(blob.digest)", response, data, bytes: Int64(chunk.count))
            }
            location = next
            offset += Int64(chunk.count)
            chunks += 1
        }
        log("sent blob \(blob.digest.shortDigest) in \(chunks) chunks")
        return location
    }

    /// `PUT <location>&digest=…` with the remaining bytes (all of them for a monolithic upload).
    func finishUpload(_ blob: Descriptor, location: String, body: Data) async throws {
        var request = URLRequest(url: try uploadURL(location: location, appendingQuery: "digest=\(blob.digest)"))
        request.httpMethod = "PUT"
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await send(request, body: body)
        guard response.statusCode == 201 else {
            throw failure("completing the upload of blob \(blob.digest)", response, data, bytes: blob.size)
        }
        if let stored = response.header("Docker-Content-Digest"), stored != blob.digest {
            throw RegistryError.digestMismatch(expected: blob.digest, received: stored)
        }
    }
}

extension String {
    /// `sha256:0123456789ab` — enough to tell blobs apart in logs.
    var shortDigest: String { String(prefix("sha256:".count + 12)) }
}
