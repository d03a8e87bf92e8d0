import Foundation
import TestSupport

/// Writes a small but real single-image OCI layout: gzip tar layers of random bytes, a config
/// with the right diff_ids, a manifest and index.json. Digests come from `sha256sum`, so these
/// tests do not depend on the image library they are meant to be checked against.
struct LayoutBuilder {
    struct Built {
        var directory: URL
        var manifestDigest: String
        var layerDigests: [String]
        var configDigest: String
    }

    /// One layer per entry of `layerSizes`, each holding one file of that many random bytes.
    static func build(at directory: URL, layerSizes: [Int], architecture: String = "amd64", env: [String] = []) throws -> Built {
        let blobs = directory.appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        let scratch = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + "-work")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var layers: [[String: Any]] = []
        var diffIDs: [String] = []
        for (index, size) in layerSizes.enumerated() {
            let content = scratch.appendingPathComponent("layer\(index)")
            try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
            try runChecked("bash", ["-c", """
                set -euo pipefail
                head -c \(size) /dev/urandom > '\(content.path)/payload-\(index).bin'
                tar --sort=name --mtime=@0 --owner=0 --group=0 -C '\(content.path)' -cf '\(scratch.path)/layer\(index).tar' .
                gzip -n -1 -c '\(scratch.path)/layer\(index).tar' > '\(scratch.path)/layer\(index).tar.gz'
                """])
            diffIDs.append(try sha256(of: scratch.appendingPathComponent("layer\(index).tar")))
            let gz = scratch.appendingPathComponent("layer\(index).tar.gz")
            layers.append(try store(gz, in: blobs, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip"))
        }
        var containerConfig: [String: Any] = ["Cmd": ["/payload"]]
        if !env.isEmpty { containerConfig["Env"] = env }
        let config: [String: Any] = [
            "architecture": architecture, "os": "linux",
            "config": containerConfig,
            "rootfs": ["type": "layers", "diff_ids": diffIDs],
        ]
        let configDescriptor = try storeJSON(config, in: blobs, scratch: scratch, mediaType: "application/vnd.oci.image.config.v1+json")
        let manifest: [String: Any] = [
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": configDescriptor,
            "layers": layers,
        ]
        let manifestDescriptor = try storeJSON(manifest, in: blobs, scratch: scratch, mediaType: "application/vnd.oci.image.manifest.v1+json")
        let index: [String: Any] = ["schemaVersion": 2, "manifests": [manifestDescriptor]]
        try JSONSerialization.data(withJSONObject: index, options: [.sortedKeys]).write(to: directory.appendingPathComponent("index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: directory.appendingPathComponent("oci-layout"))
        return Built(directory: directory, manifestDigest: manifestDescriptor["digest"] as! String,
                     layerDigests: layers.map { $0["digest"] as! String }, configDigest: configDescriptor["digest"] as! String)
    }

    static func sha256(of file: URL) throws -> String {
        let output = try runChecked("sha256sum", [file.path])
        return "sha256:" + (output.split(separator: " ").first.map(String.init) ?? "")
    }

    static func store(_ file: URL, in blobs: URL, mediaType: String) throws -> [String: Any] {
        let digest = try sha256(of: file)
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! NSNumber
        let destination = blobs.appendingPathComponent(String(digest.dropFirst("sha256:".count)))
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: file, to: destination)
        return ["mediaType": mediaType, "digest": digest, "size": size.intValue]
    }

    static func storeJSON(_ object: [String: Any], in blobs: URL, scratch: URL, mediaType: String) throws -> [String: Any] {
        let file = scratch.appendingPathComponent(UUID().uuidString + ".json")
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: file)
        return try store(file, in: blobs, mediaType: mediaType)
    }
}
