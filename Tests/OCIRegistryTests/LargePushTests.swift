import Foundation
import TestSupport
import XCTest

/// `containertool build --output registry:` with a 1 GiB resource, pushed to a real docker-registry on
/// loopback: the push streams every blob from its file, so the tool's peak RSS stays under 64 MB, and
/// the registry holds the right bytes under the right digests. Needs ~1.5 GB of disk and ~30 s, so it
/// runs with `CI=true` or `CONTAINERIZE_LARGE_TESTS=1` (like the gigabyte tests of ContainerImageTests).
final class LargePushTests: XCTestCase {
    func testOneGibibyteResourcePushesInConstantMemoryWithTheRightDigests() throws {
        try LargeTests.requireEnabled()
        guard let tool = containertoolPath else { throw TestFailure("containertool is not built next to the tests (swift build --product containertool)") }
        let registry = try LocalRegistry(testCase: self)
        let work = try temporaryDirectory(self, "large-push")
        let binary = try staticHelloBinary(self)
        // 1 GiB, sparse, with 16 stretches of 16 MiB random bytes: the gzip layer is ~260 MB, larger than
        // any buffer, while the build stays quick.
        let big = work.appendingPathComponent("big.bin").path
        try runChecked("bash", ["-c", """
            set -euo pipefail
            truncate -s 1G '\(big)'
            for i in $(seq 0 15); do head -c 16M /dev/urandom | dd of='\(big)' bs=1M seek=$((i * 64 + 1)) conv=notrunc status=none; done
            """])
        let expected = try runChecked("sha256sum", [big]).prefix(64)
        let reference = "\(registry.host)/large/push:1"

        // A python3 parent reads RUSAGE_CHILDREN: the peak RSS of containertool alone, and the wall time.
        let script = """
            import resource, subprocess, sys, time
            start = time.monotonic()
            result = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            took = time.monotonic() - start
            sys.stderr.write(result.stderr.decode(errors="replace")[-2000:])
            print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "%.1f" % took)
            """
        let run = try runTool("python3", ["-c", script, tool, "build", "--executable", binary, "--tag", "large-push:1",
                                          "--resource", "\(big):/data/big.bin", "--output", "registry:\(reference)"],
                              environment: ProcessInfo.processInfo.environment.merging(["HOME": work.path, "DOCKER_CONFIG": work.path + "/none"]) { $1 })
        let fields = run.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(fields.count, 3, run.stdout + run.stderr)
        XCTAssertEqual(fields.first, "0", run.stderr)
        let peakKiB = Int(fields.count > 1 ? fields[1] : "") ?? .max
        XCTAssertLessThan(peakKiB * 1024, 64_000_000, "peak RSS \(peakKiB) KiB")
        print("large push: 1 GiB resource to registry: peak RSS \(peakKiB / 1024) MiB, \(fields.last ?? "?") s (build and push)")
        XCTAssertTrue(run.stderr.contains("in chunks"), run.stderr)

        // The registry's manifest names the layer; the registry's stored bytes hash to its digest and hold the file.
        let manifest = try runChecked("skopeo", ["inspect", "--raw", "--tls-verify=false", "docker://\(reference)"])
        let json = try JSONSerialization.jsonObject(with: Data(manifest.utf8)) as? [String: Any]
        let layers = (json?["layers"] as? [[String: Any]]) ?? []
        let layer = try XCTUnwrap(layers.max { ($0["size"] as? Int ?? 0) < ($1["size"] as? Int ?? 0) })
        let digest = try XCTUnwrap(layer["digest"] as? String)
        XCTAssertGreaterThan(layer["size"] as? Int ?? 0, 200 << 20)
        let hex = String(digest.dropFirst("sha256:".count))
        let stored = registry.directory.appendingPathComponent("storage/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data").path
        XCTAssertEqual(try runChecked("sha256sum", [stored]).prefix(64), Substring(hex), "the registry's blob has the digest it is stored under")
        let inside = try runChecked("bash", ["-c", "tar -xzOf '\(stored)' data/big.bin | sha256sum"])
        XCTAssertEqual(inside.prefix(64), expected, "the file inside the pushed layer is the resource")
        // The registry's storage goes with `registry.directory` at teardown; remove the big input now.
        try? FileManager.default.removeItem(atPath: big)
    }
}
