@testable import ContainerImage
import Foundation
import OCIModel
import TestSupport
import XCTest

/// Issue 21, "beyond the table": the readers that see foreign bytes (tar, gzip, a base's layers,
/// ELF, JSON configs and manifests, `inspect`'s archives) over a seeded, deterministic corpus of
/// mutations of valid inputs, generated here. They run in a child process (`containertool
/// __read-foreign`), so that a trap fails this test naming the case's seed instead of killing the
/// test runner; every case must end in a value or a thrown error, under the builds' RSS bound.
final class ForeignInputFuzzTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws { directory = try temporaryDirectory(self, "foreign-fuzz").path }

    // MARK: Valid samples

    static func tarSamples() throws -> [[UInt8]] {
        var written: [UInt8] = []
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 110)
        try TarWriter { written.append(contentsOf: $0) }.writeArchive([
            .directory("etc"), .file("etc/passwd", Array("root:x:0:0::/root:/bin/sh\n".utf8)), .file(long, [1, 2, 3]),
            TarEntry(path: "lib", kind: .symlink(target: "usr/lib/" + String(repeating: "l", count: 120)), mode: 0o777),
            .file("etc/.wh.gone", []), .directory("opt"), .file("opt/.wh..wh..opq", []), .file("big", Array(repeating: 9, count: 1500)),
        ])
        let crafted = ForeignBytes.pax(TarWriter.paxBody([("path", "pax/name"), ("size", "3"), ("mtime", "12.5")])) + ForeignBytes.file("ignored", [7, 7, 7])
            + ForeignBytes.header("x/../lib64", type: "2", link: "usr/lib64") + ForeignBytes.header("hard", type: "1", link: "etc/passwd")
            + ForeignBytes.header("././LongLink", type: "L", size: 11) + ForeignBytes.padded(Array("gnu/longer\0".utf8)) + ForeignBytes.file("short", [1])
            + ForeignBytes.header("big256", sizeField: [0x80] + Array(repeating: 0, count: 10) + [2]) + ForeignBytes.padded([5, 5])
            + ForeignBytes.end
        return [written, crafted]
    }

    static func jsonSamples() throws -> [[UInt8]] {
        let config = ImageConfig(created: "2024-01-01T00:00:00Z", architecture: "arm64", variant: "v8", os: "linux",
                                 config: ContainerConfig(user: "65532", exposedPorts: ["8080/tcp": EmptyObject()], env: ["PATH=/bin", "A=b"], entrypoint: ["/app"],
                                                         cmd: ["--x"], workingDir: "/", labels: ["k": "v"]),
                                 rootfs: RootFS(diffIDs: ["sha256:" + String(repeating: "a", count: 64)]),
                                 history: [HistoryEntry(created: nil, createdBy: "x", comment: "c", emptyLayer: false)])
        let layer = Descriptor(mediaType: MediaType.layerTarGzip, digest: "sha256:" + String(repeating: "b", count: 64), size: 123)
        let manifest = ImageManifest(config: layer, layers: [layer, layer], annotations: ["a": "b"])
        let index = ImageIndex(manifests: [Descriptor(mediaType: MediaType.imageManifest, digest: layer.digest, size: 5,
                                                      annotations: [AnnotationKey.refName: "1"], platform: Platform(architecture: "amd64", os: "linux"))])
        return [try CanonicalJSON.encode(config), try CanonicalJSON.encode(manifest), try CanonicalJSON.encode(index),
                Array(#"[{"Config":"blobs/sha256/aa","RepoTags":["x:1"],"Layers":["blobs/sha256/bb"]}]"#.utf8)]
    }

    /// An OCI archive (a tar of an OCI layout) of a one-layer base, plain and gzip-compressed.
    func archiveSamples() throws -> [[UInt8]] {
        let tar = try Self.tarSamples()[0]
        let base = try ForeignBytes.base([(tar, true)], in: directory)
        let layout = directory + "/layout"
        try ForeignBytes.ociLayout(of: base, at: layout)
        var entries: [TarEntry] = [.directory("blobs"), .directory("blobs/sha256")]
        for name in ["oci-layout", "index.json"] + (try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256")).map({ "blobs/sha256/" + $0 }) {
            entries.append(.file(name, try TestSupport.readBytes(layout + "/" + name)))
        }
        var archive: [UInt8] = []
        try TarWriter { archive.append(contentsOf: $0) }.writeArchive(entries)
        return [archive, try Gzip.compress(archive)]
    }

    // MARK: Mutations

    static let fieldValues: [[UInt8]] = [
        Array("77777777777\u{0}".utf8), [0x80] + Array(repeating: 0xff, count: 11), Array(repeating: 0xff, count: 12), Array("-1".utf8),
        Array(" 9 9 ".utf8), Array("00000000000\u{0}".utf8), [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0],
    ]
    static let paxRecords: [[UInt8]] = [
        "9223372036854775807 size=1\n", "1 x\n", "30 size=9223372036854775807\n", "0 =\n", "16 path=../../x\n", "5 \n", "99999999999999999999999 a=b\n",
        "12 size=-1\n", "13 linkpath=\n",
    ].map { Array($0.utf8) }

    /// Case `seed` of `sample`: 1–4 seeded edits (bit flips, interesting bytes, cuts, splices, huge
    /// or broken tar numbers and PAX records); for tar input, checksums are then fixed half the
    /// time so the edits reach past the checksum check.
    static func mutate(_ sample: [UInt8], seed: UInt64, tar: Bool) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(generator.next() % UInt64(bound)) }
        var bytes = sample
        for _ in 0...below(4) {
            guard !bytes.isEmpty else { break }
            switch below(8) {
            case 0: bytes[below(bytes.count)] ^= UInt8(1 << below(8))
            case 1: bytes[below(bytes.count)] = [0, 0xff, 0x80, 0x7f, 0x20, 0x30, 0x37, 0x0a, 0x2f, 0x2e][below(10)]
            case 2: bytes = Array(bytes.prefix(below(bytes.count)))
            case 3:
                let block = below(bytes.count / 512) * 512
                let (field, width) = [(100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (148, 8), (156, 1)][below(7)]
                for (index, byte) in fieldValues[below(fieldValues.count)].prefix(width).enumerated() where block + field + index < bytes.count {
                    bytes[block + field + index] = byte
                }
            case 4:
                let record = paxRecords[below(paxRecords.count)]
                let start = below(bytes.count)
                bytes.replaceSubrange(start..<min(bytes.count, start + record.count), with: record)
            case 5:
                let start = below(bytes.count), end = min(bytes.count, start + below(2048))
                bytes.insert(contentsOf: bytes[start..<end], at: below(bytes.count))
            case 6:
                let start = below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + below(1024)))
            default:
                let start = below(bytes.count)
                for index in start..<min(bytes.count, start + 1 + below(16)) { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            }
        }
        if tar, below(2) == 0 {
            for block in stride(from: 0, to: bytes.count - 511, by: 512) where bytes[(block + 257)..<(block + 262)].elementsEqual("ustar".utf8) {
                for index in 148..<156 { bytes[block + index] = 0x20 }
                let sum = bytes[block..<(block + 512)].reduce(0) { $0 + Int($1) }
                let digits = Array(String(sum, radix: 8).utf8)
                for index in 0..<7 { bytes[block + 148 + index] = index < 7 - digits.count ? 0x30 : digits[index - (7 - digits.count)] }
                bytes[block + 155] = 0
            }
        }
        return bytes
    }

    // MARK: The child

    /// Writes the corpus, runs `containertool __read-foreign KIND` on it under a python3 parent that
    /// reports the child's peak RSS, and checks that every case ended in a value or an error.
    func run(_ kind: String, _ cases: [(seed: UInt64, bytes: [UInt8])], file: StaticString = #filePath, line: UInt = #line) throws {
        var corpus: [UInt8] = []
        for (_, bytes) in cases {
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { corpus.append(contentsOf: $0) }
            corpus += bytes
        }
        let path = directory + "/\(kind).corpus"
        try Data(corpus).write(to: URL(fileURLWithPath: path))
        let script = """
            import resource, subprocess, sys
            r = subprocess.run(sys.argv[1:], capture_output=True)
            sys.stdout.write(r.stdout.decode(errors="replace"))
            sys.stderr.write(r.stderr.decode(errors="replace")[-4000:])
            print("\\nexit", r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        let started = Date()
        let result = try TestSupport.run("python3", ["-c", script, TestSupport.containertool, "__read-foreign", kind, path])
        let last = result.stdout.split(separator: "\n").last?.split(separator: " ") ?? []
        let status = last.count == 3 ? Int(last[1]) ?? -1 : -1
        let peakKiB = last.count == 3 ? Int(last[2]) ?? Int.max : Int.max
        guard status == 0 else {
            let crashed = result.stderr.split(separator: "\n").last(where: { $0.hasPrefix("case ") }).flatMap { Int($0.dropFirst(5)) }
            let seed = crashed.map { cases[$0].seed }.map { String($0, radix: 16) } ?? "?"
            return XCTFail("\(kind): the reader died (exit \(status)) on case \(crashed.map(String.init) ?? "?"), seed 0x\(seed); reproduce with mutate(sample, seed:): \(result.stderr.suffix(600))", file: file, line: line)
        }
        let summary = result.stdout.split(separator: "\n").first { $0.hasPrefix("cases ") }?.split(separator: " ").compactMap { Int($0) } ?? []
        XCTAssertEqual(summary.count, 3, result.stdout, file: file, line: line)
        guard summary.count == 3 else { return }
        XCTAssertEqual(summary[0], cases.count, file: file, line: line)
        XCTAssertEqual(summary[1] + summary[2], cases.count, "each case a value or an error", file: file, line: line)
        XCTAssertGreaterThan(summary[2], 0, "\(kind): mutations that are errors", file: file, line: line)
        XCTAssertLessThan(peakKiB * 1024, 64_000_000, "\(kind): peak RSS \(peakKiB) KiB", file: file, line: line)
        print("foreign fuzz \(kind): \(cases.count) cases, \(summary[1]) values, \(summary[2]) errors, peak RSS \(peakKiB / 1024) MiB, \(Int(Date().timeIntervalSince(started) * 1000)) ms")
    }

    /// `count` cases for `kind`: seed = kind number << 32 | case number, over the samples in turn.
    func cases(_ number: UInt64, _ samples: [[UInt8]], count: Int, tar: Bool, gzipAfter: Bool = false) throws -> [(seed: UInt64, bytes: [UInt8])] {
        try (0..<count).map { index in
            let seed = number << 32 | UInt64(index)
            let sample = samples[index % samples.count]
            // Half of a compressed kind's cases mutate the tar and then compress it (valid gzip, odd tar).
            if gzipAfter, index % 2 == 0 { return (seed, try Gzip.compress(Self.mutate(sample, seed: seed, tar: true))) }
            return (seed, Self.mutate(gzipAfter ? try Gzip.compress(sample) : sample, seed: seed, tar: tar && !gzipAfter))
        }
    }

    func testTarReaderNeverTraps() throws {
        try run("tar", try cases(1, Self.tarSamples(), count: 3000, tar: true))
    }

    func testGzipReaderNeverTraps() throws {
        let tars = try Self.tarSamples()
        let multiMember = try Gzip.compress(Array(tars[0].prefix(1024))) + Gzip.compress(Array(tars[0].dropFirst(1024)))
        let samples = [try Gzip.compress(tars[0]), multiMember]
        try run("gzip", try cases(2, samples, count: 1500, tar: false))
    }

    func testBaseLayerReaderNeverTraps() throws {
        let tars = try Self.tarSamples()
        try run("layer", try cases(3, tars, count: 1500, tar: true) + cases(4, tars, count: 1500, tar: false, gzipAfter: true))
    }

    func testELFReaderNeverTraps() throws {
        try Prerequisite.requireTools("gcc")
        try run("elf", try cases(5, [TestSupport.readBytes(TestSupport.fixtures.dynamicBinary)], count: 1500, tar: false))
    }

    func testJSONDecodersNeverTrap() throws {
        try run("json", try cases(6, Self.jsonSamples(), count: 3000, tar: false))
    }

    func testInspectReaderNeverTraps() throws {
        let samples = try archiveSamples()
        try run("archive", try cases(7, [samples[0]], count: 800, tar: true) + cases(8, [samples[1]], count: 400, tar: false))
    }
}
