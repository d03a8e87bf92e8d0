import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Same binary → same bytes, whenever and wherever it is built; SOURCE_DATE_EPOCH moves only times.
final class ReproducibilityTests: XCTestCase {
    static func build(from directory: String, executable: String, epoch: String? = nil) throws -> (digest: String, archive: [UInt8], layout: String) {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "SOURCE_DATE_EPOCH")
        if let epoch { environment["SOURCE_DATE_EPOCH"] = epoch }
        let result = try TestSupport.containertool([
            "build", "--executable", executable, "--output", "docker-archive:image.tar", "--output", "oci-layout:layout",
            "--tag", "repro:1", "--json", "--resource", "assets:/assets",
        ], in: directory, environment: environment)
        XCTAssertEqual(result.status, 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdoutBytes)) as? [String: Any]
        return (object?["digest"] as? String ?? "", try TestSupport.readBytes(directory + "/image.tar"), directory + "/layout")
    }

    /// A directory with its own copy of the binary and an assets folder, touched at build time.
    static func workspace() throws -> String {
        let directory = try TestSupport.makeTemporaryDirectory("cit-repro")
        try FileManager.default.copyItem(atPath: TestSupport.fixtures.staticBinary, toPath: directory + "/hello")
        try FileManager.default.createDirectory(atPath: directory + "/assets/sub", withIntermediateDirectories: true)
        try "a".write(toFile: directory + "/assets/a.txt", atomically: true, encoding: .utf8)
        try "b".write(toFile: directory + "/assets/sub/b.txt", atomically: true, encoding: .utf8)
        return directory
    }

    func testTwoBuildsAtDifferentTimesInDifferentDirectoriesAreIdentical() throws {
        try Prerequisite.requireTools("gcc")
        let first = try Self.workspace(), second = try Self.workspace()
        defer { TestSupport.remove(first); TestSupport.remove(second) }
        let one = try Self.build(from: first, executable: "hello")
        Thread.sleep(forTimeInterval: 1.1)
        // New host timestamps and a different absolute path must not matter.
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: second + "/hello")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: second + "/assets/a.txt")
        let two = try Self.build(from: second, executable: second + "/hello")
        XCTAssertTrue(one.digest.hasPrefix("sha256:"))
        XCTAssertEqual(one.digest, two.digest)
        XCTAssertEqual(one.archive, two.archive)
    }

    func testSourceDateEpochChangesOnlyTimes() throws {
        try Prerequisite.requireTools("gcc")
        let first = try Self.workspace(), second = try Self.workspace()
        defer { TestSupport.remove(first); TestSupport.remove(second) }
        let plain = try Self.build(from: first, executable: "hello")
        let dated = try Self.build(from: second, executable: "hello", epoch: "1700000000")
        XCTAssertTrue(plain.digest != dated.digest)

        let plainImage = try ImageReader.read(path: plain.layout), datedImage = try ImageReader.read(path: dated.layout)
        XCTAssertEqual(plainImage.config.created, "1970-01-01T00:00:00Z")
        XCTAssertEqual(datedImage.config.created, "2023-11-14T22:13:20Z")
        XCTAssertEqual(datedImage.config.config?.labels?["org.opencontainers.image.created"], "2023-11-14T22:13:20Z")
        // With the times put back, the configs are equal.
        var normalized = datedImage.config
        normalized.created = plainImage.config.created
        normalized.history = plainImage.config.history
        normalized.config?.labels?["org.opencontainers.image.created"] = plainImage.config.created
        normalized.rootfs = plainImage.config.rootfs
        XCTAssertEqual(normalized, plainImage.config)

        // The layers hold the same entries; only modification times differ.
        func records(_ layout: String, _ image: InspectedImage) throws -> [TarRecord] {
            try image.layers.flatMap { layer in
                try TarReader.read(try Gzip.decompress(try TestSupport.readBytes(layout + "/blobs/sha256/" + layer.digest.dropFirst("sha256:".count))))
            }
        }
        let plainRecords = try records(plain.layout, plainImage), datedRecords = try records(dated.layout, datedImage)
        XCTAssertTrue(plainRecords.allSatisfy { $0.modificationTime == 0 })
        XCTAssertTrue(datedRecords.allSatisfy { $0.modificationTime == 1_700_000_000 })
        XCTAssertEqual(datedRecords.map { var record = $0; record.modificationTime = 0; return record }, plainRecords)
    }

    func testInvalidSourceDateEpochIsAUsageError() throws {
        try Prerequisite.requireTools("gcc")
        let directory = try Self.workspace()
        defer { TestSupport.remove(directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = "yesterday"
        let result = try TestSupport.containertool(["build", "--executable", "hello", "--output", "docker-archive:image.tar"], in: directory, environment: environment)
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("SOURCE_DATE_EPOCH"), result.stderr)
        XCTAssertTrue(!FileManager.default.fileExists(atPath: directory + "/image.tar"))
    }
}
