// swift-tools-version:6.0
// swift-containerize: the smallest Swift server image that really runs, built with or without Docker.
// The design card says "packages: none": this manifest has no package dependencies, only the
// toolchain's modules and system libraries (zlib, libcurl, libcrypto).
import PackageDescription

let package = Package(
    name: "swift-containerize",
    products: [
        .executable(name: "HelloWeb", targets: ["HelloWeb"]),
        .executable(name: "containertool", targets: ["containertool"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "ContainerImage", targets: ["ContainerImage"]),
        .library(name: "OCIModel", targets: ["OCIModel"]),
        .plugin(name: "ContainerizePlugin", targets: ["ContainerizePlugin"]),
    ],
    targets: [
        // MARK: The demo server (compiles both as standard and as Embedded Swift)
        .target(name: "CPOSIX"),
        .target(name: "HTTPServer", dependencies: ["CPOSIX"]),
        .executableTarget(name: "HelloWeb", dependencies: ["HTTPServer", "CPOSIX"]),

        // MARK: The image library and its command line
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CSHA256"),
        // One model of OCI types, canonical JSON and image references, shared by the image
        // builder and the registry client.
        .target(name: "OCIModel", dependencies: ["CSHA256"]),
        .target(name: "ContainerImage", dependencies: ["OCIModel", "CZlib", "CSHA256"]),
        .target(name: "SBOM"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "OCIRegistry", dependencies: ["OCIModel", "CCurl"]),
        // ECDSA signatures over cosign's payload: OpenSSL's libcrypto rather than hand-rolled P-256.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "ImageSigning", dependencies: ["OCIModel", "CCrypto"]),
        .target(name: "GeneratedFiles"),
        .target(name: "DockerfileRenderer", dependencies: ["ContainerImage", "GeneratedFiles"]),
        .target(name: "KubernetesManifests", dependencies: ["GeneratedFiles"]),
        .executableTarget(name: "containertool", dependencies: ["ContainerImage", "OCIModel", "SBOM", "OCIRegistry", "ImageSigning", "DockerfileRenderer", "GeneratedFiles", "KubernetesManifests"]),

        // MARK: `swift package containerize`
        .plugin(
            name: "ContainerizePlugin",
            capability: .command(
                intent: .custom(
                    verb: "containerize",
                    description: "Build an executable product fully static and package it as a scratch container image (OCI layout, docker archive or registry push), and render a multi-stage Dockerfile."
                ),
                permissions: [
                    .writeToPackageDirectory(reason: "writes the rendered Dockerfile, .dockerignore and the image under .build/containerize")
                ]
            )
            // No tool dependency on containertool: the plugin builds it once into a cache every
            // package shares (Plugins/ContainerizePlugin/ToolCache.swift), so SwiftPM does not build
            // it again in each package and re-check it before every run.
        ),

        // MARK: Tests
        // Helpers every test target shares (process runner, free ports, temporary folders, the
        // skip-or-fail rule for missing prerequisites); depended on only by test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["TestSupport", "HTTPServer", "CPOSIX"]),
        .testTarget(name: "OCIModelTests", dependencies: ["TestSupport", "OCIModel", "CSHA256"]),
        .testTarget(name: "ContainerImageTests", dependencies: ["TestSupport", "ContainerImage", "OCIModel", "SBOM"]),
        .testTarget(name: "OCIRegistryTests", dependencies: ["TestSupport", "OCIRegistry", "OCIModel", "ImageSigning"],
                    resources: [.copy("Resources")]),
        .testTarget(name: "DockerfileRendererTests", dependencies: ["TestSupport", "DockerfileRenderer", "GeneratedFiles"], exclude: ["Golden"]),
        // The plugin's pure files, compiled here through symlinks (a plugin target cannot be imported).
        .testTarget(name: "ContainerizePluginTests", dependencies: ["TestSupport"]),
        .testTarget(name: "KubernetesManifestsTests", dependencies: ["TestSupport", "KubernetesManifests", "GeneratedFiles"], exclude: ["Golden", "Resources"]),
    ],
    swiftLanguageModes: [.v6]
)
