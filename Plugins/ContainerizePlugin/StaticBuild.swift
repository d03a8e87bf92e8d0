import Foundation
import PackagePlugin

/// Builds one product in release, fully static and stripped, through SwiftPM (no nested `swift build`).
enum StaticBuild {
    /// Compiler flags per mode (the plugin API has no `--static-swift-stdlib`; these are its swiftc
    /// equivalent). The Dockerfile's `swift build` line uses the same flags: see `BuildMode` in
    /// Sources/DockerfileRenderer.
    static func swiftcFlags(embedded: Bool) -> [String] {
        if embedded {
            // `-static-executable` would select the non-embedded static runtime, so link statically
            // through the clang linker driver instead.
            return ["-enable-experimental-feature", "Embedded", "-wmo",
                    "-Xclang-linker", "-static", "-Xclang-linker", "-no-pie"]
        }
        return ["-static-stdlib", "-static-executable"]
    }

    static func build(_ product: ExecutableProduct, embedded: Bool, verbose: Bool,
                      packageManager: PackageManager) throws -> URL {
        var parameters = PackageManager.BuildParameters(
            configuration: .release, logging: verbose ? .verbose : .concise, echoLogs: verbose)
        parameters.otherSwiftcFlags = swiftcFlags(embedded: embedded)
        parameters.otherLinkerFlags = ["-s"]
        let result = try packageManager.build(.product(product.name), parameters: parameters)
        guard result.succeeded else {
            if embedded {
                throw PluginError.embeddedBuildFailed(
                    product: product.name, firstError: firstCompilerError(in: result.logText), log: result.logText)
            }
            throw PluginError.buildFailed(product: product.name, log: result.logText)
        }
        guard let binary = result.builtArtifacts.first(where: {
            $0.kind == .executable && $0.url.lastPathComponent == product.name
        }) else {
            throw PluginError.builtBinaryMissing(product: product.name)
        }
        return binary.url
    }

    /// The first `…: error: …` line of a build log.
    static func firstCompilerError(in log: String) -> String? {
        log.split(separator: "\n").first { $0.contains("error:") }.map(String.init)
    }
}
