/// The base image an image was built on (`--from`) and the packages its dpkg database lists: in the
/// SBOM the image `CONTAINS` the base, and the base `CONTAINS` each package.
public struct BaseImageComponent: Sendable, Equatable {
    /// The base as the user named it (`host/repo:tag`, or a local layout's kind and folder name).
    public var name: String
    /// The digest the build resolved the base to (the index's for a multi-platform base: what the
    /// image's `org.opencontainers.image.base.digest` records), or the platform's manifest digest.
    public var digest: String
    /// The platform's image manifest digest, when it differs from `digest` (a multi-platform base).
    public var platformManifestDigest: String?
    /// `linux/amd64`: which of the base's images the packages are from.
    public var platform: String
    /// `host/repo` of a registry base (the purl's `repository_url`); nil for a local one.
    public var repositoryURL: String?
    /// The base's `os-release`: the purls' namespace and `distro`; nil when the base has none.
    public var osRelease: OSRelease?
    /// The installed packages, sorted (`DebianStatus.sorted`).
    public var packages: [DebianPackage]
    /// Where the packages were read, e.g. `var/lib/dpkg/status` (the SPDX comments say it).
    public var packageDatabase: String?
    /// Who supplies the base, as its config's `org.opencontainers.image.vendor` (or `.authors`) label
    /// says; nil: the image's supplier, who ships the base inside the image.
    public var supplier: String?

    public init(name: String, digest: String, platformManifestDigest: String? = nil, platform: String, repositoryURL: String? = nil,
                osRelease: OSRelease? = nil, packages: [DebianPackage] = [], packageDatabase: String? = nil) {
        self.name = name
        self.digest = digest
        self.platformManifestDigest = platformManifestDigest
        self.platform = platform
        self.repositoryURL = repositoryURL
        self.osRelease = osRelease
        self.packages = packages
        self.packageDatabase = packageDatabase
    }

    /// The purl's name for a base with no repository (a local layout's folder name); nil: the
    /// repository's last part.
    public var purlName: String?

    /// The base's purl: `pkg:oci/NAME@sha256%3A…?arch=amd64&repository_url=host/repo` (NAME the
    /// repository's last part, lower case; qualifiers sorted, as the purl spec wants).
    public var purl: String {
        let repository = repositoryURL ?? name
        var last = (purlName ?? String(repository.split(separator: "/").last ?? Substring(repository))).lowercased()
        if purlName == nil, let cut = last.firstIndex(where: { $0 == ":" || $0 == "@" }) { last = String(last[..<cut]) }
        var qualifiers = ["arch=" + LinkedComponent.percentEncoded(architecture)]
        if let repositoryURL { qualifiers.append("repository_url=" + repositoryURL.split(separator: "/").map { LinkedComponent.percentEncoded(String($0)) }.joined(separator: "/")) }
        return "pkg:oci/\(LinkedComponent.percentEncoded(last.isEmpty ? "base" : last))@\(LinkedComponent.percentEncoded(digest))?" + qualifiers.joined(separator: "&")
    }

    /// `amd64` of `linux/amd64`, `arm64` of `linux/arm64/v8`.
    var architecture: String {
        let parts = platform.split(separator: "/")
        return parts.count >= 2 ? String(parts[1]) : platform
    }

    /// A package's purl: `pkg:deb/debian/libc6@2.36-9%2Bdeb12u10?arch=amd64&distro=debian-12&upstream=glibc`
    /// (the namespace is the os-release ID, `debian` when unknown; `upstream` names a source package
    /// other than the binary's, with its version when that differs).
    public func purl(of package: DebianPackage) -> String {
        var qualifiers = ["arch=" + package.architecture]
        if let distro = osRelease?.distro { qualifiers.append("distro=" + LinkedComponent.percentEncoded(distro)) }
        if package.source != nil || package.sourceVersion != nil {
            let source = package.source ?? package.name
            qualifiers.append("upstream=" + LinkedComponent.percentEncoded(source) + (package.sourceVersion.map { "%40" + LinkedComponent.percentEncoded($0) } ?? ""))
        }
        return "pkg:deb/\(osRelease?.id ?? "debian")/\(LinkedComponent.percentEncoded(package.name))@\(LinkedComponent.percentEncoded(package.version))?"
            + qualifiers.joined(separator: "&")
    }

    static let spdxID = "SPDXRef-Package-base-image"

    /// `SPDXRef-Package-base-deb-amd64.libstdc.2B.2B6`: the architecture (letters, digits and `-`
    /// only), a dot, then the name with every character outside `A-Za-z0-9-` written `.XX` (hex). One
    /// id per name and architecture, never two: the first dot ends the architecture, and in the name a
    /// dot always starts an escape.
    static func spdxID(of package: DebianPackage) -> String {
        var name = ""
        for byte in package.name.utf8 {
            if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D {
                name.append(Character(Unicode.Scalar(byte)))
            } else {
                name += "." + String(byte, radix: 16, uppercase: true)
            }
        }
        return "SPDXRef-Package-base-deb-\(package.architecture).\(name)"
    }

    /// SPDX's `Organization: NAME (EMAIL)` from a Debian `Maintainer: NAME <EMAIL>`; without one
    /// (dpkg requires it, a hand-made database may lack it), the distribution os-release names.
    func supplier(of package: DebianPackage) -> String? {
        guard let maintainer = package.maintainer else { return osRelease.map { "Organization: " + $0.id } }
        guard let open = maintainer.lastIndex(of: "<"), maintainer.hasSuffix(">") else { return "Organization: " + maintainer }
        let name = maintainer[..<open].trimmingSpaces
        let email = maintainer[maintainer.index(after: open)..<maintainer.index(before: maintainer.endIndex)]
        return "Organization: \(name.isEmpty ? String(email) : name) (\(email))"
    }
}
