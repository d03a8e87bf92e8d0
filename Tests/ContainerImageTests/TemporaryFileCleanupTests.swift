import Foundation
import TestSupport
import XCTest

/// Every temporary a build creates (layer files, staging folders, blob-cache downloads) is gone
/// after a build that fails (full disk, corrupt base) or is interrupted (issue 21 row 8).
final class TemporaryFileCleanupTests: XCTestCase {
    static var binary: String { TestSupport.fixtures.staticBinary }

    /// `size` random bytes at `path` (from /dev/urandom, 1 MiB at a time): nothing compresses them away.
    static func writeRandomFile(_ path: String, size: Int) throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let output = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        let input = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? output.close(); try? input.close() }
        var left = size
        while left > 0 {
            let chunk = try XCTUnwrap(try input.read(upToCount: min(left, 1 << 20)))
            try output.write(contentsOf: chunk)
            left -= chunk.count
        }
    }

    /// Every path below `folder` (relative, sorted), so a leftover in a subfolder is seen too.
    static func everything(in folder: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var paths: [String] = []
        while let path = enumerator?.nextObject() as? String { paths.append(path) }
        return paths.sorted()
    }

    /// A build whose output folder and TMPDIR are a 4 MiB tmpfs, with a 12 MiB random resource:
    /// exit 1, one error line naming the full disk, and nothing the tool created left there.
    func testFullDiskFailsInOneLineAndLeavesNothing() throws {
        try Prerequisite.requireTools("gcc", "mount", "umount")
        try Prerequisite.require(getuid() == 0, "mounting a tmpfs needs root")
        let inputs = try TestSupport.makeTemporaryDirectory()
        let mountPoint = try TestSupport.makeTemporaryDirectory("full-disk")
        defer { TestSupport.remove(inputs); TestSupport.remove(mountPoint) }
        let mounted = try TestSupport.run("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mountPoint])
        try Prerequisite.require(mounted.status == 0, "cannot mount a tmpfs: \(mounted.stderr)")
        defer { _ = try? TestSupport.run("umount", ["-l", mountPoint]) }
        try Self.writeRandomFile(inputs + "/big.bin", size: 12 << 20)
        let binary = Self.binary
        for folder in ["tmp", "out"] { try FileManager.default.createDirectory(atPath: mountPoint + "/" + folder, withIntermediateDirectories: false) }
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = mountPoint + "/tmp"
        environment["CONTAINERIZE_CACHE_DIR"] = mountPoint + "/cache"
        environment.removeValue(forKey: "SOURCE_DATE_EPOCH")
        // A base whose second layer (5 MiB random) fills the disk when copied into a cache on it, or
        // when unpacked for a docker archive there (our own layers are made first).
        try Self.writeRandomFile(inputs + "/base.bin", size: 5 << 20)
        var outsideEnvironment = environment
        outsideEnvironment["TMPDIR"] = inputs
        outsideEnvironment["CONTAINERIZE_CACHE_DIR"] = inputs + "/cache"
        _ = try Self.makeBase(at: inputs + "/base", resource: inputs + "/base.bin", in: inputs, environment: outsideEnvironment)
        let big = ["--resource", inputs + "/big.bin:/big.bin"]
        var cacheOutside = environment
        cacheOutside["CONTAINERIZE_CACHE_DIR"] = inputs + "/cache-outside"
        let cases: [([String], [String: String])] = [
            (big + ["--output", "oci-archive:\(mountPoint)/out/image.tar"], environment),
            (big + ["--output", "oci-layout:\(mountPoint)/out/layout", "--output", "docker-archive:\(mountPoint)/out/d.tar"], environment),
            (big + ["--output", "registry:127.0.0.1:9/app:1"], environment),
            (["--from", "oci-layout:\(inputs)/base", "--output", "oci-archive:\(inputs)/image.tar"], environment),
            (["--from", "oci-layout:\(inputs)/base", "--output", "docker-archive:\(mountPoint)/out/d.tar"], cacheOutside),
        ]
        for (arguments, environment) in cases {
            let result = try TestSupport.containertool(["build", "--executable", binary] + arguments, in: inputs, environment: environment)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("containertool: ") || $0.contains("error") }
            XCTAssertEqual(lines.count, 1, "\(arguments): one error line expected: \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("No space left on device") && result.stderr.contains(mountPoint), "\(arguments): \(result.stderr)")
            // What may stay: the folders made for the test, and the cache's own empty folders.
            let left = Self.everything(in: mountPoint).filter { !["out", "tmp", "cache", "cache/tmp", "cache/blobs", "cache/blobs/sha256"].contains($0) }
            XCTAssertEqual(left.filter { !$0.hasPrefix("cache/blobs/sha256/") }, [], "\(arguments): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: inputs + "/image.tar"))
            XCTAssertEqual(Self.everything(in: inputs + "/cache-outside/tmp"), [])
            // Clean up the leftovers of a failed case, so that each case is judged on its own.
            for name in left where !name.hasPrefix("cache/blobs/sha256/") { TestSupport.remove(mountPoint + "/" + name) }
        }
    }

    /// An OCI layout with two layers (the executable, a resource) to build on.
    static func makeBase(at layout: String, resource: String, in directory: String, environment: [String: String]) throws -> [String: Any] {
        let built = try TestSupport.containertool(["build", "--executable", binary, "--resource", resource + ":/data.bin", "--output", "oci-layout:" + layout],
                                                  in: directory, environment: environment)
        XCTAssertEqual(built.status, 0, built.stderr)
        let index = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))) as? [String: Any])
        let manifestDigest = try XCTUnwrap(((index["manifests"] as? [[String: Any]])?.first?["digest"] as? String))
        let manifestPath = layout + "/blobs/sha256/" + manifestDigest.dropFirst("sha256:".count)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any])
    }

    /// `--from` an OCI layout whose second (last) layer blob is truncated, or has the right size but
    /// other bytes: exit 1 naming the layer, and no temporary file in TMPDIR, the output folder or the cache.
    func testCorruptBaseLayerLeavesNoTemporaryFiles() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOURCE_DATE_EPOCH")
        try Self.writeRandomFile(directory + "/data.bin", size: 3 << 20)
        for (number, damage) in ["truncated", "other bytes"].enumerated() {
            let layout = directory + "/base\(number)"
            let manifest = try Self.makeBase(at: layout, resource: directory + "/data.bin", in: directory, environment: environment)
            let layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]])
            XCTAssertGreaterThanOrEqual(layers.count, 2)
            let digest = try XCTUnwrap(layers.last?["digest"] as? String)
            let blob = layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
            let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: blob))
            if damage == "truncated" {
                try handle.truncate(atOffset: 1 << 20)
            } else {
                try handle.seek(toOffset: 1 << 20)
                try handle.write(contentsOf: Data(repeating: 0x55, count: 4096))
            }
            try handle.close()
            let temporary = directory + "/tmp\(number)"
            let output = directory + "/out\(number)"
            let cache = directory + "/cache\(number)"
            for folder in [temporary, output] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
            environment["TMPDIR"] = temporary
            environment["CONTAINERIZE_CACHE_DIR"] = cache
            let result = try TestSupport.containertool(["build", "--executable", Self.binary, "--from", "oci-layout:" + layout,
                                                        "--resource", directory + "/data.bin:/more.bin",
                                                        "--output", "oci-layout:\(output)/layout", "--output", "docker-archive:\(output)/d.tar"],
                                                       in: directory, environment: environment)
            XCTAssertEqual(result.status, 1, "\(damage): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(digest), "\(damage): \(result.stderr)")
            XCTAssertEqual(Self.everything(in: temporary), [], damage)
            XCTAssertEqual(Self.everything(in: output), [], damage)
            // The good first layer may stay cached; nothing half-written may.
            XCTAssertEqual(Self.everything(in: cache + "/tmp"), [], damage)
            XCTAssertFalse(Self.everything(in: cache).contains { $0.hasSuffix(digest.dropFirst("sha256:".count)) }, damage)
        }
    }

    /// Waits (up to 20 s) until `condition` holds.
    static func waitFor(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    /// Runs `arguments`, sends SIGINT once `ready` holds (and `delay` more has passed), and returns the exit status.
    static func interrupt(_ arguments: [String], environment: [String: String], delay: TimeInterval, when ready: () -> Bool) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.containertool)
        process.arguments = arguments
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        XCTAssertTrue(waitFor { ready() || !process.isRunning }, "the build never reached the point to interrupt")
        Thread.sleep(forTimeInterval: delay)
        XCTAssertTrue(process.isRunning, "the build finished before it was interrupted")
        process.interrupt()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGINT ~300 ms into a build with a 200 MiB random resource, and SIGINT while a 200 MiB base
    /// layer is being copied into the blob cache: exit 130, and TMPDIR, the output folder and the
    /// cache's tmp/ hold nothing.
    func testInterruptedBuildLeavesNoTemporaryFiles() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { TestSupport.remove(directory) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOURCE_DATE_EPOCH")
        try Self.writeRandomFile(directory + "/big.bin", size: 200 << 20)
        let temporary = directory + "/tmp"
        let output = directory + "/out"
        let cache = directory + "/cache"
        for folder in [temporary, output] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
        environment["TMPDIR"] = temporary
        environment["CONTAINERIZE_CACHE_DIR"] = cache

        // 1. While our layers are being written (to the output folder and, for the push, TMPDIR).
        let status = try Self.interrupt(["build", "--executable", Self.binary, "--resource", directory + "/big.bin:/big.bin",
                                         "--output", "oci-layout:\(output)/layout", "--output", "docker-archive:\(output)/d.tar",
                                         "--output", "oci-archive:\(output)/o.tar"],
                                        environment: environment, delay: 0.3) { true }
        XCTAssertEqual(status, 130)
        XCTAssertEqual(Self.everything(in: temporary), [])
        XCTAssertEqual(Self.everything(in: output), [])

        // 2. While the base's big layer is copied into the blob cache (its tmp/ file appears first).
        let layout = directory + "/base"
        var baseEnvironment = environment
        baseEnvironment["TMPDIR"] = directory
        _ = try Self.makeBase(at: layout, resource: directory + "/big.bin", in: directory, environment: baseEnvironment)
        let cacheStatus = try Self.interrupt(["build", "--executable", Self.binary, "--from", "oci-layout:" + layout, "--output", "oci-layout:\(output)/layout"],
                                             environment: environment, delay: 0.02) { !Self.everything(in: cache + "/tmp").isEmpty }
        XCTAssertEqual(cacheStatus, 130)
        XCTAssertEqual(Self.everything(in: cache + "/tmp"), [])
        XCTAssertEqual(Self.everything(in: temporary), [])
        XCTAssertEqual(Self.everything(in: output), [])
    }
}
