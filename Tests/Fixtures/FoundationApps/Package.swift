// swift-tools-version:6.0
// Fixture for real Foundation apps in a `scratch` image (issue #10), depending on swift-containerize by
// path and on nothing but the toolchain:
//   foundation-tool  DateFormatter in America/New_York (needs time-zone data), FileManager in /tmp and
//                    the home folder, JSONEncoder, TimeZone.current
//   resource-tool    prints resources read through Bundle.module, its own and a library target's
//                    (needs the resource bundles next to the executable)
import PackageDescription

let package = Package(
    name: "FoundationApps",
    products: [
        .executable(name: "foundation-tool", targets: ["FoundationTool"]),
        .executable(name: "resource-tool", targets: ["ResourceTool"]),
    ],
    dependencies: [
        .package(path: "../../.."),
    ],
    targets: [
        .executableTarget(name: "FoundationTool"),
        .target(name: "Assets", resources: [.process("banner.txt")]),
        .executableTarget(name: "ResourceTool", dependencies: ["Assets"], resources: [.copy("public")]),
    ],
    swiftLanguageModes: [.v6]
)
