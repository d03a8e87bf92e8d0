/// One thing a link pulled into the binary, named by where it came from.
public struct LinkedComponent: Sendable, Equatable, Hashable {
    public enum Origin: Sendable, Equatable, Hashable {
        /// A library of the Swift toolchain (its static runtime: swiftCore, Foundation, Dispatch…).
        case swiftToolchain
        /// A Debian package (glibc's `libc6-dev`, `libstdc++-12-dev`, `libgcc-12-dev`, `zlib1g-dev`…).
        case debian(architecture: String, distro: String)
        /// A package of the product's SwiftPM dependency graph (its `Package.resolved` identity).
        case swiftPackage
        /// A file no package database owns (a hand-installed library): named by its path.
        case unowned
    }

    public var name: String
    public var version: String?
    public var origin: Origin
    /// The linked files it stands for, sorted (the SPDX comment lists them).
    public var files: [String]
    /// `STATIC_LINK` or `DYNAMIC_LINK` (a bundled shared library, `--link dynamic-libc`).
    public var isDynamic: Bool

    public init(name: String, version: String?, origin: Origin, files: [String], isDynamic: Bool = false) {
        self.name = name
        self.version = version
        self.origin = origin
        self.files = files
        self.isDynamic = isDynamic
    }

    /// The package URL a scanner matches vulnerabilities on.
    public var purl: String? {
        switch origin {
        case .swiftToolchain:
            return "pkg:generic/swiftlang/\(name)" + (version.map { "@\($0)" } ?? "")
        case let .debian(architecture, distro):
            guard let version else { return nil }
            return "pkg:deb/debian/\(Self.percentEncoded(name))@\(Self.percentEncoded(version))?arch=\(architecture)&distro=\(distro)"
        case .swiftPackage, .unowned:
            return nil
        }
    }

    /// purl names and versions escape what is not unreserved (`+` in `2.36-9+deb12u10` and in
    /// `libstdc++6` becomes `%2B`, as syft and trivy write them).
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if character.isASCII && (character.isLetter || character.isNumber || "-._~".contains(character)) {
                result.append(character)
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Decides where each linked file came from, without touching the file system: the toolchain
/// (under its root), a module of the package graph (an object under the build folder's
/// `MODULE.build/`), or the system (everything else, for the package database to name).
public struct LinkInputClassifier: Sendable {
    public enum Place: Sendable, Equatable {
        /// A toolchain library, e.g. `swiftCore` for `…/swift_static/linux/libswiftCore.a`.
        case toolchain(library: String)
        /// An object of a SwiftPM module.
        case module(String)
        case system
    }

    /// The toolchain's `usr` parent, e.g. `/opt/swift`; empty for a toolchain installed at `/usr`.
    public var toolchainRoot: String
    /// The build's scratch folder (objects are under it).
    public var buildDirectory: String

    public init(toolchainRoot: String, buildDirectory: String) {
        self.toolchainRoot = toolchainRoot.hasSuffix("/") ? String(toolchainRoot.dropLast()) : toolchainRoot
        self.buildDirectory = buildDirectory.hasSuffix("/") ? String(buildDirectory.dropLast()) : buildDirectory
    }

    public func place(of path: String) -> Place {
        if path.hasPrefix(buildDirectory + "/") {
            let components = path.dropFirst(buildDirectory.count + 1).split(separator: "/")
            if let module = components.last(where: { $0.hasSuffix(".build") && $0.count > 6 }) {
                return .module(String(module.dropLast(6)))
            }
        }
        // A toolchain installed at the root (the swift Docker images: /usr/lib/swift_static) owns
        // only its runtime folders there; one in its own folder owns everything below it.
        if toolchainRoot.isEmpty ? path.hasPrefix("/usr/lib/swift") : path.hasPrefix(toolchainRoot + "/") {
            return .toolchain(library: Self.libraryName(path))
        }
        return .system
    }

    /// `libswiftCore.a` → `swiftCore`, `libFoundation.so` → `Foundation`, `swiftrt.o` → `swiftrt`.
    static func libraryName(_ path: String) -> String {
        var name = String(path.split(separator: "/").last ?? Substring(path))
        if let so = name.range(of: ".so") { name = String(name[..<so.lowerBound]) }
        for suffix in [".a", ".o"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        if name.hasPrefix("lib") && name.count > 3 { name.removeFirst(3) }
        return name
    }
}
