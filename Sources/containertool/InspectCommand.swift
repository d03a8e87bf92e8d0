import OCIModel
import ContainerImage
import Foundation

/// `containertool inspect`: digest, sizes and config summary of a local image.
enum InspectCommand {
    static let usage = """
        usage: containertool inspect PATH | oci-layout:DIR | oci-archive:FILE | docker-archive:FILE [--json]

        Prints the digest, sizes and config summary of an image written by `containertool build`
        (or by `docker save`). A bare PATH is recognised by its contents.

          --json       print one JSON object
          -h, --help   show this help
        """

    static let parser = CommandLineParser(valueOptions: [], flags: ["--json"], maximumPositionals: 1)

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        guard let target = parsed.positionals.first else {
            throw UsageError("missing the image to inspect (PATH or KIND:DEST)")
        }
        var kind: String?
        var path = target
        for known in ["oci-layout", "oci-archive", "docker-archive"] where target.hasPrefix(known + ":") {
            kind = known
            path = String(target.dropFirst(known.count + 1))
        }
        let image = try ImageReader.read(path: BuildCommand.absolutePath(path), kind: kind)
        if parsed.has("--json") {
            print(String(decoding: try CanonicalJSON.encode(Report(image)), as: UTF8.self))
        } else {
            printSummary(image)
        }
    }

    struct Report: Encodable {
        var kind: String
        var path: String
        var digest: String?
        var configDigest: String
        var tags: [String]
        var architecture: String
        var os: String
        var created: String?
        var compressedSize: Int
        var uncompressedSize: Int
        var layers: [Descriptor]
        var config: ContainerConfig?
        /// A multi-platform entry: the index digest and its platforms (the image shown is the first).
        var index: String?
        var platforms: [String]?

        init(_ image: InspectedImage) {
            kind = image.kind
            path = image.path
            digest = image.digest
            configDigest = image.configDigest
            tags = image.tags
            architecture = image.config.architecture
            os = image.config.os
            created = image.config.created
            compressedSize = image.compressedSize
            uncompressedSize = image.uncompressedSize
            layers = image.layers
            config = image.config.config
            index = image.index
            platforms = image.index == nil ? nil : image.platforms
        }
    }

    static func printSummary(_ image: InspectedImage) {
        let config = image.config.config ?? ContainerConfig()
        func list(_ values: [String]?) -> String { values.map { "[" + $0.map { "\"\($0)\"" }.joined(separator: ", ") + "]" } ?? "-" }
        print("\(image.kind) \(image.path)")
        if let index = image.index {
            print("  index:        \(index) (\(image.platforms.joined(separator: ", ")); shown: \(image.platforms.first ?? "-"))")
        }
        print("  digest:       \(image.digest ?? "- (no manifest; config \(image.configDigest))")")
        print("  tags:         \(image.tags.isEmpty ? "-" : image.tags.joined(separator: ", "))")
        print("  platform:     \(image.config.os)/\(image.config.architecture)\(image.config.variant.map { "/" + $0 } ?? "")")
        print("  created:      \(image.config.created ?? "-")")
        print("  size:         \(image.compressedSize) bytes compressed, \(image.uncompressedSize) bytes uncompressed, \(image.layers.count) layer(s)")
        for (layer, description) in zip(image.layers, image.config.layerDescriptions(layerCount: image.layers.count)) {
            print("  layer:        \(layer.digest) (\(layer.size) bytes) \(description)")
        }
        print("  entrypoint:   \(list(config.entrypoint))")
        print("  cmd:          \(list(config.cmd))")
        print("  user:         \(config.user ?? "-")")
        print("  workdir:      \(config.workingDir ?? "-")")
        print("  env:          \(list(config.env))")
        print("  ports:        \(config.exposedPorts.map { $0.keys.sorted().joined(separator: ", ") } ?? "-")")
        print("  healthcheck:  \(list(config.healthcheck?.test))")
        for (key, value) in (config.labels ?? [:]).sorted(by: { $0.key < $1.key }) { print("  label:        \(key)=\(value)") }
    }
}
