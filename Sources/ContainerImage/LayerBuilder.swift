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

/// Turns tar entries into a layer in one streaming pass: tar bytes are hashed (diff_id) and,
/// for gzip, compressed, with the compressed output hashed again (blob digest).
public enum LayerBuilder {
    public static func build(entries: [TarEntry], modificationTime: Int, compression: LayerCompression = .gzip) throws -> Layer {
        let state = State()
        let tar: TarWriter
        var gzip: GzipCompressor?
        switch compression {
        case .gzip(let level):
            let compressor = try GzipCompressor(level: level) { compressed in
                state.compressedHasher.update(compressed)
                state.stored.append(contentsOf: compressed)
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
                state.stored.append(contentsOf: bytes)
            }
        }
        try tar.writeArchive(entries)
        try gzip?.finish()
        let diffID = "sha256:" + state.uncompressedHasher.finalize().hexString
        let blobDigest = gzip == nil ? diffID : "sha256:" + state.compressedHasher.finalize().hexString
        let blob = Blob(mediaType: compression.mediaType, bytes: state.stored, digest: blobDigest)
        return Layer(blob: blob, diffID: diffID, uncompressedSize: state.uncompressedSize)
    }

    private final class State {
        var uncompressedHasher = SHA256()
        var compressedHasher = SHA256()
        var uncompressedSize = 0
        var stored: [UInt8] = []
        init() { stored.reserveCapacity(8 << 20) }
    }
}
