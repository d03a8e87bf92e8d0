import OCIModel
import Foundation

extension RegistryPusher {
    /// Stores a cosign-format signature of the manifest `reference` names (`HOST/REPO@sha256:…`):
    /// the payload as a layer, its signature in the layer's annotation, under the tag
    /// `sha256-<hex>.sig`. Signatures already there (other keys) are kept; when one of them
    /// `isOurs` (the same payload, verified with the same key) nothing is written, so signing twice
    /// is a no-op (ECDSA signatures differ each time). Returns the signature image's manifest digest.
    public func pushSignature(payload: [UInt8], layer: Descriptor, to reference: String,
                              isOurs: @Sendable (Descriptor) -> Bool = { _ in false }) async throws -> String {
        let target = try RegistryReference(parsing: reference)
        guard let subject = target.digest else {
            throw RegistryError.invalidReference(reference, reason: "sign a digest (HOST/REPO@sha256:…): a tag can move after it is signed")
        }
        let client = try RegistryClient(reference: target, connection: connection, credential: try credentials.credential(for: target.registry),
                                        retryPolicy: retryPolicy, mountSources: [], log: log)
        try await client.ping()
        guard try await client.manifestDigest(reference: subject) != nil else {
            throw RegistryError.unusableImage(reference: reference, reason: "the registry does not have it; push the image first, then sign the pinned reference the push printed")
        }
        let tag = CosignSignature.tag(of: subject)
        var existing: [Descriptor] = []
        if try await client.manifestDigest(reference: tag) != nil {
            let fetched = try await client.fetchManifest(reference: tag)
            guard ImageManifest.isManifest(fetched.mediaType), let manifest = try? CanonicalJSON.decode(ImageManifest.self, from: [UInt8](fetched.data)) else {
                throw RegistryError.unusableImage(reference: "\(target.registry)/\(target.repository):\(tag)",
                                                  reason: "the signature tag holds a \(fetched.mediaType), not a signature image; delete that tag and sign again")
            }
            existing = manifest.layers.filter { $0.mediaType == CosignSignature.payloadMediaType }
            if existing.contains(where: { $0.digest == layer.digest && isOurs($0) }) {
                log("\(subject.shortDigest) is already signed with this key: \(target.registry)/\(target.repository):\(tag)")
                return fetched.digest
            }
        }
        let layers = CosignSignature.layers(adding: layer, to: existing)
        let digest = try await writeCosignImage(layers: layers, adding: (layer, payload), tag: tag, client: client, label: "containertool-sign")
        log("signed \(subject.shortDigest): \(target.registry)/\(target.repository):\(tag) (\(layers.count) signature\(layers.count == 1 ? "" : "s"))")
        return digest
    }

    /// Writes a cosign image (signatures or attestations) under `tag`: the new layer's blob, the config
    /// cosign writes over `layers`, and the manifest. Returns the manifest's digest.
    func writeCosignImage(layers: [Descriptor], adding blob: (Descriptor, [UInt8]), tag: String, client: RegistryClient, label: String) async throws -> String {
        let configBytes = CosignSignature.config(layers: layers)
        let config = Descriptor(mediaType: MediaType.imageConfig, digest: "sha256:" + SHA256.hash(configBytes).hexString, size: Int64(configBytes.count))
        let directory = try Self.makeScratchFolder(label)
        defer { PendingOutputs.shared.remove(directory.path) }
        for (descriptor, bytes) in [blob, (config, configBytes)] {
            let file = directory.appendingPathComponent(descriptor.digest.replacingOccurrences(of: ":", with: "-"))
            try Data(bytes).write(to: file)
            try await ensureBlob(descriptor, from: file, client: client)
        }
        let manifest = Data(try CanonicalJSON.encode(ImageManifest(config: config, layers: layers)))
        _ = try await client.putManifest(manifest, mediaType: MediaType.imageManifest, reference: tag)
        return "sha256:" + SHA256.hash(manifest).hexString
    }
}
