/// Turns tar entries into a compressed layer in one streaming pass: tar bytes are hashed
/// (diff_id) and fed to gzip, whose output is hashed (blob digest) and kept.
public enum LayerBuilder {
    public static func build(entries: [TarEntry], modificationTime: Int, gzipLevel: Int32 = GzipCompressor.defaultLevel) throws -> Layer {
        let state = State()
        let gzip = try GzipCompressor(level: gzipLevel) { compressed in
            state.compressedHasher.update(compressed)
            state.compressed.append(contentsOf: compressed)
        }
        let tar = TarWriter(modificationTime: modificationTime) { bytes in
            state.uncompressedHasher.update(bytes)
            state.uncompressedSize += bytes.count
            try gzip.write(bytes)
        }
        try tar.writeArchive(entries)
        try gzip.finish()
        let blob = Blob(mediaType: MediaType.layerTarGzip, bytes: state.compressed,
                        digest: "sha256:" + state.compressedHasher.finalize().hexString)
        return Layer(blob: blob, diffID: "sha256:" + state.uncompressedHasher.finalize().hexString, uncompressedSize: state.uncompressedSize)
    }

    private final class State {
        var uncompressedHasher = SHA256()
        var compressedHasher = SHA256()
        var uncompressedSize = 0
        var compressed: [UInt8] = []
        init() { compressed.reserveCapacity(4 << 20) }
    }
}
