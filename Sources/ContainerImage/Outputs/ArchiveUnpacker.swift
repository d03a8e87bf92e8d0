import OCIModel
import Foundation

/// Unpacks the OCI layout inside an OCI archive or one of our Docker archives (`oci-layout`,
/// `index.json`, `blobs/sha256/<hex>`) into a directory, so `containertool push` can push an
/// archive as it pushes a layout. Only those names are taken: no other entry, no link, no path
/// outside the directory; blobs are streamed, never held in memory.
public enum ArchiveUnpacker {
    public static func unpackLayout(archive path: String, into directory: String) throws {
        let isGzip: Bool
        do { isGzip = try Gzip.isGzipFile(path) } catch {
            throw ImageReadError(opening: path, error)
        }
        if isGzip {
            throw ImageReadError.malformed(path, "it is gzip-compressed; gunzip it first (an OCI or Docker archive is a plain tar)")
        }
        let source = try TarFileImageSource(path: path)
        guard try source.size(of: "index.json") != nil else {
            let legacy = try source.size(of: "manifest.json") != nil
            throw ImageReadError.malformed(path, legacy
                ? "it is a Docker archive without index.json (docker save before Docker 25); push it with `skopeo copy docker-archive:\(path) docker://REF`"
                : "it has no index.json; give an OCI archive, a Docker archive written by containertool or docker save (Docker 25+), or an OCI layout directory")
        }
        let blobs = directory + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        for name in source.fileNames where name == "oci-layout" || name == "index.json" || isBlobName(name) {
            let target = directory + "/" + name
            let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw OutputError.cannotCreate(path: target, reason: String(cString: strerror(errno))) }
            defer { close(descriptor) }
            try source.stream(name) { chunk in
                do { try FileIO.writeAll(descriptor, chunk) } catch { throw OutputError.cannotWrite(path: target, reason: "\(error)") }
            }
        }
    }

    /// `blobs/sha256/` and 64 lowercase hex digits: nothing else can name a blob.
    static func isBlobName(_ name: String) -> Bool {
        let prefix = "blobs/sha256/"
        guard name.hasPrefix(prefix) else { return false }
        let hex = name.utf8.dropFirst(prefix.utf8.count)
        return hex.count == 64 && hex.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}
