import PackagePlugin

/// Picks the executable product to containerize: `--product`, else the package's only executable.
enum ProductChoice {
    static func choose(_ requested: String?, in package: Package) throws -> ExecutableProduct {
        let executables = package.products(ofType: ExecutableProduct.self).sorted { $0.name < $1.name }
        let names = executables.map(\.name)
        guard let requested else {
            switch executables.count {
            case 0: throw PluginError.noExecutableProduct(package: package.displayName)
            case 1: return executables[0]
            default: throw PluginError.severalExecutableProducts(names)
            }
        }
        if let product = executables.first(where: { $0.name == requested }) { return product }
        if package.products.contains(where: { $0.name == requested }) {
            throw PluginError.notExecutable(requested, executables: names)
        }
        throw PluginError.unknownProduct(requested, executables: names)
    }
}
