/// The distribution an image says it is, from its `os-release` file
/// (https://www.freedesktop.org/software/systemd/man/os-release.html): `ID=debian`, `VERSION_ID="12"`.
public struct OSRelease: Sendable, Equatable {
    /// `debian`, `ubuntu`, … (lower-case, as the file says).
    public var id: String
    /// `12`, `22.04`; nil for a release without one (Debian testing, sid).
    public var versionID: String?

    public init(id: String, versionID: String?) {
        self.id = id
        self.versionID = versionID
    }

    /// The purl `distro` qualifier, `debian-12`; nil without a version (a guess would mislead a scanner).
    public var distro: String? { versionID.map { "\(id)-\($0)" } }

    /// Reads the file's `KEY=VALUE` lines (values bare, in single quotes, or in double quotes with
    /// backslash escapes); nil when it has no usable `ID`. Values outside the spec's characters
    /// (ID: `a-z 0-9 . _ -`; VERSION_ID also upper case and `~`) are ignored, so they never reach a purl.
    public init?(parsing bytes: [UInt8]) {
        // A real file is under 1 KiB; more is not an os-release file.
        guard bytes.count <= 64 << 10 else { return nil }
        var values: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let text = line.trimmingSpaces
            guard !text.hasPrefix("#"), let equals = text.firstIndex(of: "=") else { continue }
            let key = String(text[..<equals])
            guard key == "ID" || key == "VERSION_ID" else { continue }
            values[key] = Self.unquoted(text[text.index(after: equals)...])
        }
        let allowed = { (text: String, extra: String) in !text.isEmpty && text.count <= 64 && text.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || "._-".unicodeScalars.contains($0) || extra.unicodeScalars.contains($0)
        } }
        guard let id = values["ID"], allowed(id, "") else { return nil }
        self.id = id
        versionID = values["VERSION_ID"].flatMap { allowed($0, "ABCDEFGHIJKLMNOPQRSTUVWXYZ~") ? $0 : nil }
    }

    private static func unquoted(_ value: Substring) -> String {
        if value.count >= 2, value.first == "'", value.last == "'" { return String(value.dropFirst().dropLast()) }
        guard value.count >= 2, value.first == "\"", value.last == "\"" else { return String(value) }
        var result = ""
        var escaped = false
        for character in value.dropFirst().dropLast() {
            if escaped { result.append(character); escaped = false } else if character == "\\" { escaped = true } else { result.append(character) }
        }
        return result
    }
}
