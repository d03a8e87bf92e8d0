import ContainerImage
import Foundation
import TestSupport
import XCTest

/// Add-ons on when needed: what the binary contains decides, the user's choice wins, and bad input
/// (a missing zoneinfo, a PEM with a key, no CA bundle) is a one-line error.
final class ImageAddOnsTests: XCTestCase {
    /// A self-signed CA certificate (no key anywhere near it).
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBnzCCAUWgAwIBAgIUZ+7Be3TaI64ctLaxZf6PAtmyx6wwCgYIKoZIzj0EAwIw
        JDEiMCAGA1UEAwwZY29udGFpbmVyaXplIHVuaXQgdGVzdCBDQTAgFw0yNjEyMDEx
        NTI0MDRaGA8yMTI2MTEwNzE1MjQwNFowJDEiMCAGA1UEAwwZY29udGFpbmVyaXpl
        IHVuaXQgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCTb4ci8Oz8p
        oCbp4iDmes2niFl2qS4fmHTiDiB25rq/RO3z2r8coMgJKgNIAulsimE5g83+cRys
        mj2z/KcRyL+jUzBRMB0GA1UdDgQWBBQouRsfDDI3lwu84Rx5eV2PLmQqijAfBgNV
        HSMEGDAWgBQouRsfDDI3lwu84Rx5eV2PLmQqijAPBgNVHRMBAf8EBTADAQH/MAoG
        CCqGSM49BAMCA0gAMEUCIQCIhGXdTSuULKsqsGjH1zrQ523JklM+BHJcp0SGCR6w
        LAIga7C1oLwtUerrCqfiClHxwzuKwF7hFZjzcr9RlUevEAA=
        -----END CERTIFICATE-----

