import GeneratedFiles
import DockerfileRenderer
import Foundation
import KubernetesManifests

/// `containertool kubernetes`: writes the starter Deployment + Service for a product, with the
/// Dockerfile's marker rule (a hand-written file is never replaced without --force).
enum KubernetesCommand {
    static let usage = """
        usage: containertool kubernetes --product NAME [options]

        Renders starter Kubernetes manifests for a scratch image: a Deployment (image swift://NAME,
        non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, httpGet probes
        with the --healthcheck exec probe in a comment, memory sized from the peak RSS, a grace
        period longer than the drain time) and a Service. `containertool resolve` pins the image.

          --product NAME             executable product (required)
          --output PATH              where to write (default: deploy/NAME.yaml)
          --port N                   container port (default: 8080)
          --replicas N               Deployment replicas (default: 2)
          --user UID:GID             runAsUser and runAsGroup (default: 65532:65532)
          --peak-rss MB              measured peak resident memory (default: 3.4, HelloWeb under load)
          --shutdown-timeout S       the server's drain time after SIGTERM (default: 5, HelloWeb's)
          --force                    overwrite a file that lacks the generated-file marker line
          --stdout                   print the manifests and write nothing
          --executables A,B,…        the package's executable products: warns when another one
                                     gets the same Kubernetes name (App and app are both "app")
          -h, --help                 show this help

        The file starts with the marker line
          \(GeneratedFile.marker)
        and is regenerated on every run while it has it; without it, it is left alone (exit 1)
        unless --force is given. Exit codes: 0 ok, 1 failure, 2 usage.
        """

    static let parser = CommandLineParser(
        valueOptions: ["--product", "--output", "--port", "--replicas", "--user", "--peak-rss", "--shutdown-timeout", "--executables"],
        flags: ["--force", "--stdout"])

    static func run(_ arguments: [String]) async throws {
        let parsed = try parser.parse(arguments)
        if parsed.wantsHelp { return print(usage) }
        let manifest = try makeManifest(parsed)
        let executables = parsed.last("--executables").map { $0.split(separator: ",").map(String.init) } ?? []
        if let other = manifest.productSharingObjectName(among: executables) {
            // Both Deployments would be one object in the cluster: applying the second replaces the first.
            printError("warning: swift://\(manifest.product) and swift://\(other) both get the Kubernetes name '\(manifest.objectName)'; "
                + "change metadata.name and the app label in one of their manifests before applying both")
        }
        let rendered = manifest.render()
        if parsed.has("--stdout") { return print(rendered, terminator: "") }
        let url = URL(fileURLWithPath: parsed.last("--output") ?? "deploy/\(manifest.product).yaml").standardizedFileURL
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let outcome = try GeneratedFileWriter.write([GeneratedFile(url: url, contents: rendered)], force: parsed.has("--force"))
        print("\(url.path): \(outcome[0].rawValue)")
    }

    static func makeManifest(_ parsed: CommandLineParser.Result) throws(UsageError) -> StarterManifest {
        guard let product = parsed.last("--product") else { throw UsageError("--product NAME is required") }
        var manifest = StarterManifest(product: product)
        func integer(_ option: String) throws(UsageError) -> Int? {
            guard let text = parsed.last(option) else { return nil }
            guard let value = Int(text) else { throw UsageError("\(option) needs a whole number, not '\(text)'") }
            return value
        }
        if let port = try integer("--port") { manifest.port = port }
        if let replicas = try integer("--replicas") { manifest.replicas = replicas }
        if let seconds = try integer("--shutdown-timeout") { manifest.shutdownTimeoutSeconds = seconds }
        if let text = parsed.last("--peak-rss") {
            guard let megabytes = Double(text) else { throw UsageError("--peak-rss needs a number of MB, not '\(text)'") }
            manifest.peakRSSMegabytes = megabytes
        }
        if let text = parsed.last("--user") {
            let ids = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard ids.count == 2, let user = ids[0], let group = ids[1] else {
                throw UsageError("--user needs a numeric UID:GID such as 65532:65532, not '\(text)'")
            }
            (manifest.userID, manifest.groupID) = (user, group)
        }
        if let problem = manifest.problem { throw UsageError(problem) }
        return manifest
    }
}
