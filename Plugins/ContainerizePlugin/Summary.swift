import Foundation

/// What the plugin prints after a successful build: the image by the name a user will pull it by,
/// a size for each output as it is stored there, the files written, and the next commands.
struct Summary {
    var report: ContainerTool.BuildReport
    var binary: URL
    /// The port for the `docker run -p` hint; nil for a product not known to listen.
    var port: Int?
    var written: [String]
    /// `--run`: the container starts next, so no "Next:" hints.
    var running = false
    var print: (String) -> Void

    /// `add-ons 316 B, resources 3.8 MB, executable 2.8 MB` (bottom first; a code change re-uploads
    /// only the last one), or nil when the report names no layers.
    static func layerList(_ layers: [ContainerTool.BuildReport.Layer]?) -> String? {
        guard let layers, !layers.isEmpty else { return nil }
        return layers.map { layer in
            let name = layer.createdBy.hasPrefix("containerize: ") ? String(layer.createdBy.dropFirst("containerize: ".count)) : layer.createdBy
            return "\(name) \(humanSize(layer.size))"
        }.joined(separator: ", ")
    }

    /// The image's layers under its size; an index build lists them under each platform instead.
    var layerLine: String {
        guard report.indexDigest == nil, let list = Self.layerList(report.layers) else { return "" }
        return "\nlayers  " + list
    }

    func show() {
        let binarySize = (try? FileManager.default.attributesOfItem(atPath: binary.path)[.size] as? Int) ?? nil
        let name = report.pushed.first ?? report.tag
        let hasGzip = report.outputs.contains { $0.kind != "docker-archive" && $0.kind != "engine" }
        print("""

            Image   \(name)
            digest  \(report.digest)
            ID      \(report.configDigest) (the image ID `docker images` shows)
            size    \(humanSize(report.uncompressedSize)) uncompressed\(hasGzip ? ", \(humanSize(report.compressedSize)) with gzip layers" : "")\(layerLine)
            binary  \(binary.path)\(binarySize.map { " (\(humanSize($0)))" } ?? "")

            """)
        if let index = report.indexDigest, let platforms = report.platforms {
            print("Image index \(index), one image per platform:")
            for platform in platforms {
                print("  \(platform.platform): \(platform.digest) (\(humanSize(platform.size)) with gzip layers)")
                if let list = Self.layerList(platform.layers) { print("    layers  \(list)") }
            }
            print("")
        }
        print("Written:")
        for output in report.outputs where output.kind == "engine" {
            print("  loaded into \(output.destination): \(report.tag)")
        }
        for output in report.outputs where output.kind != "registry" && output.kind != "engine" {
            let layers = output.kind == "docker-archive" ? "plain tar layers" : "gzip layers"
            print("  \(output.kind): \(output.destination) (\(humanSize(output.size)), \(layers))")
        }
        for pushed in report.pushed { print("  pushed: \(pushed)") }
        for line in written { print("  \(line)") }

        let publish = port.map { "-p \($0):\($0) " } ?? ""
        if running { return }
        print("\nNext:")
        if let engine = report.outputs.first(where: { $0.kind == "engine" }) {
            print("  \(engine.destination) run --rm \(publish)\(report.tag)")
        } else if let archive = report.outputs.first(where: { $0.kind == "docker-archive" }) {
            print("  docker load -i \(Subprocess.shellQuoted(archive.destination))")
            print("  docker run --rm \(publish)\(report.tag)")
        } else if let pushed = report.pushed.first {
            print("  docker run --rm \(publish)\(pushed)")
        } else if let layout = report.outputs.first(where: { $0.kind == "oci-layout" }) {
            print("  skopeo copy \(Subprocess.shellQuoted("oci:" + layout.destination)) docker-daemon:\(report.tag)")
            print("  docker run --rm \(publish)\(report.tag)")
        } else if let archive = report.outputs.first(where: { $0.kind == "oci-archive" }) {
            print("  skopeo copy \(Subprocess.shellQuoted("oci-archive:" + archive.destination)) docker-daemon:\(report.tag)")
            print("  docker run --rm \(publish)\(report.tag)")
        }
    }
}

/// Formats a byte count for people: 6.84 MB, 712.0 KB.
func humanSize(_ bytes: Int) -> String {
    if bytes >= 1_000_000 { return String(format: "%.2f MB", Double(bytes) / 1_000_000) }
    if bytes >= 1_000 { return String(format: "%.1f KB", Double(bytes) / 1_000) }
    return "\(bytes) B"
}
