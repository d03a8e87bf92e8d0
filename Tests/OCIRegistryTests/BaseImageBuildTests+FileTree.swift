import Foundation
import TestSupport
import XCTest

/// Our layers over a real base's file tree (issue #16): a base made with umoci like a Debian one
/// (merged /usr: /lib → usr/lib, /lib64 → usr/lib64; /tmp 1777), a second layer that deletes
/// with whiteouts; what we add must leave all of it as the base has it.
extension BaseImageBuildTests {
    /// Makes `layout`:1 with umoci: layer 1 has /tmp (1777), /usr/lib/base.txt behind /lib,
    /// /lib64 → usr/lib64, a file /data and a link /opt; layer 2 deletes /data and /opt (whiteouts).
    /// With `hostLibc`, the build host's libc.so.6 is at /usr/lib/x86_64-linux-gnu/ too.
    func makeMergedUsrBase(_ layout: String, hostLibc: Bool = false) throws {
        try Prerequisite.requireTool("umoci")
        let bundle = work.path + "/bundle"
        try runChecked("bash", ["-c", """
            set -e
            umoci init --layout '\(layout)'; umoci new --image '\(layout):1'
            umoci unpack --rootless --image '\(layout):1' '\(bundle)'
            cd '\(bundle)/rootfs'; mkdir -p tmp usr/lib/x86_64-linux-gnu usr/lib64 etc; chmod 1777 tmp
            echo base > usr/lib/base.txt; ln -s usr/lib lib; ln -s usr/lib64 lib64; echo old > data; ln -s etc opt
            \(hostLibc ? "cp /lib/x86_64-linux-gnu/libc.so.6 usr/lib/x86_64-linux-gnu/" : "")
            cd /; umoci repack --image '\(layout):1' '\(bundle)'; rm -rf '\(bundle)'
            umoci unpack --rootless --image '\(layout):1' '\(bundle)'; rm '\(bundle)/rootfs/data' '\(bundle)/rootfs/opt'
            umoci repack --image '\(layout):1' '\(bundle)'; rm -rf '\(bundle)'
            """])
    }

