import Foundation
import Synchronization
import TestSupport
import XCTest

/// The plugin's cache of built `containertool`s: one build per state of the sources, shared by every
/// package, safe when two runs start at once, and never a folder others can write to.
final class ToolCacheTests: XCTestCase {
    var root = ""
    var package: URL { URL(fileURLWithPath: root + "/package") }
    var unrelated: Set<String> { [package.path + "/Sources/HelloWeb/main.swift", package.path + "/Sources/HelloWeb/sub/x.swift"] }
    var cache: ToolCache { ToolCache(sourcePackage: package, unrelatedFiles: unrelated, directory: URL(fileURLWithPath: root + "/cache")) }
    let toolchain = "/opt/swift/usr/bin/swift 1 1.0"

    override func setUpWithError() throws {
        root = try temporaryDirectory(self, "tool-cache").path
        try FileManager.default.createDirectory(atPath: root + "/package/Sources/containertool", withIntermediateDirectories: true)
        try "// manifest".write(toFile: root + "/package/Package.swift", atomically: true, encoding: .utf8)
        try "print(1)".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
    }

    /// A stand-in for `swift build`: writes an executable into the scratch folder and counts the calls.
    final class FakeBuild: @unchecked Sendable {
        var calls = 0
        func callAsFunction(_ scratch: URL) throws -> URL {
            calls += 1
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let binary = scratch.appendingPathComponent("containertool")
            try "#!/bin/sh\necho build \(calls)\n".write(to: binary, atomically: true, encoding: .utf8)
            return binary
        }
    }

    func testTheKeyFollowsEverySourceFileAndTheToolchainButNotTheirOrder() {
        let a = ToolCache.SourceFile(path: "Sources/a.swift", contentHash: 10)
        let b = ToolCache.SourceFile(path: "Package.swift", contentHash: 20)
        let key = ToolCache.key(of: [a, b], toolchain: toolchain)
        XCTAssertEqual(key.count, 16)
        XCTAssertEqual(key, ToolCache.key(of: [b, a], toolchain: toolchain))
        var edited = a; edited.contentHash = 11
        var renamed = a; renamed.path = "Sources/b.swift"
        for (changed, why) in [([edited, b], "content"), ([renamed, b], "path"), ([a], "a file fewer")] {
            XCTAssertNotEqual(ToolCache.key(of: changed, toolchain: toolchain), key, why)
        }
        XCTAssertNotEqual(ToolCache.key(of: [a, b], toolchain: "/opt/swift/usr/bin/swift 1 2.0"), key, "another toolchain")
    }

