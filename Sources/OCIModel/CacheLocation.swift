/// Where swift-containerize keeps what it caches on this machine — base-image blobs (`BlobCache`)
/// and the plugin's built `containertool` (Plugins/ContainerizePlugin/ToolCache.swift, which
/// compiles this file through a symlink, so the rule has one owner).
public enum CacheLocation {
    /// `$CONTAINERIZE_CACHE_DIR`, else `$XDG_CACHE_HOME/containerize` (an absolute one only, as the
    /// XDG spec says), else `HOME/.cache/containerize`.
    public static func root(environment: [String: String], home: String) -> String {
        if let explicit = environment["CONTAINERIZE_CACHE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/containerize" }
        return (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home) + "/.cache/containerize"
    }
}