    func testOurFilesLeaveAMergedUsrBasesDirectoriesAndLinksAsTheyAre() throws {
        let layout = work.path + "/merged-usr"
        try makeMergedUsrBase(layout)
        let hello = try program("hello")
        let data = work.appendingPathComponent("ours.txt")
        try Data("ours\n".utf8).write(to: data)
        let built = try containertool(["build", "--executable", hello, "--from", "oci-layout:\(layout):1", "--workdir", "/tmp",
                                       "--resource", "\(data.path):/tmp/ours.txt", "--resource", "\(data.path):/data/ours.txt",
                                       "--resource", "\(data.path):/opt/ours.txt", "--output", "oci-layout:\(work.path)/app"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let rootfs = work.path + "/rootfs"
        try runChecked("umoci", ["raw", "unpack", "--rootless", "--image", "\(work.path)/app:latest", rootfs])
        let files = FileManager.default
        XCTAssertEqual(try files.attributesOfItem(atPath: rootfs + "/tmp")[.posixPermissions] as? Int, 0o1777, "the base's /tmp keeps its mode")
        XCTAssertEqual(try files.destinationOfSymbolicLink(atPath: rootfs + "/lib"), "usr/lib", "the base's /lib stays a link")
        XCTAssertEqual(try String(contentsOfFile: rootfs + "/lib/base.txt", encoding: .utf8), "base\n")
        XCTAssertEqual(try String(contentsOfFile: rootfs + "/tmp/ours.txt", encoding: .utf8), "ours\n")
        // /data and /opt were a file and a link in layer 1, deleted by layer 2: ours are directories there.
        XCTAssertEqual(try String(contentsOfFile: rootfs + "/data/ours.txt", encoding: .utf8), "ours\n")
        XCTAssertNil(try? files.destinationOfSymbolicLink(atPath: rootfs + "/opt"))

        // Below the base's link, or a file over its directory: one line, nothing written.
        for (destination, message) in [("/lib/app/ours.txt", "is below the base image's symlink /lib → usr/lib, which would become a directory hiding the base's files there; put it at /usr/lib/app/ours.txt instead"),
                                       ("/usr/lib", "would hide what the base image has there (a directory)")] {
            let refused = try containertool(["build", "--executable", hello, "--from", "oci-layout:\(layout):1",
                                             "--resource", "\(data.path):\(destination)", "--output", "oci-layout:\(work.path)/refused"])
            XCTAssertEqual(refused.status, 1, destination)
            XCTAssertTrue(refused.stderr.contains(message), refused.stderr)
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
            XCTAssertFalse(files.fileExists(atPath: work.path + "/refused"))
        }
    }

    /// The CA bundle on a base whose /etc/ssl/certs is a link (to /usr/share/ca here, as some distributions
    /// lay it out): written where the link leads, as Docker's COPY would, never refused with a hint to
    /// move a file the user did not place; the link stays, and the bundle is read through it.
    func testTheCABundleGoesWhereABasesCertificateLinkLeads() throws {
        try Prerequisite.requireTool("umoci")
        let layout = work.path + "/linked-certs"
        let bundle = work.path + "/bundle"
        try runChecked("bash", ["-c", """
            set -e
            umoci init --layout '\(layout)'; umoci new --image '\(layout):1'
            umoci unpack --rootless --image '\(layout):1' '\(bundle)'
            cd '\(bundle)/rootfs'; mkdir -p usr/share/ca etc/ssl; ln -s ../../usr/share/ca etc/ssl/certs
            cd /; umoci repack --image '\(layout):1' '\(bundle)'; rm -rf '\(bundle)'
            """])
        let built = try containertool(["build", "--executable", try program("hello"), "--from", "oci-layout:\(layout):1", "--ca-certificates",
                                       "--output", "oci-layout:\(work.path)/app"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let rootfs = work.path + "/rootfs"
        try runChecked("umoci", ["raw", "unpack", "--rootless", "--image", "\(work.path)/app:latest", rootfs])
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs + "/etc/ssl/certs"), "../../usr/share/ca", "the base's link stays")
        let bundleText = try String(contentsOfFile: rootfs + "/etc/ssl/certs/ca-certificates.crt", encoding: .utf8)
        XCTAssertTrue(bundleText.hasPrefix("-----BEGIN CERTIFICATE-----"), "the bundle is read through the link")
        XCTAssertTrue(FileManager.default.fileExists(atPath: rootfs + "/usr/share/ca/ca-certificates.crt"))
    }

    /// `--bundle-shared-libraries` on a merged-/usr base: the libraries go where /lib and /lib64
    /// lead, the links stay, and the dynamic program starts (its loader found through /lib64). The
    /// base's libc.so.6, the build host's bytes, is left to the base: no layer of ours carries it.
    func testBundledLibrariesGoBehindAMergedUsrBasesLinksAndTheProgramRuns() throws {
        let layout = work.path + "/merged-usr"
        try makeMergedUsrBase(layout, hostLibc: true)
        let source = work.appendingPathComponent("dynamic.c")
        try Data("#include <stdio.h>\nint main(void) { puts(\"dynamic\"); return 0; }\n".utf8).write(to: source)
        let program = work.path + "/dynamic"
        try runChecked("gcc", ["-Os", "-o", program, source.path])
        let tag = "wire-base-tree-\(UUID().uuidString.prefix(8).lowercased()):1"
        let built = try containertool(["build", "--executable", program, "--bundle-shared-libraries", "--from", "oci-layout:\(layout):1", "--tag", tag,
                                       "--output", "oci-layout:\(work.path)/app", "--output", "docker-archive:\(work.path)/app.tar"])
        XCTAssertEqual(built.status, 0, built.stderr)
        let rootfs = work.path + "/rootfs"
        try runChecked("umoci", ["raw", "unpack", "--rootless", "--image", "\(work.path)/app:1", rootfs])
        let files = FileManager.default
        XCTAssertEqual(try files.destinationOfSymbolicLink(atPath: rootfs + "/lib"), "usr/lib")
        XCTAssertEqual(try files.destinationOfSymbolicLink(atPath: rootfs + "/lib64"), "usr/lib64")
        XCTAssertTrue(files.fileExists(atPath: rootfs + "/usr/lib/x86_64-linux-gnu/libc.so.6"))
        XCTAssertTrue(files.fileExists(atPath: rootfs + "/usr/lib64/ld-linux-x86-64.so.2"))
        XCTAssertEqual(try String(contentsOfFile: rootfs + "/usr/lib/base.txt", encoding: .utf8), "base\n")
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try runChecked("skopeo", ["inspect", "--raw", "oci:\(work.path)/app"]).utf8)) as? [String: Any])
        let layers = try XCTUnwrap(manifest["layers"] as? [[String: Any]]).compactMap { $0["digest"] as? String }
        let names = try layers.dropFirst(2).map { try runChecked("tar", ["-tzf", "\(work.path)/app/blobs/sha256/\($0.dropFirst(7))"]) }.joined(separator: "\n")
        XCTAssertTrue(names.contains("usr/lib64/ld-linux-x86-64.so.2"), names)
        XCTAssertFalse(names.contains("libc.so.6"), "the base has the same libc.so.6: \(names)")

        try Prerequisite.require((try? runTool("docker", ["info"]))?.status == 0, "no Docker engine answers (docker info)")
        try runChecked("docker", ["load", "-i", "\(work.path)/app.tar"])
        defer { _ = try? runTool("docker", ["rmi", "-f", tag]) }
        let run = try runTool("docker", ["run", "--rm", "--network", "host", tag])
        XCTAssertEqual(run.stdout, "dynamic\n", run.stderr)
    }
}