    func testAFreshCopyOfTheSameSourcesFindsTheSameTool() throws {
        let build = FakeBuild()
        let first = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in })
        // What a new package's checkout of the same version looks like: same bytes, new times and inodes.
        try FileManager.default.copyItem(atPath: root + "/package", toPath: root + "/checkout")
        var times = [timespec(tv_sec: 1_000, tv_nsec: 0), timespec(tv_sec: 1_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, root + "/checkout/Sources/containertool/main.swift", &times, 0), 0)
        let checkout = URL(fileURLWithPath: root + "/checkout")
        let other = ToolCache(sourcePackage: checkout, unrelatedFiles: [checkout.path + "/Sources/HelloWeb/main.swift"],
                              directory: URL(fileURLWithPath: root + "/cache"))
        XCTAssertEqual(try other.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }), first)
        XCTAssertEqual(build.calls, 1)
    }

    func testSourcesAreTheManifestAndSourcesButNotHiddenFilesOrUnrelatedTargets() throws {
        for folder in ["Sources/OCIModel/.hidden", "Sources/HelloWeb/sub", "Sources/CZlib"] {
            try FileManager.default.createDirectory(atPath: root + "/package/" + folder, withIntermediateDirectories: true)
        }
        for file in ["Sources/OCIModel/Model.swift", "Sources/OCIModel/.hidden/swap", "Sources/OCIModel/.DS_Store", "Sources/HelloWeb/main.swift",
                     "Sources/HelloWeb/sub/x.swift", "Sources/CZlib/module.modulemap", "README.md"] {
            try "x".write(toFile: root + "/package/" + file, atomically: true, encoding: .utf8)
        }
        let names = try ToolCache.sourceFiles(of: package, excluding: unrelated).map(\.path).sorted()
        XCTAssertEqual(names, ["Package.swift", "Sources/CZlib/module.modulemap", "Sources/OCIModel/Model.swift", "Sources/containertool/main.swift"],
                       "a system library's folder (no source module) counts; HelloWeb's does not")
    }

    func testAFileInALinkedFolderUnderSourcesIsPartOfTheKey() throws {
        // The compiler reads a target's linked folder; an edit there must build the tool again.
        try FileManager.default.createDirectory(atPath: root + "/shared", withIntermediateDirectories: true)
        try "let a = 1".write(toFile: root + "/shared/Shared.swift", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/package/Sources/containertool/Shared", withDestinationPath: root + "/shared")
        try FileManager.default.createSymbolicLink(atPath: root + "/shared/loop", withDestinationPath: root + "/package/Sources")
        XCTAssertEqual(try ToolCache.sourceFiles(of: package, excluding: unrelated).map(\.path).sorted(),
                       ["Package.swift", "Sources/containertool/Shared/Shared.swift", "Sources/containertool/main.swift"], "a link loop is walked once")
        let build = FakeBuild()
        let first = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in })
        try "let a = 2".write(toFile: root + "/shared/Shared.swift", atomically: true, encoding: .utf8)
        XCTAssertNotEqual(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }), first)
        XCTAssertEqual(build.calls, 2)
    }

    func testAVersionSpecificManifestIsPartOfTheKey() throws {
        // SwiftPM reads Package@swift-6.0.swift instead of Package.swift: editing it changes the tool.
        try "// 6.0 manifest".write(toFile: root + "/package/Package@swift-6.0.swift", atomically: true, encoding: .utf8)
        try "notes".write(toFile: root + "/package/Package.md", atomically: true, encoding: .utf8)
        XCTAssertEqual(try ToolCache.sourceFiles(of: package, excluding: unrelated).map(\.path).sorted(),
                       ["Package.swift", "Package@swift-6.0.swift", "Sources/containertool/main.swift"])
    }

    func testEditingAnotherTargetOfThePackageDoesNotRebuildTheTool() throws {
        let build = FakeBuild()
        let first = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in })
        try FileManager.default.createDirectory(atPath: root + "/package/Sources/HelloWeb", withIntermediateDirectories: true)
        try "// edited".write(toFile: root + "/package/Sources/HelloWeb/main.swift", atomically: true, encoding: .utf8)
        XCTAssertEqual(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }), first)
        XCTAssertEqual(build.calls, 1)
    }

    func testAPackageWithoutContainertoolsSourcesIsNamedInTheError() throws {
        try FileManager.default.removeItem(atPath: root + "/package/Sources/containertool")
        XCTAssertThrowsError(try ToolCache.sourceFiles(of: package, excluding: unrelated)) { error in
            XCTAssertEqual(error as? ToolCacheError, .noSources(package.path))
            XCTAssertTrue("\(error)".contains("swift package resolve"), "\(error)")
        }
    }

    func testTheToolIsBuiltOnceThenTakenFromTheCacheUntilASourceChanges() throws {
        let build = FakeBuild()
        var progress: [String] = []
        let first = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { progress.append($0) })
        let second = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { progress.append($0) })
        XCTAssertEqual(first, second)
        XCTAssertEqual(build.calls, 1)
        XCTAssertEqual(progress.count, 1, "one line says the tool is being built: \(progress)")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: first.path))
        XCTAssertEqual(try String(contentsOf: first, encoding: .utf8), "#!/bin/sh\necho build 1\n")

        try "print(2) // edited".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
        let third = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in })
        XCTAssertNotEqual(third, first)
        XCTAssertEqual(build.calls, 2)
        XCTAssertEqual(try String(contentsOf: first, encoding: .utf8), "#!/bin/sh\necho build 1\n",
                       "a copy: the rebuild in the scratch folder does not change the tool another run may be using")
    }

    func testOnlyTheNewestToolsAreKept() throws {
        let build = FakeBuild()
        var made: [URL] = []
        for edit in 0..<(ToolCache.kept + 2) {
            try "print(\(edit))".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
            made.append(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }))
            // Modification times a second apart, so "newest" is well defined on any file system.
            var times = [timespec(tv_sec: 1_000_000 + edit, tv_nsec: 0), timespec(tv_sec: 1_000_000 + edit, tv_nsec: 0)]
            XCTAssertEqual(utimensat(AT_FDCWD, made.last!.path, &times, 0), 0)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: root + "/cache/bin").sorted()
        XCTAssertEqual(left, made.suffix(ToolCache.kept).map(\.lastPathComponent).sorted())
    }

    func testAnInterruptedCopyIsRemovedByTheNextBuild() throws {
        try FileManager.default.createDirectory(atPath: root + "/cache/bin", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(root + "/cache", 0o700)
        try "partial".write(toFile: root + "/cache/bin/.containertool-0123456789abcdef-42", atomically: true, encoding: .utf8)
        let tool = try cache.tool(toolchain: toolchain, build: FakeBuild().callAsFunction, progress: { _ in })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/cache/bin"), [tool.lastPathComponent])
    }

    func testTheToolInUseIsKeptOverNewerOnes() throws {
        let build = FakeBuild()
        let inUse = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in })
        var old = [timespec(tv_sec: 1_000, tv_nsec: 0), timespec(tv_sec: 1_000, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, inUse.path, &old, 0), 0)  // built long ago
        for edit in 0..<ToolCache.kept {
            try "print(\(edit + 100))".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
            _ = try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in })
            try "print(1)".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
            XCTAssertEqual(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }), inUse, "used again: its time is now")
        }
        XCTAssertEqual(build.calls, 1 + ToolCache.kept, "the tool used on every other run was never pruned and built again")
    }

    func testAFailedBuildLeavesNoTool() throws {
        struct Broken: Error {}
        XCTAssertThrowsError(try cache.tool(toolchain: toolchain, build: { _ in throw Broken() }, progress: { _ in })) { error in
            XCTAssertTrue(error is Broken)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/cache/bin"), [])
    }

    func testASecondRunWaitsForTheFirstsBuildAndDoesNotBuildAgain() throws {
        // The first run holds the lock (as while it builds); the second must wait, then find its tool.
        try FileManager.default.createDirectory(atPath: root + "/cache/bin", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(root + "/cache", 0o700)
        let held = try ToolCache.lock(URL(fileURLWithPath: root + "/cache/lock"), waiting: { XCTFail("nobody holds it yet") })
        let build = FakeBuild()
        let waited = expectation(description: "the second run says it waits")
        let finished = expectation(description: "the second run ends")
        let cache = self.cache, toolchain = self.toolchain
        let result = Mutex<URL?>(nil)
        Thread {
            let tool = try? cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { line in
                if line.hasPrefix("Waiting for another run") { waited.fulfill() }
            })
            result.withLock { $0 = tool }
            finished.fulfill()
        }.start()
        wait(for: [waited], timeout: 10)
        // What the first run stores while the second waits.
        let key = ToolCache.key(of: try ToolCache.sourceFiles(of: package, excluding: unrelated), toolchain: toolchain)
        let stored = root + "/cache/bin/containertool-" + key
        try "#!/bin/sh\necho first\n".write(toFile: stored, atomically: true, encoding: .utf8)
        chmod(stored, 0o755)
        close(held)
        wait(for: [finished], timeout: 10)
        XCTAssertEqual(result.withLock { $0 }?.path, stored)
        XCTAssertEqual(build.calls, 0)
    }

    func testACacheFolderOthersCanWriteToIsRefused() throws {
        try FileManager.default.createDirectory(atPath: root + "/cache", withIntermediateDirectories: true)
        chmod(root + "/cache", 0o777)
        XCTAssertThrowsError(try cache.tool(toolchain: toolchain, build: FakeBuild().callAsFunction, progress: { _ in })) { error in
            XCTAssertEqual(error as? ToolCacheError, .notPrivate(root + "/cache"))
            XCTAssertTrue("\(error)".contains("CONTAINERIZE_CACHE_DIR"), "\(error)")
        }
        chmod(root + "/cache", 0o700)
        try FileManager.default.createSymbolicLink(atPath: root + "/cache/bin", withDestinationPath: "/tmp")
        XCTAssertThrowsError(try cache.tool(toolchain: toolchain, build: FakeBuild().callAsFunction, progress: { _ in })) { error in
            XCTAssertEqual(error as? ToolCacheError, .notPrivate(root + "/cache/bin"), "a link to a shared folder is not ours")
        }
    }

    /// Where the tool would be stored for the sources as they are.
    func storedPath() throws -> String {
        root + "/cache/bin/containertool-" + ToolCache.key(of: try ToolCache.sourceFiles(of: package, excluding: unrelated), toolchain: toolchain)
    }

    func testAToolSomeoneElsePutInAFolderOthersCanWriteToIsNotRun() throws {
        // The key is predictable (the sources are public): whoever can write to the folder can plant a tool under it.
        try FileManager.default.createDirectory(atPath: root + "/cache/bin", withIntermediateDirectories: true)
        let planted = try storedPath()
        try "#!/bin/sh\necho planted\n".write(toFile: planted, atomically: true, encoding: .utf8)
        chmod(planted, 0o755)
        for (folder, mode) in [("/cache", 0o777), ("/cache/bin", 0o777), ("", 0o777)] as [(String, mode_t)] {
            chmod(root + "/cache", 0o700); chmod(root + "/cache/bin", 0o700); chmod(root, 0o700)
            chmod(root + folder, mode)
            XCTAssertThrowsError(try cache.tool(toolchain: toolchain, build: FakeBuild().callAsFunction, progress: { _ in }), "\(folder) \(mode)") { error in
                XCTAssertEqual(error as? ToolCacheError, .notPrivate(root + folder))
            }
        }
        chmod(root, 0o775)  // what a umask of 002 makes: allowed for the parent (the cache folders themselves are 0700)
        chmod(planted, 0o775)
        chmod(root + "/cache", 0o700); chmod(root + "/cache/bin", 0o700)
        let build = FakeBuild()
        XCTAssertEqual(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }).path, planted)
        XCTAssertEqual(build.calls, 1, "a tool its group may write to is built again")
    }

    func testWhatIsNotAWholeToolUnderTheNameIsBuiltAgain() throws {
        try FileManager.default.createDirectory(atPath: root + "/cache/bin", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(root + "/cache", 0o700)
        let stored = try storedPath()
        let build = FakeBuild()
        // A folder (executable, so `isExecutableFile` says yes), and the empty file a crash may leave.
        try FileManager.default.createDirectory(atPath: stored, withIntermediateDirectories: false)
        XCTAssertEqual(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }).path, stored)
        XCTAssertEqual(try String(contentsOfFile: stored, encoding: .utf8), "#!/bin/sh\necho build 1\n")
        try Data().write(to: URL(fileURLWithPath: stored))
        chmod(stored, 0o755)
        XCTAssertEqual(try cache.tool(toolchain: toolchain, build: build.callAsFunction, progress: { _ in }).path, stored)
        XCTAssertEqual(try String(contentsOfFile: stored, encoding: .utf8), "#!/bin/sh\necho build 2\n")
    }

    func testACacheFolderThatIsAFileOrUnderOneSaysSoInOneLine() throws {
        try "x".write(toFile: root + "/file", atomically: true, encoding: .utf8)
        let onFile = ToolCache(sourcePackage: package, unrelatedFiles: unrelated, directory: URL(fileURLWithPath: root + "/file/tools"))
        XCTAssertThrowsError(try onFile.tool(toolchain: toolchain, build: FakeBuild().callAsFunction, progress: { _ in })) { error in
            XCTAssertEqual(error as? ToolCacheError, .notPrivate(root + "/file"))
        }
        let under = ToolCache(sourcePackage: package, unrelatedFiles: unrelated, directory: URL(fileURLWithPath: root + "/file/sub/tools"))
        XCTAssertThrowsError(try under.tool(toolchain: toolchain, build: FakeBuild().callAsFunction, progress: { _ in })) { error in
            XCTAssertEqual(error as? ToolCacheError, .cannotStore(root + "/file/sub", "Not a directory"))
        }
    }

    func testAFullDiskIsNamedAndLeavesNoPartialTool() throws {
        try Prerequisite.requireTools("mount", "umount")
        try Prerequisite.require(getuid() == 0, "mounting a tmpfs needs root")
        try FileManager.default.createDirectory(atPath: root + "/cache", withIntermediateDirectories: true)
        let mounted = try runProcess("mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", root + "/cache"])
        try Prerequisite.require(mounted.status == 0, "cannot mount a tmpfs: \(mounted.stderr)")
        defer { _ = try? runProcess("umount", ["-l", root + "/cache"]) }
        let big: (URL) throws -> URL = { scratch in
            let binary = URL(fileURLWithPath: self.root + "/big-containertool")
            try Data(repeating: 0x7f, count: 2 << 20).write(to: binary)
            return binary
        }
        XCTAssertThrowsError(try cache.tool(toolchain: toolchain, build: big, progress: { _ in })) { error in
            XCTAssertEqual("\(error)", "cannot keep containertool in \(try! self.storedPath()): No space left on device; free space there, or set CONTAINERIZE_CACHE_DIR to another folder")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/cache/bin"), [])
    }

    func testATruncatedToolIsBuiltAgain() throws {
        // A real ELF executable as the built tool: whole, it is taken; cut short, it is built again.
        let elf: (URL) throws -> URL = { scratch in
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let binary = scratch.appendingPathComponent("containertool")
            try? FileManager.default.removeItem(at: binary)
            try FileManager.default.copyItem(atPath: "/bin/true", toPath: binary.path)
            return binary
        }
        let stored = try cache.tool(toolchain: toolchain, build: elf, progress: { _ in })
        let whole = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: stored.path)[.size] as? Int)
        XCTAssertTrue(ToolCache.isUsableTool(stored.path))
        XCTAssertEqual(truncate(stored.path, off_t(whole - 100)), 0)
        XCTAssertFalse(ToolCache.isUsableTool(stored.path), "a truncated ELF file")
        var builds = 0
        XCTAssertEqual(try cache.tool(toolchain: toolchain, build: { builds += 1; return try elf($0) }, progress: { _ in }), stored)
        XCTAssertEqual(builds, 1)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: stored.path)[.size] as? Int, whole)
        XCTAssertEqual(truncate(stored.path, 40), 0)
        XCTAssertFalse(ToolCache.isUsableTool(stored.path), "an ELF header cut short")
    }

    func testAScratchFolderBuiltAtAnotherPathIsEmptiedFirst() throws {
        // The module cache inside holds absolute paths: a copied or moved cache folder would fail to build.
        let scratch = root + "/cache/build"
        var seen: [Bool] = []
        let build: (URL) throws -> URL = { scratch in
            seen.append(FileManager.default.fileExists(atPath: scratch.path + "/ModuleCache"))
            try FileManager.default.createDirectory(atPath: scratch.path + "/ModuleCache", withIntermediateDirectories: true)
            return try FakeBuild()(scratch)
        }
        _ = try cache.tool(toolchain: toolchain, build: build, progress: { _ in })
        XCTAssertEqual(try String(contentsOfFile: scratch + "/" + ToolCache.scratchPathMark, encoding: .utf8), scratch)
        try "print(2)".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
        _ = try cache.tool(toolchain: toolchain, build: build, progress: { _ in })
        try "/elsewhere/cache/build".write(toFile: scratch + "/" + ToolCache.scratchPathMark, atomically: true, encoding: .utf8)
        try "print(3)".write(toFile: root + "/package/Sources/containertool/main.swift", atomically: true, encoding: .utf8)
        _ = try cache.tool(toolchain: toolchain, build: build, progress: { _ in })
        XCTAssertEqual(seen, [false, true, false], "kept where it was built (incremental), emptied once moved")
    }

    func testTheCacheFolderComesFromTheEnvironment() {
        // The blob cache's folder (CacheLocation), so one variable moves everything containerize caches.
        XCTAssertEqual(ToolCache.defaultDirectory(environment: ["CONTAINERIZE_CACHE_DIR": "/c"], home: "/h").path, "/c/tools")
        XCTAssertEqual(ToolCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x"], home: "/h").path, "/x/containerize/tools")
        XCTAssertEqual(ToolCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "relative"], home: "/h").path, "/h/.cache/containerize/tools",
                       "XDG: a relative path is ignored")
        XCTAssertEqual(ToolCache.defaultDirectory(environment: [:], home: "/h").path, "/h/.cache/containerize/tools")
    }
}
