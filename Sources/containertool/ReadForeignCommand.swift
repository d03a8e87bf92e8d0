import OCIModel
import ContainerImage
import Foundation

/// `containertool __read-foreign KIND CORPUS` (hidden, for the fuzz tests): runs one foreign-input
/// reader over every case of CORPUS (each a 4-byte little-endian length, then the bytes). Before
/// each case it writes `case N` to stderr, unbuffered, so a trap names the case that caused it;
/// at the end it prints `cases N values V errors E`. Every case must end in a value or a thrown error.
enum ReadForeignCommand {
    static let usage = """
        usage: containertool __read-foreign tar|gzip|layer|elf|json|archive CORPUS

        Test support: reads each case of CORPUS with the reader of KIND; never used in builds.
        """

    static let kinds = ["tar", "gzip", "layer", "elf", "json", "archive"]

    static func run(_ arguments: [String]) async throws {
        guard arguments.count == 2, kinds.contains(arguments[0]) else { throw UsageError("expected KIND (\(kinds.joined(separator: "|"))) and CORPUS") }
        let kind = arguments[0]
        // Read case by case: the reader's memory is what is measured, not the corpus'.
        guard let corpus = FileHandle(forReadingAtPath: arguments[1]) else { throw UsageError("cannot read \(arguments[1])") }
        defer { try? corpus.close() }
        let scratch = NSTemporaryDirectory() + "containertool-read-foreign-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var (cases, values, errors) = (0, 0, 0)
        while let prefix = try corpus.read(upToCount: 4), prefix.count == 4 {
            let length = prefix.reversed().reduce(0) { $0 << 8 | Int($1) }
            let bytes = [UInt8](try corpus.read(upToCount: length) ?? Data())
            guard bytes.count == length else { throw UsageError("CORPUS is cut inside case \(cases)") }
            let line = Array("case \(cases)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            do {
                try read(kind, bytes, scratch: scratch)
                values += 1
            } catch {
                errors += 1
            }
            cases += 1
        }
        print("cases \(cases) values \(values) errors \(errors)")
    }

    /// Bytes a decompressed case may produce: a mutated gzip stream is not allowed to fill memory.
    static let outputLimit = 64 << 20

    struct OutputLimit: Error {}

    static func read(_ kind: String, _ bytes: [UInt8], scratch: String) throws {
        let file = scratch + "/case"
        switch kind {
        case "tar":
            _ = try TarReader.read(bytes)
        case "gzip":
            var produced = 0
            let decompressor = try GzipDecompressor { chunk in
                produced += chunk.count
                guard produced <= outputLimit else { throw OutputLimit() }
            }
            for start in stride(from: 0, to: bytes.count, by: 977) {
                try bytes[start..<min(start + 977, bytes.count)].withUnsafeBytes { try decompressor.write($0) }
            }
            try decompressor.finish()
        case "layer":
            // A base of one layer: the tree is read (names cleaned, links and whiteouts applied),
            // then its diff_id compared (a placeholder here, so a case that reads whole ends in that error).
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let gzip = Gzip.isGzip(bytes)
            let config = ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil,
                                     rootfs: RootFS(diffIDs: [gzip ? "sha256:" + String(repeating: "0", count: 64) : sha256Digest(bytes)]), history: nil)
            let layer = Descriptor(mediaType: gzip ? MediaType.layerTarGzip : MediaType.layerTar, digest: sha256Digest(bytes), size: Int64(bytes.count))
            _ = try BaseImage(reference: "fuzz", configBytes: try CanonicalJSON.encode(config), layers: [layer], layerFiles: [file]).fileTree()
        case "elf":
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            _ = try ELFExecutable(path: file)
        case "json":
            var failures: [Error] = []
            do { _ = try CanonicalJSON.decode(ImageConfig.self, from: bytes) } catch { failures.append(error) }
            do { _ = try CanonicalJSON.decode(ImageManifest.self, from: bytes) } catch { failures.append(error) }
            do { _ = try CanonicalJSON.decode(ImageIndex.self, from: bytes) } catch { failures.append(error) }
            do { _ = try CanonicalJSON.decode([DockerArchiveManifestEntry].self, from: bytes) } catch { failures.append(error) }
            if failures.count == 4 { throw failures[0] }
        default:
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            _ = try ImageReader.read(path: file)
        }
    }
}