        """

    /// A folder with an "executable" whose bytes contain `strings`, a fake zoneinfo and a fake CA bundle.
    struct Sandbox {
        let directory: String
        var executable: String { directory + "/bin/app" }
        var zoneinfo: String { directory + "/zoneinfo" }
        var hostBundle: String { directory + "/host-ca.crt" }

        init(executableContaining strings: [String], padding: Int = 0) throws {
            directory = try TestSupport.makeTemporaryDirectory("addons")
            let manager = FileManager.default
            try manager.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
            var bytes = [UInt8](repeating: 0x41, count: padding)
            for string in strings { bytes += [0] + Array(string.utf8) + [0] }
            try Data(bytes).write(to: URL(fileURLWithPath: executable))
            for folder in ["Etc", "America", "Antarctica", "right/Etc", "posix"] {
                try manager.createDirectory(atPath: zoneinfo + "/" + folder, withIntermediateDirectories: true)
            }
            try Data("TZif-utc".utf8).write(to: URL(fileURLWithPath: zoneinfo + "/Etc/UTC"))
            try Data("TZif-ny".utf8).write(to: URL(fileURLWithPath: zoneinfo + "/America/New_York"))
            try Data("TZif-right".utf8).write(to: URL(fileURLWithPath: zoneinfo + "/right/Etc/UTC"))
            try manager.createSymbolicLink(atPath: zoneinfo + "/UTC", withDestinationPath: "Etc/UTC")
            // Zones link across folders (Debian's Antarctica/South_Pole → ../Pacific/Auckland).
            try manager.createSymbolicLink(atPath: zoneinfo + "/Antarctica/South_Pole", withDestinationPath: "../America/New_York")
            try manager.createSymbolicLink(atPath: zoneinfo + "/localtime", withDestinationPath: "/etc/localtime")
            try Data("HOST BUNDLE".utf8).write(to: URL(fileURLWithPath: hostBundle))  // no final newline
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = directory + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func request(tz: AddOnChoice = .auto, ca: AddOnChoice = .auto, caFiles: [String] = []) -> AddOnRequest {
            var request = AddOnRequest()
            request.timeZoneData = tz
            request.caCertificates = ca
            request.extraCAFiles = caFiles
            request.zoneinfoDirectory = zoneinfo
            request.hostCABundles = [directory + "/missing.crt", hostBundle]
            return request
        }

        func apply(_ request: AddOnRequest) throws -> (ImageSpec, [AddOnReport]) {
            var spec = ImageSpec(executablePath: executable, name: "app")
            let reports = try ImageAddOns.apply(request, to: &spec)
            return (spec, reports)
        }
    }

    func testBinaryStringsFindsAStringSplitAcrossTwoReads() throws {
        // The 1 MiB read boundary falls inside the marker.
        let sandbox = try Sandbox(executableContaining: [TimeZoneData.marker, "tail"], padding: (1 << 20) - 9)
        defer { TestSupport.remove(sandbox.directory) }
        XCTAssertEqual(try BinaryStrings.find([TimeZoneData.marker, "tail", "absent"], in: sandbox.executable), [TimeZoneData.marker, "tail"])
        XCTAssertTrue(try BinaryStrings.find(["/usr/share/zoneinfo/x"], in: sandbox.executable).isEmpty)
    }

    func testGlibcsZoneinfoPathAloneIsNotFoundationsMarker() throws {
        let sandbox = try Sandbox(executableContaining: ["/usr/share/zoneinfo"])
        defer { TestSupport.remove(sandbox.directory) }
        let (spec, reports) = try sandbox.apply(sandbox.request())
        XCTAssertTrue(reports.isEmpty && spec.resources.isEmpty && spec.generatedFiles.isEmpty)
    }

    func testTimeZoneDataWhenTheBinaryHasFoundationsMarker() throws {
        let sandbox = try Sandbox(executableContaining: [TimeZoneData.marker])
        defer { TestSupport.remove(sandbox.directory) }
        let (spec, reports) = try sandbox.apply(sandbox.request())
        XCTAssertEqual(spec.resources.map(\.destination), ["/usr/share/zoneinfo/America", "/usr/share/zoneinfo/Antarctica", "/usr/share/zoneinfo/Etc", "/usr/share/zoneinfo/UTC"])
        XCTAssertEqual(spec.generatedFiles, [TarEntry(path: "/etc/localtime", kind: .symlink(target: "/usr/share/zoneinfo/Etc/UTC"), mode: 0o777)])
        XCTAssertEqual(reports.map(\.kind), ["tzdata"])
        XCTAssertEqual(reports.first?.size, "TZif-utc".utf8.count + "TZif-ny".utf8.count)
        XCTAssertTrue(try sandbox.apply(sandbox.request(tz: .off)).1.isEmpty)
    }

    func testForcedTimeZoneDataWithoutMarkerAndMissingZoneinfoErrors() throws {
        let sandbox = try Sandbox(executableContaining: [])
        defer { TestSupport.remove(sandbox.directory) }
        XCTAssertEqual(try sandbox.apply(sandbox.request(tz: .on)).1.map(\.kind), ["tzdata"])
        var request = sandbox.request(tz: .on)
        request.zoneinfoDirectory = sandbox.directory + "/nowhere"
        assertThrows(AddOnError.noTimeZoneData(directory: request.zoneinfoDirectory, detected: false)) { try sandbox.apply(request) }
    }

    func testDetectedButMissingZoneinfoSaysHowToOptOut() throws {
        let sandbox = try Sandbox(executableContaining: [TimeZoneData.marker])
        defer { TestSupport.remove(sandbox.directory) }
        var request = sandbox.request()
        request.zoneinfoDirectory = sandbox.directory + "/nowhere"
        let error = AddOnError.noTimeZoneData(directory: request.zoneinfoDirectory, detected: true)
        assertThrows(error) { try sandbox.apply(request) }
        XCTAssertTrue(error.description.contains("--no-tzdata") && !error.description.contains("\n"))
    }

    /// A PEM exported on Windows (CRLF line ends) is as valid as any: openssl reads it. It is appended
    /// with LF line ends, as the rest of the bundle.
    func testACAFileWithCRLFLineEndsIsAccepted() throws {
        let sandbox = try Sandbox(executableContaining: [])
        defer { TestSupport.remove(sandbox.directory) }
        let pem = try sandbox.write("windows.pem", Self.certificate.replacingOccurrences(of: "\n", with: "\r\n"))
        let (bytes, count) = try CABundle.certificates(inPEMFile: pem)
        XCTAssertEqual(count, 1)
        XCTAssertEqual(bytes, Array(Self.certificate.utf8))
    }

    func testCaBundleWhenTheBinaryNamesOneWithCAFilesAppended() throws {
        let sandbox = try Sandbox(executableContaining: ["/etc/ssl/certs/ca-certificates.crt"])
        defer { TestSupport.remove(sandbox.directory) }
        let pem = try sandbox.write("company.pem", "subject=whatever\n" + Self.certificate + "trailing text\n")
        let (spec, reports) = try sandbox.apply(sandbox.request(caFiles: [pem]))
        let bundle = try XCTUnwrap(spec.generatedFiles.first { $0.path == CABundle.imagePath })
        XCTAssertEqual(bundle.kind, .file(.bytes(Array(("HOST BUNDLE\n" + Self.certificate).utf8))))
        XCTAssertEqual(reports.map(\.kind), ["ca-certificates"])
        XCTAssertEqual(reports[0].size, ("HOST BUNDLE\n" + Self.certificate).utf8.count)
        XCTAssertEqual(try sandbox.apply(sandbox.request()).1.map(\.kind), ["ca-certificates"])
        XCTAssertTrue(try sandbox.apply(sandbox.request(ca: .off)).1.isEmpty)
    }

    func testWithoutTheHostBundleOnlyTheCAFilesAreTrusted() throws {
        let sandbox = try Sandbox(executableContaining: ["/etc/ssl/certs"])
        defer { TestSupport.remove(sandbox.directory) }
        let pem = try sandbox.write("company.pem", Self.certificate + Self.certificate)
        let (spec, _) = try sandbox.apply(sandbox.request(ca: .off, caFiles: [pem]))
        XCTAssertEqual(spec.generatedFiles, [.file(CABundle.imagePath, Array((Self.certificate + Self.certificate).utf8))])
    }

    func testNoCABundleOnTheHostIsAnErrorWhenOneIsNeeded() throws {
        let sandbox = try Sandbox(executableContaining: ["/etc/ssl/certs"])
        defer { TestSupport.remove(sandbox.directory) }
        var request = sandbox.request()
        request.hostCABundles = [sandbox.directory + "/missing.crt"]
        assertThrows(AddOnError.noCABundle(searched: request.hostCABundles, detected: true)) { try sandbox.apply(request) }
        request.caCertificates = .off
        XCTAssertTrue(try sandbox.apply(request).1.isEmpty)
    }

    func testBadPEMFilesAreRefusedWithoutEchoingThem() throws {
        let sandbox = try Sandbox(executableContaining: [])
        defer { TestSupport.remove(sandbox.directory) }
        let key = try sandbox.write("key.pem", Self.certificate + "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n")
        let empty = try sandbox.write("empty.pem", "nothing here\n")
        let truncated = try sandbox.write("truncated.pem", String(Self.certificate.prefix(200)))
        let garbage = try sandbox.write("garbage.pem", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
        let der = sandbox.directory + "/cert.der"
        try Data([0x30, 0x82, 0x01, 0x9f] + [UInt8](repeating: 7, count: 400)).write(to: URL(fileURLWithPath: der))
        assertThrows(AddOnError.caFileHasPrivateKey(key)) { try CABundle.certificates(inPEMFile: key) }
        assertThrows(AddOnError.caFileHasNoCertificate(empty)) { try CABundle.certificates(inPEMFile: empty) }
        assertThrows(AddOnError.caFileMalformed(truncated, line: 1)) { try CABundle.certificates(inPEMFile: truncated) }
        assertThrows(AddOnError.caFileMalformed(garbage, line: 1)) { try CABundle.certificates(inPEMFile: garbage) }
        assertThrows(AddOnError.caFileHasNoCertificate(der)) { try CABundle.certificates(inPEMFile: der) }
        assertThrows(AddOnError.caFileUnreadable(sandbox.directory)) { try CABundle.certificates(inPEMFile: sandbox.directory) }
        XCTAssertTrue(!AddOnError.caFileHasPrivateKey(key).description.contains("MIGH"))
        // A huge file is refused by its size, before it is read.
        let huge = sandbox.directory + "/huge.pem"
        XCTAssertTrue(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: huge))
        try handle.truncate(atOffset: UInt64(CABundle.maximumCAFileSize + 1))
        try handle.close()
        assertThrows(AddOnError.caFileTooLarge(huge, limit: CABundle.maximumCAFileSize)) { try CABundle.certificates(inPEMFile: huge) }
    }

    func testOnlyTheResourceBundlesTheBinaryNamesAreCopied() throws {
        let sandbox = try Sandbox(executableContaining: ["Pkg_Mine.resources"])
        defer { TestSupport.remove(sandbox.directory) }
        for bundle in ["Pkg_Mine.resources/public", "Pkg_Other.resources"] {
            try FileManager.default.createDirectory(atPath: sandbox.directory + "/bin/" + bundle, withIntermediateDirectories: true)
        }
        _ = try sandbox.write("bin/Pkg_Mine.resources/public/hello.txt", "hello")
        _ = try sandbox.write("bin/.resources", "not a bundle")
        let (spec, reports) = try sandbox.apply(sandbox.request())
        XCTAssertEqual(spec.resources, [.init(source: sandbox.directory + "/bin/Pkg_Mine.resources", destination: "/Pkg_Mine.resources")])
        XCTAssertEqual(reports.map(\.kind), ["resource-bundle"])
        XCTAssertEqual(reports[0].size, 5)
        var request = sandbox.request()
        request.resourceBundles = .off
        XCTAssertTrue(try sandbox.apply(request).0.resources.isEmpty)
    }

    func testAddOnsLandInTheLayerOfARealExecutable() throws {
        try Prerequisite.requireTools("gcc")
        // A real static executable with Foundation's marker and a CA path appended (the ELF ignores trailing bytes).
        let sandbox = try Sandbox(executableContaining: [])
        defer { TestSupport.remove(sandbox.directory) }
        var bytes = try TestSupport.readBytes(TestSupport.fixtures.staticBinary)
        bytes += Array("\0\(TimeZoneData.marker)\0/etc/ssl/certs\0".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: sandbox.executable))
        var spec = ImageSpec(executablePath: sandbox.executable, name: "app")
        _ = try ImageAddOns.apply(sandbox.request(), to: &spec)
        let files = try ImageAssemblerTests.layerRecords(try ImageAssembler.assemble(spec))
        XCTAssertEqual(files["usr/share/zoneinfo/America/New_York"]?.contents, Array("TZif-ny".utf8))
        XCTAssertEqual(files["usr/share/zoneinfo/UTC"]?.linkName, "Etc/UTC")
        XCTAssertEqual(files["usr/share/zoneinfo/Antarctica/South_Pole"]?.linkName, "../America/New_York")
        XCTAssertNil(files["usr/share/zoneinfo/right/"])
        XCTAssertNil(files["usr/share/zoneinfo/localtime"])
        XCTAssertEqual(files["etc/localtime"]?.linkName, "/usr/share/zoneinfo/Etc/UTC")
        XCTAssertEqual(files["etc/ssl/certs/ca-certificates.crt"]?.contents, Array("HOST BUNDLE\n".utf8))
        XCTAssertEqual(files["etc/ssl/certs/ca-certificates.crt"]?.mode, 0o644)
    }

    func testAResourceAtAnAddOnsPathWinsOverDetectionAndContradictsARequest() throws {
        let sandbox = try Sandbox(executableContaining: [TimeZoneData.marker, "/etc/ssl/certs"])
        defer { TestSupport.remove(sandbox.directory) }
        let mine = try sandbox.write("my-bundle.crt", Self.certificate)
        var spec = ImageSpec(executablePath: sandbox.executable, name: "app")
        spec.resources = [.init(source: mine, destination: "/etc/ssl/certs/ca-certificates.crt"),
                          .init(source: mine, destination: "//etc/localtime")]
        var detected = spec
        let reports = try ImageAddOns.apply(sandbox.request(), to: &detected)
        XCTAssertEqual(reports.map(\.kind), ["tzdata"], "the user's CA bundle wins; tzdata still comes")
        XCTAssertTrue(detected.generatedFiles.isEmpty, "neither a CA bundle nor the /etc/localtime symlink is generated")
        let conflict = AddOnError.conflictsWithResource(path: CABundle.imagePath, option: "--ca-certificates/--ca-file")
        var requested = spec
        assertThrows(conflict) { try ImageAddOns.apply(sandbox.request(ca: .on), to: &requested) }
        assertThrows(conflict) { try ImageAddOns.apply(sandbox.request(caFiles: [mine]), to: &requested) }
        assertThrows(AddOnError.conflictsWithResource(path: CABundle.imagePath, option: "--ca-file")) {
            try ImageAddOns.apply(sandbox.request(ca: .off, caFiles: [mine]), to: &requested)
        }
        XCTAssertTrue(conflict.description.contains("--ca-file PEM"))
    }

    func testABundleSymlinkThatLeavesTheBundleIsRefused() throws {
        let sandbox = try Sandbox(executableContaining: ["Pkg_T.resources", "Pkg_Linked.resources"])
        defer { TestSupport.remove(sandbox.directory) }
        let manager = FileManager.default
        let bundle = sandbox.directory + "/bin/Pkg_T.resources"
        try manager.createDirectory(atPath: bundle + "/public/css", withIntermediateDirectories: true)
        _ = try sandbox.write("bin/Pkg_T.resources/public/index.html", "hi")
        try manager.createSymbolicLink(atPath: bundle + "/public/home.html", withDestinationPath: "index.html")
        try manager.createSymbolicLink(atPath: bundle + "/public/css/up.html", withDestinationPath: "../index.html")
        // A bundle folder that is a symlink is copied from where it points.
        try manager.createDirectory(atPath: sandbox.directory + "/elsewhere", withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: sandbox.directory + "/bin/Pkg_Linked.resources", withDestinationPath: sandbox.directory + "/elsewhere")
        XCTAssertEqual(try ResourceBundles.referenced(byExecutable: sandbox.executable), [sandbox.directory + "/elsewhere", bundle])

        for (link, target) in [("public/secret", "/etc/hostname"), ("public/css/out", "../../../outside.txt")] {
            try manager.createSymbolicLink(atPath: bundle + "/" + link, withDestinationPath: target)
            assertThrows(AddOnError.bundleSymlinkEscapes(bundle: bundle, link: link, target: target)) {
                try ResourceBundles.referenced(byExecutable: sandbox.executable)
            }
            try manager.removeItem(atPath: bundle + "/" + link)
        }
    }

    func testOtherStacksDefaultBundleFilesLinkToTheBundle() throws {
        let sandbox = try Sandbox(executableContaining: ["/usr/lib/ssl/cert.pem", "/etc/pki/tls/certs/ca-bundle.crt"])
        defer { TestSupport.remove(sandbox.directory) }
        for request in [sandbox.request(), sandbox.request(tz: .off, ca: .on)] {
            let (spec, _) = try sandbox.apply(request)
            XCTAssertTrue(spec.generatedFiles.filter { $0.kind == .symlink(target: CABundle.imagePath) }.map(\.path)
                == ["/etc/pki/tls/certs/ca-bundle.crt", "/usr/lib/ssl/cert.pem"])
        }
        XCTAssertTrue(try sandbox.apply(sandbox.request(ca: .off)).0.generatedFiles.isEmpty)
    }
}
