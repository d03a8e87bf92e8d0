// swift-tools-version:6.0
// A fixture for `swift package containerize` in a package that depends on swift-containerize:
// two executable products (so the product must be chosen) and a library product (not containerizable).
import PackageDescription

let package = Package(
    name: "TwoProducts",
    products: [
        .executable(name: "hello-a", targets: ["HelloA"]),
        .executable(name: "hello-b", targets: ["HelloB"]),
        .library(name: "Greeting", targets: ["Greeting"]),
    ],
    dependencies: [
        .package(path: "../../.."),
    ],
    targets: [
        .target(name: "Greeting"),
        .executableTarget(name: "HelloA", dependencies: ["Greeting"]),
        .executableTarget(name: "HelloB", dependencies: ["Greeting"]),
    ],
    swiftLanguageModes: [.v6]
)
