/// Which `swift build` flags compile a product for a platform other than (or named as) the host's: the
/// one owner of the Swift SDK choice, beside `BuildMode`'s flags. Embedded Swift cross-compiles through
/// the local Swift SDKs of scripts/make-swift-sdk.sh (`embedded-linux-ARCH`); the standard runtime only
/// through an installed Swift SDK such as the Static Linux SDK, named with `--swift-sdk`.
public struct CrossBuild: Sendable, Equatable {
    /// `linux/arm64`, `linux/amd64`, as `Platform(parsing:)` reads them (its `name`).
    public var platform: String?
    /// `--swift-sdk NAME`; nil picks the local Embedded SDK for a non-host platform.
    public var swiftSDK: String?
    /// `--swift-sdks-path DIR`: where the local SDK bundles are.
    public var swiftSDKsPath: String?
    /// The host's platform, `linux/amd64` on x86-64.
    public var hostPlatform: String

    public init(platform: String?, swiftSDK: String?, swiftSDKsPath: String?, hostPlatform: String) {
        self.platform = platform
        self.swiftSDK = swiftSDK
        self.swiftSDKsPath = swiftSDKsPath
        self.hostPlatform = hostPlatform
    }

    /// The local Embedded SDK's name for a platform: `embedded-linux-arm64`.
    public static func embeddedSDKName(for platform: String) -> String {
        "embedded-" + platform.split(separator: "/").prefix(2).joined(separator: "-")
    }

    /// True when the build needs a Swift SDK (a platform other than the host's, or one named).
    public var usesSDK: Bool { swiftSDK != nil || (platform.map { $0 != hostPlatform } ?? false) }

    /// The Swift SDK the build goes through: the one named, else the local Embedded SDK for a
    /// non-host platform; nil for a host build (or a standard cross build, which has none).
    public func sdkName(mode: BuildMode) -> String? {
        guard usesSDK else { return nil }
        return swiftSDK ?? (mode == .embedded ? Self.embeddedSDKName(for: platform ?? hostPlatform) : nil)
    }

    /// `mode`'s flags with the SDK flags for this platform; throws when the standard runtime is asked
    /// for another platform without a Swift SDK.
    public func swiftBuildFlags(mode: BuildMode, link: BuildMode.Link) throws(CrossBuildError) -> [String]? {
        guard let base = mode.swiftBuildFlags(link: link) else { return nil }
        guard usesSDK else { return base }
        let sdkPath = swiftSDKsPath.map { ["--swift-sdks-path", $0] } ?? []
        switch mode {
        case .embedded:
            // The local SDK's toolset carries the Embedded compile and static link flags.
            return sdkPath + ["--swift-sdk", sdkName(mode: mode) ?? "", "-Xlinker", "-s"]
        case .standard:
            guard let swiftSDK else { throw .standardNeedsSDK(platform: platform ?? hostPlatform) }
            // A Static Linux SDK links statically by itself (musl); -static-executable is for glibc.
            return sdkPath + ["--swift-sdk", swiftSDK, "--static-swift-stdlib", "-Xlinker", "-s"]
        }
    }
}

/// A cross build that cannot be done as asked, with what to do instead.
public enum CrossBuildError: Error, CustomStringConvertible, Equatable {
    case standardNeedsSDK(platform: String)

    public var description: String {
        switch self {
        case .standardNeedsSDK(let platform):
            let triple = platform.hasSuffix("arm64") ? "aarch64-swift-linux-musl" : "x86_64-swift-linux-musl"
            return "the standard Swift runtime builds for \(platform) only through a Swift SDK: install the Static Linux SDK, see `swift sdk list`, and pass --swift-sdk NAME (e.g. \(triple)); or build Embedded Swift with --embedded"
        }
    }
}
