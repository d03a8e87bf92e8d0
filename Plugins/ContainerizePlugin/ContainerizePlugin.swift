import PackagePlugin

@main
struct ContainerizePlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        print("containerize: not yet")
    }
}
