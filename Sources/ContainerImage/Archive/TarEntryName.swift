/// Where a tar entry of a foreign layer lands, as the runtimes unpack it: the name cleaned like Go's
/// `path.Clean` (docker's `pkg/archive` and containerd's `archive.Apply` clean every name before
/// use), so `x/../data` is `data` and `./a/./b` is `a/b`.
enum TarEntryName {
    /// The cleaned name relative to the root ("" for the root itself), or nil when it climbs out of
    /// the root (`../b`, `a/../../b`), which docker refuses as a breakout. A leading `/` names the
    /// root, so `/../etc` is `etc` (Go: `Clean("/../etc")` is `/etc`).
    static func cleaned(_ name: String) -> String? {
        cleaned(name, clampAtRoot: name.hasPrefix("/"))
    }

    /// A hard link's target, cleaned; nil when it points outside the root. Docker joins it to the
    /// root before cleaning, so even `/../x` leaves the root.
    static func cleanedLinkTarget(_ target: String) -> String? {
        cleaned(target, clampAtRoot: false)
    }

    private static func cleaned(_ name: String, clampAtRoot: Bool) -> String? {
        var parts: [Substring] = []
        for component in name.split(separator: "/") where component != "." {
            guard component == ".." else { parts.append(component); continue }
            if parts.isEmpty {
                if clampAtRoot { continue }
                return nil
            }
            parts.removeLast()
        }
        return parts.joined(separator: "/")
    }
}
