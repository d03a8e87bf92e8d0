import OCIModel
import Foundation

extension RegistryClient {
    /// `HEAD /v2/<repo>/blobs/<digest>`: whether the registry already has the blob.
    func blobExists(_ blob: Descriptor) async throws -> Bool {
        try await withRetry("checking blob \(blob.digest.shortDigest)") {
            let response = try await send(HTTPRequest("HEAD", url("blobs/\(blob.digest)")))
            switch response.status {
            case 200: return true
            case 404: return false
            default: throw failure("checking blob \(blob.digest)", response)
            }
        }
    }

    /// What a cross-repository mount request got.
    enum MountResult: Equatable {
        case mounted
        /// The registry declined and opened an upload session at this `Location` instead.
        case declined(location: String?)
    }

    /// `POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<source>`: 201 means the registry linked the
    /// blob it already holds in `source` into this repository, without any upload.
    func mountBlob(_ blob: Descriptor, from source: String) async throws -> MountResult {
        try await withRetry("mounting blob \(blob.digest.shortDigest)") {
            var components = URLComponents(url: url("blobs/uploads/"), resolvingAgainstBaseURL: true)
            components?.queryItems = [URLQueryItem(name: "mount", value: blob.digest), URLQueryItem(name: "from", value: source)]
            guard let mountURL = components?.url else { return .declined(location: nil) }
            let response = try await send(HTTPRequest("POST", mountURL, body: Data()))
            switch response.status {
            case 201: return .mounted
            case 202: return .declined(location: response.header("Location"))
            default: return .declined(location: nil)
            }
        }
    }

    /// Uploads the blob stored at `file`: in one `PUT` when it is at most `chunkSize` bytes,
    /// otherwise in `PATCH` chunks of `chunkSize`. Either way the bytes are streamed from the file
    /// (see `HTTPBody.file`), never held in memory. The first attempt may use an already open upload
    /// `session` (a declined mount); a retry starts a new upload session and re-reads the file from its
    /// start. The file must keep the blob's size throughout, or the upload stops with
    /// `RegistryError.blobChanged` before the registry is asked to commit anything under the digest.
    func uploadBlob(_ blob: Descriptor, from file: URL, chunkSize: Int, session: String? = nil) async throws {
        var session = session
        do {
            try await withRetry("uploading blob \(blob.digest.shortDigest)") {
                let location: String
                if let open = session { location = open } else { location = try await startUpload(blob) }
                session = nil
                try checkSize(of: blob, at: file)
                if blob.size <= Int64(chunkSize) {
                    try await finishUpload(blob, location: location, body: .file(path: file.path, offset: 0, length: blob.size))
                } else {
                    let last = try await uploadChunks(blob, from: file, location: location, chunkSize: chunkSize)
                    try checkSize(of: blob, at: file)
                    try await finishUpload(blob, location: last, body: .data(Data()))
                }
            }
        } catch let failure as BodyFileFailure {
            throw RegistryError.blobChanged(path: failure.path, digest: blob.digest, detail: failure.detail)
        }
    }

    /// Throws `BodyFileFailure` unless the file at `file` has exactly the blob's size.
    private func checkSize(of blob: Descriptor, at file: URL) throws {
        var info = stat()
        guard stat(file.path, &info) == 0 else {
            throw BodyFileFailure(path: file.path, detail: "it cannot be examined (\(String(cString: strerror(errno))))")
        }
        guard Int64(info.st_size) == blob.size else {
            throw BodyFileFailure(path: file.path, detail: "it has \(info.st_size) bytes, the manifest says \(blob.size)")
        }
    }

    /// `POST /v2/<repo>/blobs/uploads/` → the upload session's `Location`.
    func startUpload(_ blob: Descriptor) async throws -> String {
        let response = try await send(HTTPRequest("POST", url("blobs/uploads/"), body: Data()))
        guard response.status == 202, let location = response.header("Location") else {
            throw failure("starting the upload of blob \(blob.digest)", response, bytes: blob.size)
        }
        return location
    }

    /// `PATCH` each `chunkSize` slice of the file, streamed from disk, with `Content-Range: start-end`;
    /// returns the last `Location`.
    func uploadChunks(_ blob: Descriptor, from file: URL, location: String, chunkSize: Int) async throws -> String {
        var location = location
        var offset: Int64 = 0
        var chunks = 0
        while offset < blob.size {
            let length = min(Int64(chunkSize), blob.size - offset)
            let request = HTTPRequest("PATCH", try uploadURL(location: location),
                                      headers: [("Content-Type", "application/octet-stream"),
                                                ("Content-Range", "\(offset)-\(offset + length - 1)")],
                                      streaming: .file(path: file.path, offset: offset, length: length))
            let response = try await send(request)
            guard response.status == 202, let next = response.header("Location") else {
                throw failure("uploading a chunk of blob \(blob.digest)", response, bytes: length)
            }
            location = next
            offset += length
            chunks += 1
        }
        log("sent blob \(blob.digest.shortDigest) in \(chunks) chunks")
        return location
    }

    /// `PUT <location>&digest=…` with the remaining bytes (all of them for a monolithic upload).
    func finishUpload(_ blob: Descriptor, location: String, body: HTTPBody) async throws {
        let request = HTTPRequest("PUT", try uploadURL(location: location, appendingQuery: "digest=\(blob.digest)"),
                                  headers: [("Content-Type", "application/octet-stream")], streaming: body)
        let response = try await send(request)
        guard response.status == 201 else {
            throw failure("completing the upload of blob \(blob.digest)", response, bytes: blob.size)
        }
        if let stored = response.header("Docker-Content-Digest"), stored != blob.digest {
            throw RegistryError.digestMismatch(what: "blob (\(blob.mediaType))", expected: blob.digest, received: stored)
        }
    }
}

extension String {
    /// `sha256:0123456789ab` — enough to tell blobs apart in logs.
    var shortDigest: String { String(prefix("sha256:".count + 12)) }
}
