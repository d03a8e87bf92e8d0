import OCIModel
import ContainerImage
import Foundation

/// `containertool inspect`: digest, sizes and config summary of a local image.
enum InspectCommand {
    static let usage = """
        usage: containertool inspect IMAGE [--json]
               containertool inspect IMAGE --files [--platform OS/ARCH] [--json]
               containertool inspect IMAGE --diff OTHER [--platform OS/ARCH] [--exit-code] [--json]

        IMAGE: PATH | oci-layout:DIR[:TAG] | oci-archive:FILE | docker-archive:FILE[:NAME:TAG]
        (--files and --diff also take a registry reference HOST[:PORT]/REPO[:TAG|@sha256:…]).

        Prints the digest, sizes and config summary of an image written by `containertool build`
        (or by `docker save`). A bare PATH is recognised by its contents.

          --files           list the image's merged file system (every layer, whiteouts applied):
                            mode, owner, size, path, link target; --json adds each file's sha256
          --diff OTHER      what differs between IMAGE and OTHER: paths only in one (- and +), and
                            kind, mode, owner, contents or link target (~), then the platform and
                            each config field (User, Env, Entrypoint, …)
          --exit-code       with --diff: exit 1 when the images differ (as git diff --exit-code)
          --platform OS/ARCH  the image of a multi-platform index to read (default: the host's)
          --json            print one JSON object
          -h, --help        show this help
        \(RegistryOptions.usage)
        Reading files copies the image's blobs into the blob cache, as build --from does.
        """

    static let parser = CommandLineParser(valueOptions: ["--diff", "--platform"], flags: ["--json", "--files", "--exit-code"], maximumPositionals: 1)
        .addingRegistryOptions()

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        guard let target = parsed.positionals.first else {
            throw UsageError("missing the image to inspect (PATH or KIND:DEST)")
        }
        if parsed.has("--exit-code") && parsed.last("--diff") == nil { throw UsageError("--exit-code goes with --diff OTHER") }
        if parsed.has("--files") || parsed.last("--diff") != nil {
            return try await compare(target, parsed)
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

    /// `--files` and `--diff`: each image read as `build --from` reads a base (the same readers, the
    /// same checks), then listed or compared.
    static func compare(_ target: String, _ parsed: CommandLineParser.Result) async throws {
        let registry = try RegistryOptions(parsed, environment: ProcessInfo.processInfo.environment)
        let platform: Platform
        do { platform = try Platform(parsing: parsed.last("--platform") ?? BuildFlagsCommand.hostPlatform) } catch { throw UsageError("--platform: \(error)") }
        func read(_ text: String) async throws -> BaseImage {
            guard let source = try BaseOption.parse(imageSource(text)) else { throw UsageError("scratch has no files; name an image") }
            return try await BaseOption.resolve(source, platform: platform, registry: registry, environment: ProcessInfo.processInfo.environment)
        }
        let first = try await read(target)
        let firstFiles = try first.files()
        guard let other = parsed.last("--diff") else {
            if parsed.has("--json") {
                print(String(decoding: try CanonicalJSON.encode(FilesReport(image: first.reference, files: firstFiles)), as: UTF8.self))
            } else {
                for file in firstFiles { print(line(file)) }
            }
            return
        }
        let second = try await read(other)
        let differences = ImageDiff.configs(first.config, second.config) + ImageDiff.files(firstFiles, try second.files())
        if parsed.has("--json") {
            print(String(decoding: try CanonicalJSON.encode(DiffReport(first: first.reference, second: second.reference, identical: differences.isEmpty,
                                                                       differences: differences)), as: UTF8.self))
        } else {
            for difference in differences {
                let mark = difference.change == .added ? "+" : difference.change == .removed ? "-" : "~"
                print("\(mark) \(shown(difference.path))" + (difference.details.isEmpty ? "" : ": " + shown(difference.details.joined(separator: "; "))))
            }
            print(differences.isEmpty ? "the images are the same (files and config)" : "\(differences.count) difference(s)")
        }
        if parsed.has("--exit-code") && !differences.isEmpty { throw AlreadyReported() }  // exit 1: they differ, as printed
    }

    /// A bare PATH, as the summary takes it, named by its kind (a folder is a layout; a file an archive
    /// of the kind its contents say); anything else is a `--from` value as it is.
    static func imageSource(_ text: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard !text.contains(":") || FileManager.default.fileExists(atPath: text),
              FileManager.default.fileExists(atPath: BuildCommand.absolutePath(text), isDirectory: &isDirectory) else { return text }
        if isDirectory.boolValue { return "oci-layout:" + text }
        return try ImageReader.archiveKind(path: BuildCommand.absolutePath(text)) + ":" + text
    }

    /// `-rwxr-xr-x 65532:65532     6847912 /HelloWeb`, `lrwxrwxrwx 0:0 0 /etc/localtime -> …`.
    static func line(_ file: ImageFile) -> String {
        let type: Character = switch file.kind {
        case .directory: "d"
        case .symlink: "l"
        case .hardlink: "h"
        case .file: "-"
        case .other: "?"
        }
        let bits = Int(file.mode, radix: 8) ?? 0
        let permissions = (0..<9).map { bit -> Character in bits & (0o400 >> bit) != 0 ? Array("rwxrwxrwx")[bit] : "-" }
        let size = String(file.size ?? 0)
        return "\(type)\(String(permissions)) \(file.uid):\(file.gid) \(String(repeating: " ", count: max(0, 11 - size.count)))\(size) \(shown(file.path))"
            + (file.target.map { (file.kind == .hardlink ? " link to " : " -> ") + shown($0) } ?? "")
    }

    /// A name from an image as one line of text: a control character (a newline in a file name could
    /// print a line of its own) is shown escaped, `\n` or `\u{1b}`.
    static func shown(_ name: String) -> String {
        guard name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return name }
        return String(name.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "\n": return "\\n"
            case "\t": return "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f: return "\\u{\(String(scalar.value, radix: 16))}"
            default: return String(scalar)
            }
        }.joined())
    }

    struct FilesReport: Encodable {
        var image: String
        var files: [ImageFile]
    }

    struct DiffReport: Encodable {
        var first: String
        var second: String
        var identical: Bool
        var differences: [ImageDiff.Difference]
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
