import Foundation
import PackagePlugin

/// Finds the Dockerfile.template to render: the target package's own wins over the packaged one.
enum TemplateLocator {
    static let fileName = "Dockerfile.template"
    /// A target only swift-containerize defines: it marks the package that ships the template.
    static let signatureTarget = "DockerfileRenderer"

    static func template(for package: Package) -> URL? {
        let local = package.directoryURL.appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        guard let ours = findContainerizePackage(from: package) else { return nil }  // containertool's default
        let packaged = ours.directoryURL.appendingPathComponent(fileName)
        return FileManager.default.fileExists(atPath: packaged.path) ? packaged : nil
    }

    /// Breadth-first search of the dependency graph for the package that defines the plugin.
    private static func findContainerizePackage(from root: Package) -> Package? {
        var queue = [root]
        var seen: Set<String> = []
        while !queue.isEmpty {
            let package = queue.removeFirst()
            guard seen.insert(package.id).inserted else { continue }
            if package.targets.contains(where: { $0.name == signatureTarget }) { return package }
            queue += package.dependencies.map(\.package)
        }
        return nil
    }
}
