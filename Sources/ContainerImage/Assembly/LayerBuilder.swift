import OCIModel
import Foundation
/// How a layer blob is stored.
public enum LayerCompression: Hashable, Sendable {
    /// gzip through zlib at `level` (registries, OCI layouts and archives).
    case gzip(level: Int32)
    /// The plain tar, as `docker save` writes it: `docker load` would only unpack gzip again.
    case none

    public static let gzip = LayerCompression.gzip(level: GzipCompressor.defaultLevel)

    public var mediaType: String {
        switch self {
        case .gzip: return MediaType.layerTarGzip
        case .none: return MediaType.layerTar
        }
    }
}

/// Turns tar entries into a layer in one streaming pass: files → tar → (gzip, on all cores) →
/// SHA-256 → a sink. The tar bytes are hashed (diff_id) and, for gzip, compressed, with the compressed output
/// hashed again (blob digest). Memory stays constant whatever the size of the files.
public enum LayerBuilder {
    /// What one pass produced: digests and sizes of the stored blob and of the plain tar.
    public struct Summary: Sendable, Equatable {
        public var blobDigest: String
        public var blobSize: Int
        public var diffID: String
        public var uncompressedSize: Int
    }

    /// Builds the layer in memory (small images, tests).
    public static func build(entries: [TarEntry], modificationTime: Int, compression: LayerCompression = .gzip) throws -> Layer {
        var stored: [UInt8] = []
        let summary = try stream(entries: entries, modificationTime: modificationTime, compression: compression) { stored.append(contentsOf: $0) }
        let blob = Blob(mediaType: compression.mediaType, bytes: stored, digest: summary.blobDigest)
        return Layer(blob: blob, diffID: summary.diffID, uncompressedSize: summary.uncompressedSize)
    }

    /// Builds the layer into a new file at `path`'s directory (a temporary registered for
    /// interrupt cleanup); the returned layer's blob is that file.
    public static func build(entries: [TarEntry], modificationTime: Int, compression: LayerCompression, inDirectory directory: String) throws -> Layer {
        let (path, descriptor) = try AtomicOutput.createTemporaryFile(near: directory + "/containertool-layer", suffix: "layer")
        do {
            defer { close(descriptor) }
            let writer = BufferedFileWriter(descriptor: descriptor, path: path)
            let summary = try stream(entries: entries, modificationTime: modificationTime, compression: compression) { try writer.write($0) }
            try writer.flush()
            let blob = Blob(mediaType: compression.mediaType, file: path, digest: summary.blobDigest, size: summary.blobSize)
            return Layer(blob: blob, diffID: summary.diffID, uncompressedSize: summary.uncompressedSize)
        } catch {
            PendingOutputs.shared.remove(path)
            throw error
        }
    }

    /// The single pass; `sink` receives the stored (tar or gzip) bytes in order.
    public static func stream(entries: [TarEntry], modificationTime: Int, compression: LayerCompression,
                              sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Summary {
        let state = State()
        let tar: TarWriter
        var gzip: ParallelGzipCompressor?
        switch compression {
        case .gzip(let level):
            let compressor = try ParallelGzipCompressor(level: level) { compressed in
                state.compressedHasher.update(compressed)
                state.storedSize += compressed.count
                try sink(compressed)
            }
            gzip = compressor
            tar = TarWriter(modificationTime: modificationTime) { bytes in
                state.uncompressedHasher.update(bytes)
                state.uncompressedSize += bytes.count
                try compressor.write(bytes)
            }
        case .none:
            tar = TarWriter(modificationTime: modificationTime) { bytes in
                state.uncompressedHasher.update(bytes)
                state.uncompressedSize += bytes.count
                state.storedSize += bytes.count
                try sink(bytes)
            }
        }
        try tar.writeArchive(entries)
        try gzip?.finish()
        let diffID = "sha256:" + state.uncompressedHasher.finalize().hexString
        let blobDigest = gzip == nil ? diffID : "sha256:" + state.compressedHasher.finalize().hexString
        return Summary(blobDigest: blobDigest, blobSize: state.storedSize, diffID: diffID, uncompressedSize: state.uncompressedSize)
    }

    private final class State {
        var uncompressedHasher = SHA256()
        var compressedHasher = SHA256()
        var uncompressedSize = 0
        var storedSize = 0
    }
}
