import ContainerImage
import Foundation
import Testing

/// End to end with the real daemon: `docker load` our archive, `docker run --network host` it.
@Suite("docker load and run", .serialized)
struct DockerTests {
    static func uniqueTag(_ base: String) -> String { "cit-\(base)-\(UInt32.random(in: 0...UInt32.max)):test" }

    static func loadAndRun(archive: String, tag: String, runArguments: [String] = []) throws -> ProcessResult {
        let load = try TestSupport.run("docker", ["load", "-i", archive])
        #expect(load.status == 0, "\(load.stderr)")
        #expect(load.stdout.contains("Loaded image: \(tag)"))
        return try TestSupport.run("docker", ["run", "--rm", "--network", "host"] + [tag] + runArguments)
    }

    static func removeImage(_ tag: String) { _ = try? TestSupport.run("docker", ["rmi", "-f", tag]) }

    @Test func staticBinaryRunsAsNonroot() throws {
        guard TestSupport.requireTool("gcc"), TestSupport.requireTool("docker") else { return }
        let directory = try TestSupport.makeTemporaryDirectory()
        let tag = Self.uniqueTag("static")
        defer { TestSupport.remove(directory); Self.removeImage(tag) }
        let build = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--tag", tag,
                                                   "--cmd", "docker", "--healthcheck", "/hello", "--healthcheck", "probe",
                                                   "--output", "docker-archive:image.tar"], in: directory)
        #expect(build.status == 0, "\(build.stderr)")
        let run = try Self.loadAndRun(archive: directory + "/image.tar", tag: tag)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "Hello from docker! uid=65532\n")
        let healthcheck = try TestSupport.run("docker", ["image", "inspect", "--format", "{{json .Config.Healthcheck.Test}} {{.Config.User}}", tag])
        #expect(healthcheck.stdout == "[\"CMD\",\"/hello\",\"probe\"] 65532:65532\n")
        let override = try TestSupport.run("docker", ["run", "--rm", "--network", "host", tag, "override"])
        #expect(override.stdout == "Hello from override! uid=65532\n")

        // What docker save writes back (Docker 20.10: the legacy layout) is readable by inspect.
        let saved = try TestSupport.run("docker", ["save", "-o", directory + "/saved.tar", tag])
        #expect(saved.status == 0, "\(saved.stderr)")
        let inspected = try TestSupport.containertool(["inspect", "docker-archive:" + directory + "/saved.tar", "--json"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        #expect(inspected.stdout.contains(#""Entrypoint":["/hello"]"#))
    }

    @Test func dynamicBinaryRunsWithBundledLibraries() throws {
        guard TestSupport.requireTool("gcc"), TestSupport.requireTool("docker") else { return }
        let directory = try TestSupport.makeTemporaryDirectory()
        let tag = Self.uniqueTag("dynamic")
        defer { TestSupport.remove(directory); Self.removeImage(tag) }
        let build = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.dynamicBinary, "--tag", tag,
                                                   "--bundle-shared-libraries", "--output", "docker-archive:image.tar"], in: directory)
        #expect(build.status == 0, "\(build.stderr)")
        let run = try Self.loadAndRun(archive: directory + "/image.tar", tag: tag, runArguments: ["bundled"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "Hello from bundled! uid=65532\n")
    }
}
