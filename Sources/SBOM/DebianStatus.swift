/// One package installed in an image, as its dpkg database lists it.
public struct DebianPackage: Sendable, Equatable, Hashable {
    public var name: String
    public var version: String
    /// `amd64`, `arm64`, `all`, …: several architectures of one `Multi-Arch: same` package are several packages.
    public var architecture: String
    /// The source package (`glibc` for `libc6`), when it is not `name` itself.
    public var source: String?
    /// The source package's version, when it differs from `version` (`Source: NAME (VERSION)`).
    public var sourceVersion: String?
    /// `Name <address>`, as the stanza gives it.
    public var maintainer: String?

    public init(name: String, version: String, architecture: String, source: String? = nil, sourceVersion: String? = nil, maintainer: String? = nil) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.source = source
        self.sourceVersion = sourceVersion
        self.maintainer = maintainer
    }
}

/// Why a dpkg database could not be read.
public enum DebianStatusError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(path: String, size: Int)
    case tooManyPackages(path: String, limit: Int)
    case malformed(path: String, line: Int, reason: String)
    case linkLoop(path: String)

    public var description: String {
        switch self {
        case let .tooLarge(path, size):
            return "the base's /\(path) is \(size) bytes, more than the \(DebianStatus.maximumSize >> 20) MiB a dpkg database has; build the SBOM on a base whose package database dpkg can use"
        case let .tooManyPackages(path, limit):
            return "the base's /\(path) lists more than \(limit) installed packages, more than any real system has; build the SBOM on a base whose package database dpkg can use"
        case let .malformed(path, line, reason):
            return "the base's /\(path) is not a dpkg status file (line \(line): \(reason)); repair the base's package database (dpkg --audit) or build on another base"
        case let .linkLoop(path):
            return "the base's /\(path) is a loop of symbolic links; repair the base's package database or build on another base"
        }
    }
}

/// Reads Debian's package database, as dpkg writes it (`var/lib/dpkg/status`: one stanza per
/// package) and as distroless writes it (`var/lib/dpkg/status.d/NAME`: one stanza per file, beside
/// `NAME.md5sums` files). A stanza is `Field: value` lines, continuation lines starting with a space
/// or tab, and ends at a blank line. Pure and byte-based: a database of 50 000 packages parses in
/// about a second (debug build), and anything that is not such a file is refused with the line it fails on.
public enum DebianStatus {
    /// Real databases are a few MiB (Debian with a desktop: about 5 MiB).
    public static let maximumSize = 64 << 20
    /// Real systems have a few thousand packages (a Debian desktop about 2 000); each costs about 1 KiB
    /// of SBOM and 9 KiB of memory while it is written.
    public static let maximumPackages = 50_000

