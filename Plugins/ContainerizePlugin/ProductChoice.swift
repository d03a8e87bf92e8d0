import Foundation
import PackagePlugin

/// Picks the executable product to containerize: `--product`, else the package's only executable.
enum ProductChoice {
    /// The plugin's own tool is an executable product of this package, but never the server a user
    /// means when they give no `--product`; naming it explicitly still works.
    static let pluginTools: Set<String> = ["containertool"]

    /// The executable products a user may mean, the plugin's own tool left out.
    static func userExecutables(in package: Package) -> [ExecutableProduct] {
        package.products(ofType: ExecutableProduct.self).filter { !pluginTools.contains($0.name) }
    }

    static func choose(_ requested: String?, in package: Package) throws -> ExecutableProduct {
        let executables = package.products(ofType: ExecutableProduct.self).sorted { $0.name < $1.name }
        let names = executables.map(\.name)
        guard let requested else {
            let candidates = executables.filter { !pluginTools.contains($0.name) }
            switch candidates.count {
            case 0: throw PluginError.noExecutableProduct(package: package.displayName)
            case 1: return candidates[0]
            default: throw PluginError.severalExecutableProducts(candidates.map(\.name))
            }
        }
        if let product = executables.first(where: { $0.name == requested }) { return product }
        if package.products.contains(where: { $0.name == requested }) {
            throw PluginError.notExecutable(requested, executables: names)
        }
        throw PluginError.unknownProduct(requested, executables: names)
    }

    /// The first source file, in the product's modules or any module they depend on (other packages'
    /// too), that imports a module which cannot link fully static (`LinkModeDetection`).
    static func dynamicOnlyImport(of product: ExecutableProduct, packageDirectory: URL) -> (module: String, file: String)? {
        var modules: [SourceModuleTarget] = []
        var seen: Set<String> = []
        for target in product.targets + product.targets.flatMap(\.recursiveTargetDependencies) {
            guard let module = target as? SourceModuleTarget, seen.insert(module.id).inserted else { continue }
            modules.append(module)
        }
        for module in modules {
            for file in module.sourceFiles(withSuffix: "swift") {
                guard let source = try? String(contentsOf: file.url, encoding: .utf8),
                      let imported = LinkModeDetection.dynamicOnlyImport(in: source) else { continue }
                let path = file.url.path
                let root = packageDirectory.path + "/"
                return (imported, path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path)
            }
        }
        return nil
    }
}
