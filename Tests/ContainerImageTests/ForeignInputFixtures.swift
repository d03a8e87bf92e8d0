@testable import ContainerImage
import Foundation
import OCIModel

/// Hand-made foreign bytes (tar headers with any field value, gzip members, base images and the
/// OCI layouts `umoci` reads), for the tests of issue 21's readers.
enum ForeignBytes {
    /// One ustar header block with a valid checksum; `size` is the raw 12-byte field (octal text
    /// or base-256 bytes), so a test can put any value there.
    static func header(_ name: String, type: Character = "0", size: Int = 0, sizeField: [UInt8]? = nil, link: String = "", mode: Int = 0o644) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) { for (index, byte) in bytes.enumerated() { block[offset + index] = byte } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8)
        }
        put(Array(name.utf8.prefix(100)), at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(sizeField ?? octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        block[156] = UInt8(ascii: type.unicodeScalars.first!)
        put(Array(link.utf8.prefix(100)), at: 157)
        put(Array("ustar\u{0}00".utf8), at: 257)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0], at: 148)
        return block
    }

    /// `bytes` padded to whole 512-byte blocks.
    static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + Array(repeating: 0, count: (512 - bytes.count % 512) % 512) }

    /// A PAX extended header (`x`) with `body` as its data.
    static func pax(_ body: [UInt8]) -> [UInt8] { header("PaxHeaders/x", type: "x", size: body.count) + padded(body) }

    /// A regular file entry.
    static func file(_ name: String, _ contents: [UInt8]) -> [UInt8] { header(name, size: contents.count) + padded(contents) }

    static let end = [UInt8](repeating: 0, count: 1024)

    /// A base image of `layers` (uncompressed tars, gzip-compressed when `gzip`; `blob` replaces the
    /// stored bytes when given) in `directory`; diff_ids are the tars' digests unless given.
    static func base(_ layers: [(tar: [UInt8], gzip: Bool)], blobs: [[UInt8]]? = nil, diffIDs: [String]? = nil, in directory: String) throws -> BaseImage {
        var descriptors: [Descriptor] = []
        var files: [String] = []
        for (index, layer) in layers.enumerated() {
            let blob = try blobs?[index] ?? (layer.gzip ? Gzip.compress(layer.tar) : layer.tar)
            let file = directory + "/layer\(index)"
            try Data(blob).write(to: URL(fileURLWithPath: file))
            descriptors.append(Descriptor(mediaType: layer.gzip ? MediaType.layerTarGzip : MediaType.layerTar, digest: sha256Digest(blob), size: Int64(blob.count)))
            files.append(file)
        }
        let config = ImageConfig(created: nil, architecture: "amd64", os: "linux", config: nil,
                                 rootfs: RootFS(diffIDs: diffIDs ?? layers.map { sha256Digest($0.tar) }), history: nil)
        return try BaseImage(reference: "base:1", configBytes: try CanonicalJSON.encode(config), layers: descriptors, layerFiles: files)
    }

    /// The same base as an OCI layout (tag `latest`) at `directory`, for `umoci unpack`.
    static func ociLayout(of base: BaseImage, at directory: String) throws {
        let blobs = directory + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func store(_ bytes: [UInt8]) throws -> String {
            let digest = sha256Digest(bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: blobs + "/" + digest.dropFirst(7)))
            return digest
        }
        let configBytes = try CanonicalJSON.encode(base.config)
        var layers: [Descriptor] = []
        for layer in base.layers {
            guard case .file(let file) = layer.blob.content else { continue }
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            layers.append(Descriptor(mediaType: layer.blob.mediaType, digest: try store(bytes), size: Int64(bytes.count)))
        }
        let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, digest: try store(configBytes), size: Int64(configBytes.count)), layers: layers)
        let manifestBytes = try CanonicalJSON.encode(manifest)
        let entry = Descriptor(mediaType: MediaType.imageManifest, digest: try store(manifestBytes), size: Int64(manifestBytes.count),
                               annotations: [AnnotationKey.refName: "latest"])
        try Data(try CanonicalJSON.encode(ImageIndex(manifests: [entry]))).write(to: URL(fileURLWithPath: directory + "/index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
    }

    /// What `umoci unpack --rootless` makes of the layout at `layout`: the rootfs' paths (relative,
    /// sorted), or the error text when umoci refuses it. Nil when umoci is not installed.
    static func umociUnpack(_ layout: String) throws -> Result<[String], UmociRefusal>? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/umoci") else { return nil }
        let bundle = layout + "-bundle"
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let result = try TestSupport.run("/usr/bin/umoci", ["unpack", "--rootless", "--image", layout + ":latest", bundle])
        guard result.status == 0 else { return .failure(UmociRefusal(text: result.stderr + result.stdout)) }
        let rootfs = bundle + "/rootfs"
        let paths = (FileManager.default.enumerator(atPath: rootfs)?.allObjects as? [String]) ?? []
        return .success(paths.sorted())
    }

    struct UmociRefusal: Error { var text: String }
}
