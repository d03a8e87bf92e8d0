/// How the product is compiled: with the standard Swift runtime, or as Embedded Swift.
public enum BuildMode: String, Sendable, CaseIterable {
    /// The full Swift runtime, linked statically: any product builds this way.
    case standard
    /// Embedded Swift: no runtime floor (a hello server is ~700 KB), but no Foundation, no existentials.
    case embedded

    /// The `swift build` arguments after `swift build -c release --product NAME` that make the
    /// binary fully static and stripped, so it runs on `scratch`.
    public var swiftBuildFlags: [String] {
        switch self {
        case .standard:
            return ["--static-swift-stdlib", "-Xswiftc", "-static-executable", "-Xlinker", "-s"]
        case .embedded:
            // `-static-executable` does not combine with Embedded (it selects the non-embedded
            // static resource directory), so the static link goes through the clang linker driver.
            return [
                "-Xswiftc", "-enable-experimental-feature", "-Xswiftc", "Embedded", "-Xswiftc", "-wmo",
                "-Xswiftc", "-Xclang-linker", "-Xswiftc", "-static",
                "-Xswiftc", "-Xclang-linker", "-Xswiftc", "-no-pie",
                "-Xlinker", "-s",
            ]
        }
    }

    /// The full release build command for one product, as one shell line.
    public func swiftBuildCommand(product: String) -> String {
        (["swift", "build", "-c", "release", "--product", product] + swiftBuildFlags).joined(separator: " ")
    }
}
