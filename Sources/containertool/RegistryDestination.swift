import ContainerImage
import Foundation
import OCIRegistry

/// `registry:HOST[:PORT]/REPO[:TAG]`: writes the image as an OCI layout into a temporary
/// directory and hands it to the OCIRegistry pusher.
struct RegistryDestination: ImageDestination {
    /// `HOST[:PORT]/REPO:TAG`, with the tag filled in from `--tag` when it was omitted.
    let reference: String
    let insecure: Bool

    var kind: String { "registry" }
    var destination: String { reference }
    var layerCompression: LayerCompression { .gzip }
    var isIrreversible: Bool { true }

    func checkWritable() throws {}

    func stage(_ image: Image, tag: ImageReference) async throws -> StagedOutput {
        // The pusher reads an OCI layout from disk and streams each blob from its file; the
        // layer is hard-linked (or copied) into it, never held in memory.
        let directory = URL(fileURLWithPath: try AtomicOutput.makeTemporaryDirectory(in: NSTemporaryDirectory(), label: "containertool-push"))
        defer { PendingOutputs.shared.remove(directory.path) }
        try OCILayoutDestination.fill(directory.path, with: image, tag: tag)
        let pusher = RegistryPusher(insecure: insecure, log: { printError("containertool: \($0)") })
        let report = try await pusher.push(layout: directory, to: reference)
        return .pushed(report.pinnedReference)
    }

    /// Adds `tag`'s tag when the reference has none (`localhost:5000/hello` → `localhost:5000/hello:latest`).
    static func completing(_ reference: String, with tag: ImageReference) -> String {
        let lastComponent = reference.split(separator: "/").last ?? ""
        if lastComponent.contains(":") || lastComponent.contains("@") || !reference.contains("/") { return reference }
        return reference + ":" + tag.tagOrLatest
    }
}
