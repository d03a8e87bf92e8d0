import Foundation
import PackagePlugin

/// The local Embedded Swift SDKs a cross build goes through (`embedded-linux-ARCH`, made from Debian's
/// cross sysroot by scripts/make-swift-sdk.sh). They hold this machine's paths, so they are made on
/// demand into the package's `.build/containerize-sdk` (ignored like all of `.build`), never committed.
enum LocalSwiftSDK {
    static func directory(packageDirectory: URL) -> URL {
        packageDirectory.appendingPathComponent(".build/containerize-sdk")
    }

    /// Makes the bundle of `name` for `platform` unless it is there, with the script of the package that
    /// ships this plugin (the package itself, or a dependency).
    static func ensure(_ name: String, platform: String, in directory: URL, package: Package) throws {
        let bundle = directory.appendingPathComponent(name + ".artifactbundle")
        guard !FileManager.default.fileExists(atPath: bundle.appendingPathComponent("info.json").path) else { return }
        guard let script = script(in: package) else {
            throw PluginError.buildFailed("the local Swift SDK \(name) is missing and scripts/make-swift-sdk.sh was not found; run it from swift-containerize with --platform \(platform) --output \(directory.path)")
        }
        printError("Making the local Swift SDK \(name) (scripts/make-swift-sdk.sh) in \(directory.path)…")
        let result = try Subprocess.run(URL(fileURLWithPath: "/bin/bash"), [script.path, "--platform", platform, "--output", directory.path], mergeOutput: true)
        guard result.status == 0 else {
            let reason = result.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(result.status)"
            throw PluginError.buildFailed("could not make the local Swift SDK \(name): \(reason)")
        }
    }

    /// scripts/make-swift-sdk.sh of the first package in the graph that also holds this plugin's sources.
    static func script(in root: Package) -> URL? {
        var queue = [root]
        var seen: Set<String> = []
        while !queue.isEmpty {
            let package = queue.removeFirst()
            guard seen.insert(package.directoryURL.path).inserted else { continue }
            let script = package.directoryURL.appendingPathComponent("scripts/make-swift-sdk.sh")
            if FileManager.default.fileExists(atPath: script.path),
               FileManager.default.fileExists(atPath: package.directoryURL.appendingPathComponent("Plugins/ContainerizePlugin").path) {
                return script
            }
            queue += package.dependencies.map(\.package)
        }
        return nil
    }
}
