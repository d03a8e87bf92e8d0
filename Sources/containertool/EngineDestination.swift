import OCIModel
import ContainerImage
import Foundation

/// `engine:docker`, `engine:podman` or `engine:auto`: the image goes straight into the local
/// engine's image store, streamed into `docker load` / `podman load` as a Docker archive — no
/// archive file is written first (ko's `--local`, jib's `dockerBuild`).
struct EngineDestination: ImageDestination {
    /// `docker`, `podman` or `auto`, as given; the engine itself is found when staging.
    let choice: String

    var kind: String { "engine" }
    var destination: String { choice }
    /// `load` unpacks layers anyway: plain tars, as for a Docker archive.
    var layerCompression: LayerCompression { .none }
    /// A loaded image cannot be taken back out: it goes after every local output is staged.
    var isIrreversible: Bool { true }

    /// The engine must answer now, before anything is compiled or built (the plugin's `--dry-run`).
    func checkWritable() throws {
        guard choice == "auto" || ContainerEngine.Kind(rawValue: choice) != nil else {
            throw UsageError("--output engine:\(choice): \(EngineError.unknown(choice))")
        }
        _ = try ContainerEngine.find(choice)
    }

    func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput {
        let engine = try ContainerEngine.find(choice)
        printError("containertool: loading into \(engine.name) as \(tag.familiarDescription)")
        let result = try ChildProcess.run(engine.executable, ["load"]) { input in
            let descriptor = input.fileDescriptor
            func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    // EPIPE: the engine stopped reading; its own message (below) says why.
                    guard written > 0 else { throw EngineError.loadFailed(engine: engine.name, message: "it stopped reading (\(String(cString: strerror(errno))))") }
                    offset += written
                }
            }
            // Tar headers come 512 bytes at a time: gathered into 1 MiB writes, as a file output is.
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            try DockerArchiveDestination.writeArchive(image, tag: tag) { bytes in
                if buffer.count + bytes.count > 1 << 20 {
                    try buffer.withUnsafeBytes(writeAll)
                    buffer.removeAll(keepingCapacity: true)
                }
                if bytes.count >= 1 << 20 { try writeAll(bytes) } else { buffer.append(contentsOf: bytes) }
            }
            try buffer.withUnsafeBytes(writeAll)
        }
        guard result.status == 0 else {
            let message = result.output.split(separator: "\n").last.map(String.init) ?? "exit status \(result.status)"
            throw EngineError.loadFailed(engine: engine.name, message: String(message.prefix(300)))
        }
        // Reported as the engine it went into (`auto` resolved); not a registry push.
        return .pushed(engine.name)
    }
}
