import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// The lookup order: Docker config, then ~/.netrc, then the environment — in a temporary HOME.
final class CredentialStoreTests: XCTestCase {
    var home: URL!

    override func setUpWithError() throws {
        home = try temporaryDirectory(self, "home")
    }

    func writeDockerConfig(_ json: String, in directory: URL? = nil) throws {
        let folder = directory ?? home.appendingPathComponent(".docker")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: folder.appendingPathComponent("config.json"))
    }

    func writeNetrc(_ text: String) throws {
        try Data(text.utf8).write(to: home.appendingPathComponent(".netrc"))
    }

    func auth(_ user: String, _ password: String) -> String { Data("\(user):\(password)".utf8).base64EncodedString() }

    let environmentCredentials = ["CONTAINERIZE_REGISTRY_USERNAME": "env-user", "CONTAINERIZE_REGISTRY_PASSWORD": "env-pass"]

    func store(_ extra: [String: String] = [:]) -> CredentialStore {
        CredentialStore(environment: ["HOME": home.path].merging(extra) { $1 })
    }

    func testNothingConfiguredMeansAnonymous() throws {
        XCTAssertNil(try store().credential(for: "127.0.0.1:5000"))
    }

    func testDockerConfigWinsOverNetrcAndEnvironment() throws {
        try writeDockerConfig(#"{"auths":{"127.0.0.1:5000":{"auth":"\#(auth("docker-user", "docker:pass"))"}}}"#)
        try writeNetrc("machine 127.0.0.1 login netrc-user password netrc-pass\n")
        let credential = try store(environmentCredentials).credential(for: "127.0.0.1:5000")
        XCTAssertEqual(credential?.username, "docker-user")
        XCTAssertEqual(credential?.password, "docker:pass", "only the first colon separates user and password")
        XCTAssertEqual(credential?.source, home.path + "/.docker/config.json")
    }

    func testNetrcWinsOverEnvironmentWhenDockerConfigHasNoEntry() throws {
        try writeDockerConfig(#"{"auths":{"other.example.com":{"auth":"\#(auth("x", "y"))"}}}"#)
        try writeNetrc("""
            machine other.example.com login a password b
            machine 127.0.0.1
              login netrc-user
              password netrc-pass
            """)
        let credential = try store(environmentCredentials).credential(for: "127.0.0.1:5000")
        XCTAssertEqual(credential?.username, "netrc-user")
        XCTAssertEqual(credential?.password, "netrc-pass")
    }

    func testEnvironmentIsTheLastResort() throws {
        let credential = try store(environmentCredentials).credential(for: "127.0.0.1:5000")
        XCTAssertEqual(credential?.username, "env-user")
        XCTAssertEqual(credential?.password, "env-pass")
    }

    func testDockerConfigKeysWithSchemeAndPathMatch() throws {
        try writeDockerConfig(#"{"auths":{"https://registry.example.com:8443/v1/":{"auth":"\#(auth("u", "p"))"}}}"#)
        XCTAssertEqual(try store().credential(for: "registry.example.com:8443")?.username, "u")
        XCTAssertNil(try store().credential(for: "registry.example.com"), "the port is part of the registry's name")
    }

    func testDockerHubIsStoredAsIndexDockerIO() throws {
        try writeDockerConfig(#"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(auth("hub", "p"))"}}}"#)
        XCTAssertEqual(try store().credential(for: "docker.io")?.username, "hub")
    }

    func testDockerConfigVariableOverridesHome() throws {
        try writeDockerConfig(#"{"auths":{"127.0.0.1:5000":{"auth":"\#(auth("home-user", "p"))"}}}"#)
        let elsewhere = try temporaryDirectory(self, "docker-config")
        try writeDockerConfig(#"{"auths":{"127.0.0.1:5000":{"auth":"\#(auth("config-user", "p"))"}}}"#, in: elsewhere)
        XCTAssertEqual(try store(["DOCKER_CONFIG": elsewhere.path]).credential(for: "127.0.0.1:5000")?.username, "config-user")
    }

    func testNetrcPrefersHostAndPortThenHostThenDefault() throws {
        try writeNetrc("""
            default login fallback password f
            machine 127.0.0.1 login by-host password h
            machine 127.0.0.1:5000 login by-host-and-port password hp
            """)
        XCTAssertEqual(try store().credential(for: "127.0.0.1:5000")?.username, "by-host-and-port")
        XCTAssertEqual(try store().credential(for: "127.0.0.1:6000")?.username, "by-host")
        XCTAssertEqual(try store().credential(for: "registry.example.com")?.username, "fallback")
    }

    func testNetrcMacdefIsSkipped() {
        let entries = CredentialStore.parseNetrc("""
            macdef init
            login evil password trick

            machine r.example.com login u password p
            """)
        XCTAssertEqual(entries, [.init(machine: "r.example.com", login: "u", password: "p")])
    }

    func testMalformedDockerConfigFallsThrough() throws {
        try writeDockerConfig("{ not json")
        XCTAssertEqual(try store(environmentCredentials).credential(for: "127.0.0.1:5000")?.username, "env-user")
    }
}
