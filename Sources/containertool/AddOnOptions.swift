import ContainerImage
import Foundation

/// The add-on options of `containertool build` and `containertool dockerfile`: time-zone data, the
/// CA bundle and resource bundles, each on when the binary needs it unless the user says otherwise.
enum AddOnOptions {
    static let valueOptions: Set<String> = ["--ca-file"]
    static let flags: Set<String> = ["--tzdata", "--no-tzdata", "--ca-certificates", "--no-ca-certificates", "--no-resource-bundles"]

    static let usage = """
          --tzdata / --no-tzdata     time-zone data at /usr/share/zoneinfo and /etc/localtime = UTC
                                     (default: on when the binary contains Foundation's zoneinfo path)
          --ca-certificates / --no-ca-certificates
                                     the host CA bundle at /etc/ssl/certs/ca-certificates.crt (default:
                                     on when the binary or a bundled library names a CA bundle path)
          --ca-file PEM              append this file's certificates to the CA bundle (repeatable; with
                                     --no-ca-certificates the bundle holds only these)
          --no-resource-bundles      skip the SwiftPM resource bundles (<package>_<target>.resources
                                     beside the executable that it names) otherwise copied to /
        """

    /// The request the flags describe; `TZDIR` in `environment` moves the host zoneinfo folder.
    static func request(_ parsed: CommandLineParser.Result, environment: [String: String]) throws -> AddOnRequest {
        var request = AddOnRequest()
        request.timeZoneData = try choice(parsed, on: "--tzdata", off: "--no-tzdata")
        request.caCertificates = try choice(parsed, on: "--ca-certificates", off: "--no-ca-certificates")
        request.extraCAFiles = parsed.all("--ca-file").map(BuildCommand.absolutePath)
        request.resourceBundles = parsed.has("--no-resource-bundles") ? .off : .auto
        request.zoneinfoDirectory = TimeZoneData.hostDirectory(environment: environment)
        return request
    }

    static func choice(_ parsed: CommandLineParser.Result, on: String, off: String) throws -> AddOnChoice {
        switch (parsed.has(on), parsed.has(off)) {
        case (true, true): throw UsageError("\(on) and \(off) exclude each other; give one")
        case (true, false): return .on
        case (false, true): return .off
        case (false, false): return .auto
        }
    }

    /// One progress line per add-on, with its size.
    static func printReports(_ reports: [AddOnReport]) {
        for report in reports {
            printError("containertool: add-on \(report.kind) \(report.path) (\(report.size) bytes): \(report.detail)")
        }
    }
}
