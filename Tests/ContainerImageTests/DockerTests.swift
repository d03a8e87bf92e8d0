import ContainerImage
import Foundation
import TestSupport
import XCTest

/// End to end with the real daemon: `docker load` our archive, `docker run --network host` it.
final class DockerTests: XCTestCase {
    static func uniqueTag(_ base: String) -> String { "cit-\(base)-\(UInt32.random(in: 0...UInt32.max)):test" }

    static func loadAndRun(archive: String, tag: String, runArguments: [String] = []) throws -> ProcessResult {
        let load = try TestSupport.run("docker", ["load", "-i", archive])
        XCTAssertEqual(load.status, 0, "\(load.stderr)")
        XCTAssertTrue(load.stdout.contains("Loaded image: \(tag)"))
        return try TestSupport.run("docker", ["run", "--rm", "--network", "host"] + [tag] + runArguments)
    }

    static func removeImage(_ tag: String) { _ = try? TestSupport.run("docker", ["rmi", "-f", tag]) }

    func testStaticBinaryRunsAsNonroot() throws {
        try Prerequisite.requireTools("gcc", "docker")
        let directory = try TestSupport.makeTemporaryDirectory()
        let tag = Self.uniqueTag("static")
        defer { TestSupport.remove(directory); Self.removeImage(tag) }
        let build = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--tag", tag,
                                                   "--cmd", "docker", "--healthcheck", "/hello", "--healthcheck", "probe",
                                                   "--output", "docker-archive:image.tar"], in: directory)
        XCTAssertEqual(build.status, 0, "\(build.stderr)")
        let run = try Self.loadAndRun(archive: directory + "/image.tar", tag: tag)
        XCTAssertEqual(run.status, 0, "\(run.stderr)")
        XCTAssertEqual(run.stdout, "Hello from docker! uid=65532\n")
        let healthcheck = try TestSupport.run("docker", ["image", "inspect", "--format", "{{json .Config.Healthcheck.Test}} {{.Config.User}}", tag])
        XCTAssertEqual(healthcheck.stdout, "[\"CMD\",\"/hello\",\"probe\"] 65532:65532\n")
        let override = try TestSupport.run("docker", ["run", "--rm", "--network", "host", tag, "override"])
        XCTAssertEqual(override.stdout, "Hello from override! uid=65532\n")

        // What docker save writes back (Docker 20.10: the legacy layout) is readable by inspect.
        let saved = try TestSupport.run("docker", ["save", "-o", directory + "/saved.tar", tag])
        XCTAssertEqual(saved.status, 0, "\(saved.stderr)")
        let inspected = try TestSupport.containertool(["inspect", "docker-archive:" + directory + "/saved.tar", "--json"])
        XCTAssertEqual(inspected.status, 0, "\(inspected.stderr)")
        XCTAssertTrue(inspected.stdout.contains(#""Entrypoint":["/hello"]"#))
    }

    func testDynamicBinaryRunsWithBundledLibraries() throws {
        try Prerequisite.requireTools("gcc", "docker")
        let directory = try TestSupport.makeTemporaryDirectory()
        let tag = Self.uniqueTag("dynamic")
        defer { TestSupport.remove(directory); Self.removeImage(tag) }
        let build = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.dynamicBinary, "--tag", tag,
                                                   "--bundle-shared-libraries", "--output", "docker-archive:image.tar"], in: directory)
        XCTAssertEqual(build.status, 0, "\(build.stderr)")
        let run = try Self.loadAndRun(archive: directory + "/image.tar", tag: tag, runArguments: ["bundled"])
        XCTAssertEqual(run.status, 0, "\(run.stderr)")
        XCTAssertEqual(run.stdout, "Hello from bundled! uid=65532\n")
    }
}
