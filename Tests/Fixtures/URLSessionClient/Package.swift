// swift-tools-version:6.0
// A fixture for `swift package containerize --link dynamic-libc`: a URLSession client
// (FoundationNetworking, which links libcurl), in a package that depends on swift-containerize.
import PackageDescription

let package = Package(
    name: "URLSessionClient",
    products: [
        .executable(name: "Fetch", targets: ["Fetch"]),
    ],
    dependencies: [
        .package(path: "../../.."),
    ],
    targets: [
        .executableTarget(name: "Fetch"),
    ],
    swiftLanguageModes: [.v6]
)
