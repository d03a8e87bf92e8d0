import GeneratedFiles
import Foundation
import KubernetesManifests
import TestSupport
import XCTest

/// `containertool resolve` and `containertool kubernetes` as the real executable: exit codes, one-line
/// errors, the JSON the plugin reads, and the marker rule.
final class CommandLineTests: XCTestCase {
    /// Runs the `containertool` that `swift test` builds beside the test bundle.
    private func containertool(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try BuiltProducts.requireContainertool(), arguments)
    }

    func testListJSONIsWhatThePluginReads() throws {
        let result = try containertool(["resolve", Support.fixtureDeploy, "--list", "--json", "--push", "127.0.0.1:5000/team",
                                        "--executables", "hello-a,hello-b,containertool"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let products = try XCTUnwrap(json?["products"] as? [[String: Any]])
        XCTAssertEqual(products.map { $0["name"] as? String }, ["hello-a", "hello-b"])
        XCTAssertEqual(products.map { $0["repository"] as? String }, ["127.0.0.1:5000/team/hello-a", "127.0.0.1:5000/team/hello-b"])
        XCTAssertEqual((json?["references"] as? [Any])?.count, 5)
        XCTAssertTrue(result.stderr.contains("10-apps.yaml:8: swift:// outside an image field is left as it is"), result.stderr)
    }

    func testResolvePrintsTheGoldenOutput() throws {
        let result = try containertool(["resolve", Support.fixtureDeploy]
            + Support.fixtureImages.sorted { $0.key < $1.key }.flatMap { ["--image", "\($0.key)=\($0.value)"] })
        XCTAssertEqual(result.status, 0, result.stderr)
        try Support.assertGolden(result.stdout, "fixture-resolved.yaml")
    }

    func testBadInputIsOneLineWithExitStatus() throws {
        let unknown = try containertool(["resolve", Support.fixtureDeploy, "--list", "--executables", "hello-a"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").filter { !$0.hasPrefix("note: ") },
                       ["containertool resolve: \(Support.fixtureDeploy)/10-apps.yaml:35: swift://hello-b names no executable product of this package (executable products: hello-a)"])

        let missing = try containertool(["resolve", Support.fixtureDeploy, "--image", "hello-a=r.example/t/a@" + Support.digestA])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stdout, "", "nothing is printed before every product has an image")
        XCTAssertTrue(missing.stderr.hasPrefix("containertool resolve: \(Support.fixtureDeploy)/10-apps.yaml:35: no --image hello-b="))

        let mapping = try containertool(["resolve", Support.fixtureDeploy, "--image", "hello-a=latest"])
        XCTAssertEqual(mapping.status, 1)
        XCTAssertTrue(mapping.stderr.contains("invalid --image 'hello-a=latest'"), mapping.stderr)

        for (arguments, message) in [
            (["resolve", "--list"], "give a manifest file or folder"),
            (["resolve", Support.fixtureDeploy], "give --list, or --image"),
            (["resolve", Support.fixtureDeploy, "--list", "--push", "Registry/Team:1"], "is not a REGISTRY[/PREFIX]"),
            (["kubernetes"], "--product NAME is required"),
            (["kubernetes", "--product", "HelloWeb", "--user", "0:0"], "must not be root"),
        ] {
            let result = try containertool(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    /// `App` and `app` would both go to PREFIX/app: refused before anything is built or pushed.
    func testProductsThatShareARepositoryAreRefused() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("apps.yaml")
        try Data("""
            containers:
              - image: swift://App
              - image: swift://app
            """.utf8).write(to: file)
        let result = try containertool(["resolve", file.path, "--list", "--json", "--push", "127.0.0.1:5000/team"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { !$0.hasPrefix("note: ") },
                       ["containertool resolve: \(file.path):3: swift://app and swift://App would both be pushed to 127.0.0.1:5000/team/app; rename one of the two products"]
                        .map { Substring($0) })
    }

    func testKubernetesKeepsAHandWrittenFileUnlessForced() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("deploy/HelloWeb.yaml")
        let created = try containertool(["kubernetes", "--product", "HelloWeb", "--output", file.path])
        XCTAssertEqual(created.status, 0, created.stderr)
        XCTAssertEqual(created.stdout, "\(file.path): created\n")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), try String(contentsOf: Support.golden.appendingPathComponent("HelloWeb.yaml"), encoding: .utf8))
        XCTAssertEqual(try containertool(["kubernetes", "--product", "HelloWeb", "--output", file.path]).stdout, "\(file.path): unchanged\n")

        try Data("kind: Deployment # mine\n".utf8).write(to: file)
        let refused = try containertool(["kubernetes", "--product", "HelloWeb", "--output", file.path, "--port", "9000"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("Pass --force"), refused.stderr)
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "kind: Deployment # mine\n")
        let forced = try containertool(["kubernetes", "--product", "HelloWeb", "--output", file.path, "--port", "9000", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(GeneratedFile.isGenerated(try String(contentsOf: file, encoding: .utf8)))
    }

    func testKubernetesWarnsWhenAnotherProductGetsTheSameObjectName() throws {
        let folder = try Support.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let shared = try containertool(["kubernetes", "--product", "App", "--output", folder.appendingPathComponent("App.yaml").path,
                                        "--executables", "App,app,Tool"])
        XCTAssertEqual(shared.status, 0, shared.stderr)
        XCTAssertEqual(shared.stderr, "warning: swift://App and swift://app both get the Kubernetes name 'app'; "
                       + "change metadata.name and the app label in one of their manifests before applying both\n")
        let alone = try containertool(["kubernetes", "--product", "Tool", "--output", folder.appendingPathComponent("Tool.yaml").path,
                                       "--executables", "App,app,Tool"])
        XCTAssertEqual(alone.status, 0, alone.stderr)
        XCTAssertEqual(alone.stderr, "")
        XCTAssertEqual(StarterManifest(product: "My_App").productSharingObjectName(among: ["my-app", "My_App"]), "my-app")
    }
}
