import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Issue 21, row 9: `containertool inspect` of a gzip-compressed archive read it whole into memory
/// (a 3 GiB one aborted); it now unpacks it streaming to an unlinked temporary file, in constant
/// memory (the builds' bound: peak RSS < 64 MB).
final class InspectStreamingTests: XCTestCase {
    /// A gzip-compressed OCI archive whose one (plain tar) layer holds a `megabytes` MiB file of
    /// zeros, made with the system's tar and gzip (fast; the archive is a few MiB).
    func makeArchive(megabytes: Int, in directory: String) throws -> (archive: String, layerDigest: String, layerSize: Int) {
        let script = """
            set -e; cd '\(directory)'
            mkdir -p rootfs layout/blobs/sha256
            head -c \(megabytes)M /dev/zero > rootfs/zeros
            tar --owner=0 --group=0 -C rootfs -cf layer.tar zeros; rm rootfs/zeros
            layer=$(sha256sum layer.tar | cut -d' ' -f1); size=$(stat -c %s layer.tar); mv layer.tar layout/blobs/sha256/$layer
            printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' $layer > config.json
            config=$(sha256sum config.json | cut -d' ' -f1); csize=$(stat -c %s config.json); mv config.json layout/blobs/sha256/$config
            printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' $config $csize $layer $size > manifest.json
            manifest=$(sha256sum manifest.json | cut -d' ' -f1); msize=$(stat -c %s manifest.json); mv manifest.json layout/blobs/sha256/$manifest
            printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' $manifest $msize > layout/index.json
            printf '{"imageLayoutVersion":"1.0.0"}' > layout/oci-layout
            tar -C layout -cf - oci-layout index.json blobs | gzip -1 > image.tar.gz; rm -r layout
            echo $layer $size
            """
        let result = try TestSupport.run("/bin/bash", ["-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        let fields = result.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(fields.count, 2, result.stdout)
        return (directory + "/image.tar.gz", "sha256:" + fields[0], Int(fields.last ?? "") ?? -1)
    }

    /// Runs `containertool inspect --json` under a python3 parent that reports its peak RSS (see
    /// `LargeImageTests.runMeasuringPeakRSS`: ru_maxrss survives exec, so not from this process).
    func inspectMeasuringPeakRSS(_ archive: String) throws -> (status: Int32, json: String, peakKiB: Int) {
        let script = """
            import resource, subprocess, sys
            r = subprocess.run(sys.argv[1:], capture_output=True)
            sys.stdout.write(r.stdout.decode(errors="replace").strip() + "\\n")
            print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        let result = try TestSupport.run("python3", ["-c", script, TestSupport.containertool, "inspect", "oci-archive:" + archive, "--json"])
        let lines = result.stdout.split(separator: "\n")
        let fields = lines.last?.split(separator: " ").compactMap { Int($0) } ?? []
        XCTAssertEqual(fields.count, 2, "\(result.stdout)\(result.stderr)")
        return (Int32(fields.first ?? -1), lines.dropLast().joined(separator: "\n"), fields.last ?? Int.max)
    }

    func check(megabytes: Int) throws {
        let directory = try temporaryDirectory(self, "inspect-streaming").path
        let (archive, layer, layerSize) = try makeArchive(megabytes: megabytes, in: directory)
        let started = Date()
        let (status, json, peakKiB) = try inspectMeasuringPeakRSS(archive)
        XCTAssertEqual(status, 0, json)
        XCTAssertTrue(json.contains(layer), json)
        XCTAssertTrue(json.contains("\"uncompressedSize\":\(layerSize)"), "the one plain layer's size, read from the unpacked archive: \(json)")
        XCTAssertLessThan(peakKiB * 1024, 64_000_000, "inspect of a \(megabytes) MiB archive: peak RSS \(peakKiB) KiB")
        print("inspect of a gzip archive with a \(megabytes) MiB layer: peak RSS \(peakKiB / 1024) MiB, \(Int(Date().timeIntervalSince(started) * 1000)) ms")
        XCTAssertEqual(TestSupport.listing(NSTemporaryDirectory()).filter { $0.hasPrefix("containertool-inspect-") }, [], "the unpacked copy is gone")
    }

    /// 128 MiB: the old code held the archive unpacked (and each file copied) in memory, over 256 MB.
    func testAGzipArchiveIsInspectedInConstantMemory() throws {
        try check(megabytes: 128)
    }

    /// 1 GiB, with the gigabyte tests (`CONTAINERIZE_LARGE_TESTS=1`).
    func testAOneGibibyteGzipArchiveIsInspectedInConstantMemory() throws {
        try LargeTests.requireEnabled()
        try check(megabytes: 1024)
    }
}
