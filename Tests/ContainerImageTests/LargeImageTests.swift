import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Gigabyte inputs: constant memory, PAX for 8 GiB files, interrupts that leave nothing. They
/// need a few GiB of disk and a minute or two, so they run with `CI=true` or
/// `CONTAINERIZE_LARGE_TESTS=1` and are skipped (saying so) otherwise.
final class LargeImageTests: XCTestCase {
    override func setUpWithError() throws {
        try LargeTests.requireEnabled()
    }

    static let gibibyte = 1 << 30

    /// A 1 GiB file made with truncate (sparse) with 4 × 16 MiB of random bytes in it, so the
    /// layer has both compressible and incompressible stretches.
    static func makeLargeFile(_ path: String, size: Int = gibibyte, randomChunks: Int = 4) throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(size))
        var generator = SplitMix64(seed: 42)
        for chunk in 0..<randomChunks {
            try handle.seek(toOffset: UInt64(size / randomChunks * chunk + 4096))
            var bytes = [UInt8](repeating: 0, count: 16 << 20)
            for index in stride(from: 0, to: bytes.count, by: 8) {
                withUnsafeBytes(of: generator.next()) { bytes.replaceSubrange(index..<index + 8, with: $0) }
            }
            try handle.write(contentsOf: bytes)
        }
    }

    /// Runs a command and returns its exit status and peak RSS in KiB. A small python3 parent
    /// spawns it and reads RUSAGE_CHILDREN: Linux keeps `ru_maxrss` across exec, so spawning
    /// from this (large) test process directly would report the test's own memory.
    static func runMeasuringPeakRSS(_ arguments: [String]) throws -> (status: Int32, peakKiB: Int) {
        let script = """
            import resource, subprocess, sys
            code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOURCE_DATE_EPOCH")
        let result = try TestSupport.run("python3", ["-c", script] + arguments, environment: environment)
        let fields = result.stdout.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        XCTAssertEqual(fields.count, 2, "\(result.stdout)\(result.stderr)")
        return (Int32(fields.first ?? -1), fields.last ?? Int.max)
    }

    static func sha256(ofFile path: String) throws -> String {
        try TestSupport.run("sha256sum", [path]).stdout.split(separator: " ").first.map(String.init) ?? ""
    }

    /// The largest layer blob (the resources layer) of the first manifest in an image.
    static func layerDigest(ofLayout layout: String) throws -> String {
        let image = try ImageReader.read(path: layout)
        return String(try XCTUnwrap(image.layers.max { $0.size < $1.size }).digest.dropFirst("sha256:".count))
    }

    /// Peak RSS under 64 MB for each output kind and all three together; every image loads, and
    /// the file inside has the source's SHA-256.
    func testOneGibibyteResourceInConstantMemory() throws {
        try Prerequisite.requireTools("gcc", "skopeo", "docker")
        let directory = try TestSupport.makeTemporaryDirectory("cit-large")
        defer { TestSupport.remove(directory) }
        try Self.makeLargeFile(directory + "/big.bin")
        let expected = try Self.sha256(ofFile: directory + "/big.bin")
        let base = [TestSupport.containertool, "build", "--executable", TestSupport.fixtures.staticBinary, "--resource", directory + "/big.bin:/data/big.bin", "--tag", "cit-image-large:1"]
        for outputs in [["oci-layout:layout"], ["oci-archive:oci.tar"], ["docker-archive:docker.tar"], ["oci-layout:all-layout", "oci-archive:all-oci.tar", "docker-archive:all-docker.tar"]] {
            let absolute = outputs.map { $0.replacingOccurrences(of: ":", with: ":\(directory)/") }
            let (status, peakKiB) = try Self.runMeasuringPeakRSS(base + absolute.flatMap { ["--output", $0] })
            XCTAssertEqual(status, 0, "\(outputs)")
            XCTAssertTrue(peakKiB * 1024 < 64_000_000, "\(outputs): peak RSS \(peakKiB) KiB")
            print("large images: \(outputs.joined(separator: " ")): peak RSS \(peakKiB / 1024) MiB")
        }

        // The OCI layout: skopeo reads it, and the file inside is intact.
        XCTAssertEqual(try TestSupport.run("skopeo", ["inspect", "oci:layout:1"], in: directory).status, 0)
        let layer = try Self.layerDigest(ofLayout: directory + "/layout")
        let fromLayout = try TestSupport.run("sh", ["-c", "tar -xzOf layout/blobs/sha256/\(layer) data/big.bin | sha256sum"], in: directory)
        XCTAssertTrue(fromLayout.stdout.hasPrefix(expected))
        // The OCI archive: the same layer blob inside a tar.
        XCTAssertEqual(try TestSupport.run("skopeo", ["inspect", "oci-archive:oci.tar"], in: directory).status, 0)
        let fromArchive = try TestSupport.run("sh", ["-c", "tar -xOf oci.tar blobs/sha256/\(layer) | tar -xzO data/big.bin | sha256sum"], in: directory)
        XCTAssertTrue(fromArchive.stdout.hasPrefix(expected))
        // The docker archive: docker loads it; its plain layer holds the same file.
        let plainLayer = try Self.layerDigest(ofLayout: directory + "/docker.tar")
        let fromDocker = try TestSupport.run("sh", ["-c", "tar -xOf docker.tar blobs/sha256/\(plainLayer) | tar -xO data/big.bin | sha256sum"], in: directory)
        XCTAssertTrue(fromDocker.stdout.hasPrefix(expected))
        let load = try TestSupport.run("docker", ["load", "-i", directory + "/docker.tar"])
        XCTAssertEqual(load.status, 0, "\(load.stderr)")
        XCTAssertTrue(load.stdout.contains("cit-image-large:1"), "\(load.stderr)")
        _ = try? TestSupport.run("docker", ["rmi", "-f", "cit-image-large:1"])
        XCTAssertTrue(!TestSupport.listing(directory).contains { $0.hasPrefix(".") }, "\(TestSupport.listing(directory))")
    }

    /// 20 builds interrupted at random moments: each exits within 1 s (130, or 0 when it had
    /// already finished), and leaves either all three outputs or nothing.
    func testInterruptedAtRandomMomentsLeavesNothing() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try TestSupport.makeTemporaryDirectory("cit-interrupt")
        defer { TestSupport.remove(directory) }
        try Self.makeLargeFile(directory + "/big.bin", randomChunks: 2)
        var generator = SplitMix64(seed: 7)
        var interrupted = 0
        var slowest = 0.0
        for run in 0..<20 {
            let output = directory + "/run\(run)"
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestSupport.containertool)
            process.arguments = ["build", "--executable", TestSupport.fixtures.staticBinary, "--resource", directory + "/big.bin:/big.bin",
                                 "--output", "oci-layout:\(output)/layout", "--output", "oci-archive:\(output)/oci.tar", "--output", "docker-archive:\(output)/docker.tar"]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: Double(generator.next() % 3000) / 1000)
            let signalled = Date()
            process.interrupt()
            process.waitUntilExit()
            let seconds = Date().timeIntervalSince(signalled)
            let listing = TestSupport.listing(output)
            slowest = max(slowest, seconds)
            XCTAssertTrue(seconds < 1, "run \(run): exit took \(seconds) s")
            XCTAssertTrue(process.terminationStatus == 130 || process.terminationStatus == 0, "run \(run): status \(process.terminationStatus)")
            if process.terminationStatus == 130 {
                interrupted += 1
                XCTAssertEqual(listing, [], "run \(run) left \(listing)")
            } else {
                XCTAssertEqual(listing, ["docker.tar", "layout", "oci.tar"], "run \(run) left \(listing)")
            }
            TestSupport.remove(output)
        }
        print("large images: \(interrupted) of 20 runs interrupted, slowest exit \(Int(slowest * 1000)) ms")
        XCTAssertTrue(interrupted >= 10, "only \(interrupted) of 20 runs were still working when interrupted")
        XCTAssertEqual(TestSupport.listing(directory), ["big.bin"])
    }

    /// An 8 GiB + 4 KiB sparse file: PAX carries its size, `tar tvf` lists it with the right
    /// size and every entry after it, skopeo and umoci accept the layout. The gzip layer of
    /// zeros is small, so this needs little disk.
    func testEightGibibyteFileUsesPAX() throws {
        try Prerequisite.requireTools("gcc", "skopeo", "umoci")
        let directory = try TestSupport.makeTemporaryDirectory("cit-8g")
        defer { TestSupport.remove(directory) }
        let size = 8 * Self.gibibyte + 4096
        try Self.makeLargeFile(directory + "/huge.bin", size: size, randomChunks: 0)
        try Data("after\n".utf8).write(to: URL(fileURLWithPath: directory + "/after.txt"))
        let build = try TestSupport.containertool(["build", "--executable", TestSupport.fixtures.staticBinary, "--resource", "huge.bin:/aaa/huge.bin",
                                                   "--resource", "after.txt:/zzz/after.txt",
                                                   "--output", "oci-layout:layout", "--tag", "huge:1"], in: directory)
        XCTAssertEqual(build.status, 0, "\(build.stderr)")
        let layer = try Self.layerDigest(ofLayout: directory + "/layout")
        let listing = try TestSupport.run("tar", ["-tvzf", "layout/blobs/sha256/\(layer)"], in: directory)
        XCTAssertEqual(listing.status, 0, "\(listing.stderr)")
        let lines = listing.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains(" \(size) ") && $0.hasSuffix("aaa/huge.bin") }, "\(listing.stdout)")
        XCTAssertTrue(lines.last?.hasSuffix("zzz/after.txt") == true, "the entry after the 8 GiB one is intact: \(listing.stdout)")
        // The other files are in the image's other layers (add-ons, executable): the tar after the huge
        // entry is intact, and the stack still holds everything.
        var names = lines.compactMap { $0.split(separator: " ").last.map(String.init) }
        for other in try ImageReader.read(path: directory + "/layout").layers where !other.digest.hasSuffix(layer) {
            let otherListing = try TestSupport.run("tar", ["-tzf", "layout/blobs/sha256/\(other.digest.dropFirst("sha256:".count))"], in: directory)
            XCTAssertEqual(otherListing.status, 0, "\(otherListing.stderr)")
            names += otherListing.stdout.split(separator: "\n").map(String.init)
        }
        XCTAssertTrue(["aaa/huge.bin", "zzz/after.txt", "etc/group", "etc/passwd", "hello", "home/nonroot/", "tmp/"].allSatisfy(names.contains), "\(names)")
        XCTAssertEqual(try TestSupport.run("skopeo", ["inspect", "oci:layout:1"], in: directory).status, 0)
        let copy = try TestSupport.run("skopeo", ["copy", "-q", "oci:layout:1", "oci:copy:1"], in: directory)
        XCTAssertEqual(copy.status, 0, "\(copy.stderr)")
        let stat = try TestSupport.run("umoci", ["stat", "--image", "layout:1"], in: directory)
        XCTAssertEqual(stat.status, 0, "\(stat.stderr)")
    }
}
