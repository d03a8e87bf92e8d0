import Foundation

/// One pin of a `Package.resolved` file (format v1, v2 or v3).
public struct ResolvedPackagePin: Sendable, Equatable {
    public var identity: String
    /// The repository URL (or registry identity) the pin resolves to.
    public var location: String
    public var version: String?
    public var revision: String?
    public var branch: String?

    public init(identity: String, location: String, version: String? = nil, revision: String? = nil, branch: String? = nil) {
        self.identity = identity
        self.location = location
        self.version = version
        self.revision = revision
        self.branch = branch
    }
}

/// Why an SBOM could not be made.
public enum SBOMError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadablePackageResolved(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadablePackageResolved(path, reason):
            return "cannot read \(path): \(reason). Run `swift package resolve` to regenerate it, or delete it if the package has no dependencies."
        }
    }
}

/// An SPDX 2.3 JSON software bill of materials for one Swift product: the product, the Swift
/// toolchain that built it, and every resolved package (`DESCRIBES` and `DEPENDS_ON` relationships).
public struct SBOMDocument: Sendable {
    public var product: String
    public var version: String
    /// e.g. `6.3.1`, as `swift --version` reports it.
    public var swiftVersion: String
    public var pins: [ResolvedPackagePin]
    /// `creationInfo.created`: the caller passes `SOURCE_DATE_EPOCH` when set (validated like
    /// `build` does), so the SBOM is reproducible.
    public var created: Date
    /// Where the product's source lives (e.g. the git remote); `NOASSERTION` when unknown.
    public var sourceLocation: String?
    /// What the link pulled in (from a `LinkTrace`): each becomes a package the product
    /// `STATIC_LINK`s (or `DYNAMIC_LINK`s). Empty when no trace was given.
    public var linked: [LinkedComponent] = []
    /// The pins whose modules the link used: `STATIC_LINK` rather than `DEPENDS_ON`.
    public var linkedPins: Set<String> = []
    /// The image the product ships in (`name`, `sha256:…`): a package that `CONTAINS` the product.
    public var image: (name: String, digest: String)?
    /// The base the image was built on (`--from`) and its packages: the image `CONTAINS` it, it
    /// `CONTAINS` each package. Needs `image`.
    public var base: BaseImageComponent?

    public init(product: String, version: String, swiftVersion: String, pins: [ResolvedPackagePin],
                created: Date, sourceLocation: String? = nil) {
        self.product = product
        self.version = version
        self.swiftVersion = swiftVersion
        self.pins = pins
        self.created = created
        self.sourceLocation = sourceLocation
    }

    /// `6.3.1` from `Swift version 6.3.1 (swift-6.3.1-RELEASE)` (also `Apple Swift version …`).
    public static func swiftVersion(fromVersionOutput output: String) -> String? {
        guard let range = output.range(of: "Swift version ") else { return nil }
        let version = output[range.upperBound...].prefix { !$0.isWhitespace }
        return version.isEmpty ? nil : String(version)
    }

