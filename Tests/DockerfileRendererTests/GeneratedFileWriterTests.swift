import GeneratedFiles
import DockerfileRenderer
import Foundation
import TestSupport
import XCTest

/// The marker rule: generated files are regenerated, hand-written ones are left alone unless forced.
final class GeneratedFileWriterTests: XCTestCase {
    private let generated = GeneratedFile.marker + "\nFROM scratch\n"
    private let regenerated = GeneratedFile.marker + "\nFROM scratch\nEXPOSE 9000\n"
    private let handWritten = "FROM scratch\nCOPY app /app\n"

    func testCreatesAMissingFile() throws {
        let folder = try TemporaryFolder()
        let outcomes = try GeneratedFileWriter.write([GeneratedFile(url: folder.file("Dockerfile"), contents: generated)], force: false)
        XCTAssertEqual(outcomes, [.created])
        XCTAssertEqual(try folder.read("Dockerfile"), generated)
        XCTAssertEqual(try folder.contents(), ["Dockerfile"], "no temporary file is left behind")
    }

    func testRegeneratesAFileThatCarriesTheMarker() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile", generated)
        let outcomes = try GeneratedFileWriter.write([GeneratedFile(url: folder.file("Dockerfile"), contents: regenerated)], force: false)
        XCTAssertEqual(outcomes, [.updated])
        XCTAssertEqual(try folder.read("Dockerfile"), regenerated)
    }

    func testLeavesAnIdenticalFileUntouched() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile", generated)
        let before = try FileManager.default.attributesOfItem(atPath: folder.file("Dockerfile").path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.01)
        XCTAssertEqual(try GeneratedFileWriter.write([GeneratedFile(url: folder.file("Dockerfile"), contents: generated)], force: false),
                       [.unchanged])
        let after = try FileManager.default.attributesOfItem(atPath: folder.file("Dockerfile").path)[.modificationDate] as? Date
        XCTAssertEqual(before, after)
    }

    func testRefusesToOverwriteAHandWrittenDockerfileAndNamesForce() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile", handWritten)
        XCTAssertThrowsError(
            try GeneratedFileWriter.write([GeneratedFile(url: folder.file("Dockerfile"), contents: generated)], force: false)
        ) { error in
            XCTAssertEqual(error as? GeneratedFileError, .wouldOverwriteHandWrittenFile(path: folder.file("Dockerfile").path))
            XCTAssertTrue("\(error)".contains("--force"))
        }
        XCTAssertEqual(try folder.read("Dockerfile"), handWritten)
    }

    func testARefusalWritesNoFileAtAll() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile", handWritten)
        let files = [
            GeneratedFile(url: folder.file(".dockerignore"), contents: DockerfileRenderer.renderDockerignore(), handWrittenPolicy: .keep),
            GeneratedFile(url: folder.file("Dockerfile"), contents: generated, handWrittenPolicy: .refuse),
        ]
        XCTAssertThrowsError(try GeneratedFileWriter.write(files, force: false))
        XCTAssertEqual(try folder.contents(), ["Dockerfile"], "the .dockerignore must not be written when the Dockerfile is refused")
    }

    func testDeletingTheMarkerLineAdoptsTheFile() throws {
        let folder = try TemporaryFolder()
        let edited = generated.replacingOccurrences(of: GeneratedFile.marker + "\n", with: "") + "LABEL edited=yes\n"
        try folder.write("Dockerfile", edited)
        XCTAssertThrowsError(try GeneratedFileWriter.write([GeneratedFile(url: folder.file("Dockerfile"), contents: generated)], force: false))
        XCTAssertEqual(try folder.read("Dockerfile"), edited)
    }

    func testForceOverwritesAHandWrittenFile() throws {
        let folder = try TemporaryFolder()
        try folder.write("Dockerfile", handWritten)
        XCTAssertEqual(try GeneratedFileWriter.write([GeneratedFile(url: folder.file("Dockerfile"), contents: generated)], force: true),
                       [.updated])
        XCTAssertEqual(try folder.read("Dockerfile"), generated)
        XCTAssertEqual(try folder.contents(), ["Dockerfile"])
    }

    func testKeepsAHandWrittenDockerignore() throws {
        let folder = try TemporaryFolder()
        try folder.write(".dockerignore", ".build\nsecrets\n")
        let files = [
            GeneratedFile(url: folder.file("Dockerfile"), contents: generated),
            GeneratedFile(url: folder.file(".dockerignore"), contents: DockerfileRenderer.renderDockerignore(), handWrittenPolicy: .keep),
        ]
        XCTAssertEqual(try GeneratedFileWriter.write(files, force: false), [.created, .keptHandWritten])
        XCTAssertEqual(try folder.read(".dockerignore"), ".build\nsecrets\n")
    }

    func testAnUnwritableFolderFailsWithoutLeavingATemporaryFile() throws {
        let folder = try TemporaryFolder()
        let missing = folder.file("no-such-folder/Dockerfile")
        XCTAssertThrowsError(try GeneratedFileWriter.write([GeneratedFile(url: missing, contents: generated)], force: false)) { error in
            guard case .writeFailed? = error as? GeneratedFileError else { return XCTFail("unexpected error \(error)") }
        }
        XCTAssertEqual(try folder.contents(), [])
    }

    /// The plugin's dry run before compiling: a Dockerfile path in a missing folder fails then, with
    /// what to do, not after the build.
    func testAMissingFolderFailsTheDryRun() throws {
        let folder = try TemporaryFolder()
        let missing = folder.file("no-such-folder/Dockerfile")
        XCTAssertThrowsError(try GeneratedFileWriter.write([GeneratedFile(url: missing, contents: generated)], force: false, dryRun: true)) { error in
            guard case .writeFailed? = error as? GeneratedFileError else { return XCTFail("unexpected error \(error)") }
            XCTAssertTrue("\(error)".contains("create it"), "\(error)")
        }
        // A folder at the path fails the dry run too, --force or not.
        XCTAssertThrowsError(try GeneratedFileWriter.write([GeneratedFile(url: folder.url, contents: generated)], force: true, dryRun: true)) { error in
            XCTAssertTrue("\(error)".contains("is a folder"), "\(error)")
        }
    }

    func testTheDockerignoreKeepsBuildFoldersAndGitOutOfTheContext() {
        let lines = Set(DockerfileRenderer.renderDockerignore().split(separator: "\n").map(String.init))
        XCTAssertTrue(lines.isSuperset(of: [".build", ".build-*", ".git", "dist"]))
        XCTAssertTrue(GeneratedFile.isGenerated(DockerfileRenderer.renderDockerignore()))
    }
}
