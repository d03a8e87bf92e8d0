/// The layers an image is split into, ordered from the least to the most often changed (jib's
/// rule), so a code change re-uploads only the executable layer and a resource change only the
/// resources layer. Each is built only when it has files; `allCases` is the order, bottom first.
public enum ImageLayerKind: String, Sendable, CaseIterable {
    /// Users, /tmp, home, working directory, CA bundle, time-zone data: they change with the tool.
    case addOns = "add-ons"
    /// Libraries bundled by `--link dynamic-libc`: they change with the toolchain.
    case sharedLibraries = "shared-libraries"
    /// SwiftPM resource bundles and `--resource` items: they change with the assets.
    case resources
    /// The executable: it changes with every code change, so it is last.
    case executable

    /// The `created_by` of the layer's `history` entry.
    public var createdBy: String { "containerize: \(rawValue)" }
}

/// One layer's files: its own entries and every parent directory they need, with the metadata
/// the whole image gives that directory, so each layer unpacks on its own and the layers stacked
/// give exactly the validated file tree.
public struct LayerContents: Sendable, Equatable {
    public var kind: ImageLayerKind
    public var entries: [TarEntry]
}