    /// The installed packages of `bytes`, sorted by name, architecture and version; `path` names the
    /// file in errors. A package counts when the third word of its `Status` is `installed`
    /// (`install ok installed`, also `hold ok installed` and `deinstall ok installed`, whose files are
    /// still on disk); `config-files`, `half-installed` and `not-installed` ones are not in the image.
    /// With `requiresStatus` false (distroless's `status.d/`, which writes no `Status`), a stanza
    /// without `Status` counts as installed.
    public static func packages(in bytes: [UInt8], path: String, requiresStatus: Bool = true) throws(DebianStatusError) -> [DebianPackage] {
        guard bytes.count <= maximumSize else { throw .tooLarge(path: path, size: bytes.count) }
        var packages: [DebianPackage] = []
        var stanza = Stanza()
        var lineNumber = 0
        var start = 0
        func fail(_ reason: String) -> DebianStatusError { .malformed(path: path, line: lineNumber, reason: reason) }
        func endStanza() throws(DebianStatusError) {
            defer { stanza = Stanza() }
            guard stanza.hasFields else { return }
            guard let package = try stanza.installedPackage(requiresStatus: requiresStatus, fail: fail) else { return }
            packages.append(package)
            guard packages.count <= maximumPackages else { throw .tooManyPackages(path: path, limit: maximumPackages) }
        }
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var last = end
            if last > start, bytes[last - 1] == UInt8(ascii: "\r") { last -= 1 }
            let line = bytes[start..<last]
            start = end + 1
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                try endStanza()
            } else if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") {
                guard stanza.hasFields else { throw fail("a continuation line (starting with a space) before any field") }
            } else if line.first == UInt8(ascii: "#") {
                continue  // deb822 comments; dpkg writes none, hand-made files may
            } else {
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                    throw fail("not a `Field: value` line")
                }
                let name = line[line.startIndex..<colon]
                // Field names are printable ASCII without spaces or colons (Debian policy 5.1).
                guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw fail("the field name has a space, a control character or non-ASCII bytes") }
                try stanza.take(field: name, value: line[(colon + 1)...], fail: fail)
            }
        }
        lineNumber += 1
        try endStanza()
        return sorted(packages)
    }

    /// Whether a file of distroless's `status.d/` is a package stanza (`NAME`), not `NAME.md5sums`
    /// (file checksums) or a hidden file.
    public static func isStatusDirectoryStanza(_ fileName: String) -> Bool {
        !fileName.isEmpty && !fileName.hasPrefix(".") && !fileName.hasSuffix(".md5sums")
    }

    /// Sorted by name, then architecture, then version; one per name and architecture (the first).
    public static func sorted(_ packages: [DebianPackage]) -> [DebianPackage] {
        var seen: Set<[String]> = []
        return packages.sorted { ($0.name, $0.architecture, $0.version) < ($1.name, $1.architecture, $1.version) }
            .filter { seen.insert([$0.name, $0.architecture]).inserted }
    }

    /// The fields of one stanza that the SBOM uses; the others (Description, Depends, …) are skipped.
    private struct Stanza {
        var hasFields = false
        var package: String?
        var status: String?
        var version: String?
        var architecture: String?
        var source: String?
        var maintainer: String?

        mutating func take(field: ArraySlice<UInt8>, value: ArraySlice<UInt8>, fail: (String) -> DebianStatusError) throws(DebianStatusError) {
            hasFields = true
            // Field names are case-insensitive; compared as bytes, since most fields are skipped.
            guard let keyPath = Self.keyPath(of: field) else { return }
            guard self[keyPath: keyPath] == nil else { throw fail("\(String(decoding: field, as: UTF8.self)) is given twice in one stanza") }
            self[keyPath: keyPath] = String(decoding: value, as: UTF8.self).trimmingSpaces
        }

        private static let fieldNames: [[UInt8]] = ["package", "status", "version", "architecture", "source", "maintainer"].map { Array($0.utf8) }

        private static func keyPath(of field: ArraySlice<UInt8>) -> WritableKeyPath<Stanza, String?>? {
            switch fieldNames.firstIndex(where: { equalIgnoringCase(field, $0) }) {
            case 0: \.package
            case 1: \.status
            case 2: \.version
            case 3: \.architecture
            case 4: \.source
            case 5: \.maintainer
            default: nil
            }
        }

        private static func equalIgnoringCase(_ field: ArraySlice<UInt8>, _ lowercase: [UInt8]) -> Bool {
            guard field.count == lowercase.count else { return false }
            return zip(field, lowercase).allSatisfy { ($0 | 0x20) == $1 }
        }

        func installedPackage(requiresStatus: Bool, fail: (String) -> DebianStatusError) throws(DebianStatusError) -> DebianPackage? {
            if let status {
                let words = status.split(separator: " ")
                guard words.count == 3 else { throw fail("Status '\(status.prefix(80))' is not three words (such as `install ok installed`)") }
                guard words[2] == "installed" else { return nil }
            } else if requiresStatus {
                return nil
            }
            guard let package, DebianStatus.isPackageName(package) else {
                throw fail(package.map { "the stanza ending here has the package name '\($0.prefix(80))', which is not a Debian package name" } ?? "the stanza ending here has no Package field")
            }
            guard let version, DebianStatus.isVersion(version) else {
                throw fail("package \(package) has \(version.map { "the version '\($0.prefix(80))', which is not a Debian version" } ?? "no Version field")")
            }
            guard let architecture, DebianStatus.isArchitecture(architecture) else {
                throw fail("package \(package) has \(architecture.map { "the architecture '\($0.prefix(80))', which is not a Debian architecture" } ?? "no Architecture field")")
            }
            var sourceName: String?
            var sourceVersion: String?
            if let source, !source.isEmpty {
                // `Source: glibc` or `Source: glibc (2.36-9)` (a binNMU's source has the older version).
                let parts = source.split(separator: " ", maxSplits: 1)
                let name = String(parts[0])
                var versionText: String?
                if parts.count == 2 {
                    let rest = parts[1].trimmingSpaces
                    guard rest.hasPrefix("("), rest.hasSuffix(")"), rest.count > 2 else { throw fail("package \(package) has the Source '\(source.prefix(80))', which is not `NAME` or `NAME (VERSION)`") }
                    versionText = String(rest.dropFirst().dropLast()).trimmingSpaces
                }
                guard DebianStatus.isPackageName(name), versionText.map(DebianStatus.isVersion) ?? true else {
                    throw fail("package \(package) has the Source '\(source.prefix(80))', which is not `NAME` or `NAME (VERSION)`")
                }
                if name != package { sourceName = name }
                if let versionText, versionText != version { sourceVersion = versionText }
            }
            let maintainer = maintainer.map { String($0.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(300).map(Character.init)) }
            return DebianPackage(name: package, version: version, architecture: architecture, source: sourceName, sourceVersion: sourceVersion,
                                 maintainer: maintainer?.isEmpty == false ? maintainer : nil)
        }
    }

    /// Debian policy 5.6.1: lower-case letters, digits, `+`, `-`, `.`, starting with a letter or digit.
    static func isPackageName(_ text: String) -> Bool {
        guard let first = text.utf8.first, isLowerAlphanumeric(first), text.utf8.count <= 200 else { return false }
        return text.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// Debian policy 5.6.12: `[epoch:]upstream[-revision]`, of letters, digits and `. + ~ - :`. Policy
    /// wants a digit first; dpkg only warns, so a third-party package's `v1.2` is accepted too.
    static func isVersion(_ text: String) -> Bool {
        guard let first = text.utf8.first, isAlphanumeric(first), text.utf8.count <= 200 else { return false }
        return text.utf8.allSatisfy { isAlphanumeric($0) || ".+~-:".utf8.contains($0) }
    }

    /// `amd64`, `arm64`, `all`, `kfreebsd-amd64`, …
    static func isArchitecture(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