    /// The pins of a `Package.resolved` file; v1 (`object.pins` with `package`/`repositoryURL`) and v2/v3 (`pins` with `identity`/`location`).
    public static func pins(fromPackageResolved data: Data, path: String = "Package.resolved") throws -> [ResolvedPackagePin] {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw SBOMError.unreadablePackageResolved(path: path, reason: "it is not a JSON object")
        }
        let rawPins = (json["pins"] as? [[String: Any]]) ?? ((json["object"] as? [String: Any])?["pins"] as? [[String: Any]])
        guard let rawPins else { throw SBOMError.unreadablePackageResolved(path: path, reason: "it has no pins list") }
        return try rawPins.map { pin in
            let state = pin["state"] as? [String: Any] ?? [:]
            guard let identity = (pin["identity"] as? String) ?? (pin["package"] as? String)?.lowercased(),
                  let location = (pin["location"] as? String) ?? (pin["repositoryURL"] as? String)
            else { throw SBOMError.unreadablePackageResolved(path: path, reason: "a pin has no identity or location") }
            return ResolvedPackagePin(identity: identity, location: location, version: state["version"] as? String,
                                      revision: state["revision"] as? String, branch: state["branch"] as? String)
        }.sorted { $0.identity < $1.identity }
    }

    // MARK: SPDX

    static let documentID = "SPDXRef-DOCUMENT"
    var productID: String { "SPDXRef-Package-" + Self.idSafe(product) }
    static let toolchainID = "SPDXRef-Package-swift-toolchain"
    static func pinID(_ pin: ResolvedPackagePin) -> String { "SPDXRef-Package-dependency-" + idSafe(pin.identity) }
    static func componentID(_ component: LinkedComponent) -> String {
        let kind: String
        switch component.origin {
        case .swiftToolchain: kind = "swift"
        case .debian: kind = "deb"
        case .swiftPackage: kind = "swiftpm"
        case .unowned: kind = "file"
        }
        return "SPDXRef-Package-linked-\(kind)-" + idSafe(component.name)
    }

    /// `registry/repo:tag` → (`registry/repo`, `tag`); the tag or digest part is dropped.
    static func splitImageName(_ name: String) -> (String, String?) {
        if let at = name.firstIndex(of: "@") { return (String(name[..<at]), String(name[name.index(after: at)...])) }
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { return (String(name[..<colon]), String(name[name.index(after: colon)...])) }
        return (name, nil)
    }

    /// A deterministic namespace: the same product and version always give the same URI.
    public var documentNamespace: String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        return "https://swift-containerize.invalid/spdx/\(encode(product))/\(encode(version))"
    }

    static let imageID = "SPDXRef-Package-image"
    /// The document's root: the image when there is one (it `CONTAINS` the product), else the product.
    var describedID: String { image == nil ? productID : Self.imageID }
    static let swiftSupplier = "Swift.org"
    /// Who supplies the product and the image when the source URL names no owner (a local or
    /// unknown remote): `--supplier`, the release's last commit author.
    public var supplier: String?
    var productSupplier: String? { sourceLocation.flatMap(Self.owner(ofLocation:)) ?? supplier }

    /// `apple` for `https://github.com/apple/swift-nio.git` or `git@github.com:apple/swift-nio.git`.
    static func owner(ofLocation location: String) -> String? {
        var rest = location
        if let scheme = rest.range(of: "://") { rest = String(rest[scheme.upperBound...]) } else if let colon = rest.firstIndex(of: ":"), rest.contains("@") {
            rest = "host/" + rest[rest.index(after: colon)...]
        } else {
            return nil
        }
        let parts = rest.split(separator: "/")
        return parts.count >= 3 ? String(parts[1]) : nil
    }

    /// The SPDX 2.3 document as a JSON object tree.
    public var jsonObject: [String: Any] {
        let noAssertion = "NOASSERTION"
        func package(id: String, name: String, version: String?, download: String?, purl: String?, comment: String? = nil,
                     supplier: String?) -> [String: Any] {
            var entry: [String: Any] = [
                "SPDXID": id, "name": name, "downloadLocation": download ?? noAssertion, "filesAnalyzed": false,
                "supplier": supplier.map { "Organization: " + $0 } ?? noAssertion,
                "licenseConcluded": noAssertion, "licenseDeclared": noAssertion, "copyrightText": noAssertion,
            ]
            if let version { entry["versionInfo"] = version }
            if let purl { entry["externalRefs"] = [["referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl]] }
            if let comment { entry["comment"] = comment }
            return entry
        }
        var packages: [[String: Any]] = [
            package(id: productID, name: product, version: version, download: sourceLocation.flatMap(Self.spdxDownloadLocation), purl: nil,
                    comment: "The Swift product packaged into the container image." + (sourceLocation.map { " Source: \($0)." } ?? ""),
                    supplier: productSupplier),
            package(id: Self.toolchainID, name: "swift", version: swiftVersion, download: "https://github.com/swiftlang/swift",
                    purl: "pkg:generic/swift@\(swiftVersion)", comment: "The Swift toolchain; its runtime is linked statically into the product.", supplier: Self.swiftSupplier),
        ]
        var relationships: [[String: Any]] = [
            ["spdxElementId": Self.documentID, "relationshipType": "DESCRIBES", "relatedSpdxElement": describedID],
            ["spdxElementId": productID, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": Self.toolchainID],
        ]
        for pin in pins {
            let version = pin.version ?? pin.branch ?? pin.revision
            packages.append(package(id: Self.pinID(pin), name: pin.identity, version: version,
                                    download: Self.downloadLocation(pin), purl: Self.purl(pin), supplier: Self.owner(ofLocation: pin.location)))
            let relationship = linkedPins.contains(pin.identity) ? "STATIC_LINK" : "DEPENDS_ON"
            relationships.append(["spdxElementId": productID, "relationshipType": relationship, "relatedSpdxElement": Self.pinID(pin)])
        }
        for component in linked.sorted(by: { ($0.name, $0.files.first ?? "") < ($1.name, $1.files.first ?? "") }) {
            let id = Self.componentID(component)
            let what: String
            let supplier: String?
            switch component.origin {
            case .swiftToolchain: (what, supplier) = ("Swift toolchain library", Self.swiftSupplier)
            case .debian: (what, supplier) = ("Debian package", "Debian")
            case .swiftPackage: (what, supplier) = ("SwiftPM package", nil)
            case .unowned: (what, supplier) = ("a file no package database owns", nil)
            }
            packages.append(package(id: id, name: component.name, version: component.version, download: nil, purl: component.purl,
                                    comment: "\(what), linked into \(product) from: \(component.files.joined(separator: ", ")).",
                                    supplier: supplier))
            relationships.append(["spdxElementId": productID, "relationshipType": component.isDynamic ? "DYNAMIC_LINK" : "STATIC_LINK", "relatedSpdxElement": id])
        }
        if let image {
            let id = Self.imageID
            let (repository, _) = Self.splitImageName(image.name)
            packages.append(package(id: id, name: image.name, version: image.digest, download: nil,
                                    purl: "pkg:oci/\(repository.split(separator: "/").last ?? Substring(repository))@\(image.digest.replacingOccurrences(of: ":", with: "%3A"))",
                                    comment: "The container image; it holds the product as its entrypoint.", supplier: productSupplier))
            relationships.append(["spdxElementId": id, "relationshipType": "CONTAINS", "relatedSpdxElement": productID])
            if let base {
                let database = base.packageDatabase.map { " (read from its /\($0))" } ?? ""
                let platformManifest = base.platformManifestDigest.map { ", whose \(base.platform) image manifest is \($0)" } ?? " (\(base.platform))"
                packages.append(package(id: BaseImageComponent.spdxID, name: base.name, version: base.digest, download: nil, purl: base.purl,
                                        comment: "The base image the image is built on\(platformManifest); it holds \(base.packages.count) installed package\(base.packages.count == 1 ? "" : "s")\(database).",
                                        supplier: base.supplier ?? productSupplier))
                relationships.append(["spdxElementId": id, "relationshipType": "CONTAINS", "relatedSpdxElement": BaseImageComponent.spdxID])
                for basePackage in base.packages {
                    let packageID = BaseImageComponent.spdxID(of: basePackage)
                    var entry = package(id: packageID, name: basePackage.name, version: basePackage.version, download: nil, purl: base.purl(of: basePackage),
                                        comment: "Debian package (\(basePackage.architecture)) installed in the base image\(database)"
                                            + (basePackage.source.map { ", built from the source package \($0)" } ?? "")
                                            + (basePackage.sourceVersion.map { " \($0)" } ?? "") + ".",
                                        supplier: nil)
                    if let supplier = base.supplier(of: basePackage) { entry["supplier"] = supplier }
                    packages.append(entry)
                    relationships.append(["spdxElementId": BaseImageComponent.spdxID, "relationshipType": "CONTAINS", "relatedSpdxElement": packageID])
                }
            }
        }
        return [
            "spdxVersion": "SPDX-2.3",
            "dataLicense": "CC0-1.0",
            "SPDXID": Self.documentID,
            "name": "\(product)-\(version)",
            "documentNamespace": documentNamespace,
            "creationInfo": ["created": Self.timestamp(created), "creators": ["Tool: swift-containerize"]],
            "documentDescribes": [describedID],
            "packages": packages,
            "relationships": relationships,
        ]
    }

    /// Pretty, key-sorted JSON with a trailing newline: byte-identical for identical input.
    public func jsonData() throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// `2026-01-02T03:04:05Z`, as SPDX requires.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return formatter.string(from: date)
    }

    /// SPDX ids allow letters, digits, `.` and `-`.
    static func idSafe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
    }

    /// A git remote as an SPDX download location: `https://…` → `git+https://…`,
    /// `git@host:owner/repo.git` → `git+ssh://git@host/owner/repo.git`; nil for anything else (a local path).
    static func spdxDownloadLocation(forSource source: String) -> String? {
        for scheme in ["https://", "http://", "ssh://", "git://"] where source.hasPrefix(scheme) { return "git+" + source }
        if source.hasPrefix("git+") { return source }
        if let at = source.firstIndex(of: "@"), let colon = source[at...].firstIndex(of: ":"), !source.contains("://") {
            return "git+ssh://" + source[..<colon] + "/" + source[source.index(after: colon)...]
        }
        return nil
    }

    /// `git+https://host/owner/repo.git@REVISION` for a git pin, as SPDX writes VCS locations.
    static func downloadLocation(_ pin: ResolvedPackagePin) -> String {
        guard pin.location.hasPrefix("https://") || pin.location.hasPrefix("http://") || pin.location.hasPrefix("ssh://") else {
            return "NOASSERTION"
        }
        return "git+\(pin.location)" + (pin.revision.map { "@\($0)" } ?? "")
    }

    /// `pkg:swift/github.com/owner/repo@1.2.3` for pins with a URL location and a version.
    static func purl(_ pin: ResolvedPackagePin) -> String? {
        guard let url = URL(string: pin.location), let host = url.host else { return nil }
        var path = url.path
        if path.hasSuffix(".git") { path.removeLast(4) }
        let version = pin.version ?? pin.revision
        return "pkg:swift/\(host)\(path)" + (version.map { "@\($0)" } ?? "")
    }
}
