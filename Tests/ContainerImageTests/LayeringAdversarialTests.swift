@testable import ContainerImage
import Foundation
import Testing

/// Hostile inputs against layers by rate of change: names that stacked layers would read as
/// instructions (whiteouts).
@Suite("layers: hostile inputs")
struct LayeringAdversarialTests {
    /// A resource named `.wh.passwd` under /etc, stacked on the add-ons layer, deleted /etc/passwd
    /// under umoci and docker; `.wh..wh..opq` emptied /etc. Every way such a name reaches the tree
    /// (a resource file, a file deep in a resource folder, a destination, the executable's name)
    /// is refused with one line that names the path.
    @Test func whiteoutNamesAreRefused() throws {
        guard TestSupport.requireTool("gcc") else { return }
        let directory = try TestSupport.makeTemporaryDirectory("cit-whiteout")
        defer { TestSupport.remove(directory) }
        try FileManager.default.createDirectory(atPath: directory + "/etc/deep", withIntermediateDirectories: true)
        try "x".write(toFile: directory + "/etc/.wh..wh..opq", atomically: true, encoding: .utf8)
        try "x".write(toFile: directory + "/etc/deep/.wh.group", atomically: true, encoding: .utf8)
        try "x".write(toFile: directory + "/plain", atomically: true, encoding: .utf8)
        let cases: [(ImageSpec.Resource, String)] = [
            (.init(source: directory + "/plain", destination: "/etc/.wh.passwd"), "/etc/.wh.passwd"),
            (.init(source: directory + "/etc", destination: "/etc"), "/etc/.wh..wh..opq"),
            (.init(source: directory + "/etc/deep", destination: "/srv"), "/srv/.wh.group"),
            (.init(source: directory + "/plain", destination: "/.wh.tmp/x"), "/.wh.tmp/x"),
        ]
        for (resource, path) in cases {
            var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "app")
            spec.resources = [resource]
            do {
                _ = try ImageBuilder(spec)
                Issue.record("\(path) was accepted")
            } catch let error as ImageBuildError {
                guard case .whiteoutName(let named, _) = error else { Issue.record("\(error)"); continue }
                #expect(named == path)
                #expect("\(error)".contains(".wh.") && !"\(error)".contains("\n"), "\(error)")
            }
        }
        // A plain `.wh` prefix without the dot, or `.wh.` in the middle of a name, is an ordinary name.
        var spec = ImageSpec(executablePath: TestSupport.fixtures.staticBinary, name: "app")
        spec.resources = [.init(source: directory + "/plain", destination: "/srv/.whale"), .init(source: directory + "/plain", destination: "/srv/a.wh.b")]
        _ = try ImageBuilder(spec)

        // The executable's name is checked too, and the CLI writes nothing.
        let layout = directory + "/layout"
        let result = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--name", ".wh.etc",
                                                    "--tag", "wh:1", "--output", "oci-layout:" + layout])
        #expect(result.status == 1 && result.stderr.contains("/.wh.etc") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: layout))
    }
}
