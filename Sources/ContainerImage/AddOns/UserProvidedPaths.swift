/// A `--resource` at an add-on's own path: the user's file wins over an add-on that was only
/// detected, and contradicts one that was asked for. `containertool build` and the rendered
/// Dockerfile both decide with this.
public enum UserProvidedPaths {
    /// The add-on choice once the user's resource destinations are known: `.auto` becomes `.off`
    /// when a resource is already at `path`; `.on` (or `.auto` with `--ca-file`s to append)
    /// there is an error that says which option to use instead.
    public static func effectiveChoice(_ choice: AddOnChoice, path: String, option: String, resourceDestinations: [String],
                                       appending: Bool = false) throws -> AddOnChoice {
        guard provides(path, resourceDestinations) else { return choice }
        if choice == .on || (choice == .auto && appending) {
            throw AddOnError.conflictsWithResource(path: path, option: option)
        }
        return .off
    }

    /// True when one of the destinations is `path` itself (after normalisation).
    public static func provides(_ path: String, _ resourceDestinations: [String]) -> Bool {
        let wanted = FileTree.normalize(path)
        return resourceDestinations.contains { FileTree.normalize($0) == wanted }
    }
}
