import Foundation

/// What to add to a scratch image around the executable, beyond the binary and the user files:
/// time-zone data, a CA bundle and SwiftPM resource bundles, each on when the binary needs it.
public struct AddOnRequest: Sendable, Equatable {
    public var timeZoneData: AddOnChoice = .auto
    public var caCertificates: AddOnChoice = .auto
    /// PEM files whose certificates are appended to the CA bundle (`--ca-file`).
    public var extraCAFiles: [String] = []
    /// `.auto`: copy the bundles the executable names; `.off`: none (`.on` is the same as `.auto`).
    public var resourceBundles: AddOnChoice = .auto
    /// The host's zoneinfo folder (default: `$TZDIR`, else /usr/share/zoneinfo).
    public var zoneinfoDirectory: String = TimeZoneData.imagePath
    /// The host's CA bundle candidates, first readable one wins.
    public var hostCABundles: [String] = ImageAssembler.hostCABundleCandidates

    public init() {}
}

/// One add-on as it went into the image, for the build's report.
public struct AddOnReport: Sendable, Equatable, Encodable {
    /// `tzdata`, `ca-certificates` or `resource-bundle`.
    public var kind: String
    /// Where it is in the image.
    public var path: String
    /// Bytes of file content it adds (before compression).
    public var size: Int
    /// Where it came from and why it is there.
    public var detail: String
}

public enum ImageAddOns {
    /// Decides which add-ons `spec` gets, adds them to it (as resources and generated files), and
    /// reports each with its size. Detection reads the executable and, for a dynamic one whose
    /// libraries are bundled, those libraries too (libcurl names the CA bundle, not the binary).
    public static func apply(_ request: AddOnRequest, to spec: inout ImageSpec) throws -> [AddOnReport] {
        var reports: [AddOnReport] = []
        if request.resourceBundles != .off {
            for bundle in try ResourceBundles.referenced(byExecutable: spec.executablePath) {
                let destination = ResourceBundles.imagePath(of: bundle)
                spec.resources.append(ImageSpec.Resource(source: bundle, destination: destination))
                let (bytes, files) = HostTree.measure([bundle])
                reports.append(AddOnReport(kind: "resource-bundle", path: destination, size: bytes,
                                           detail: "\(bundle), \(files) file\(files == 1 ? "" : "s"), read through Bundle.module"))
            }
        }

        // A --resource at an add-on's path wins over a detected add-on and contradicts a requested one.
        let destinations = spec.resources.map(\.destination)
        var request = request
        request.timeZoneData = try UserProvidedPaths.effectiveChoice(
            request.timeZoneData, path: TimeZoneData.imagePath, option: "--tzdata", resourceDestinations: destinations)
        request.caCertificates = try UserProvidedPaths.effectiveChoice(
            request.caCertificates, path: CABundle.imagePath, option: "--ca-certificates/--ca-file", resourceDestinations: destinations,
            appending: !request.extraCAFiles.isEmpty)
        if request.caCertificates == .off && !request.extraCAFiles.isEmpty && UserProvidedPaths.provides(CABundle.imagePath, destinations) {
            throw AddOnError.conflictsWithResource(path: CABundle.imagePath, option: "--ca-file")
        }

        // (Also when the CA bundle is asked for: the markers decide the other stacks' symlinks to it.)
        let needsScan = request.timeZoneData == .auto || request.caCertificates != .off || !request.extraCAFiles.isEmpty
        let found = needsScan ? try scan(spec, for: [TimeZoneData.marker] + CABundle.markers) : [:]

        let timeZoneDetected = found[TimeZoneData.marker] != nil
        if request.timeZoneData == .on || (request.timeZoneData == .auto && timeZoneDetected) {
            let directory = request.zoneinfoDirectory
            let copied: (resources: [ImageSpec.Resource], bytes: Int, files: Int)
            do { copied = try TimeZoneData.resources(from: directory) } catch AddOnError.noTimeZoneData {
                throw AddOnError.noTimeZoneData(directory: directory, detected: request.timeZoneData == .auto)
            }
            spec.resources += copied.resources
            if !UserProvidedPaths.provides(TimeZoneData.localtimePath, destinations) {
                spec.generatedFiles.append(TarEntry(path: TimeZoneData.localtimePath, kind: .symlink(target: TimeZoneData.localtimeTarget), mode: 0o777))
            }
            let why = request.timeZoneData == .on ? "--tzdata" : "\(found[TimeZoneData.marker] ?? "the binary") contains \(TimeZoneData.marker)"
            reports.append(AddOnReport(kind: "tzdata", path: TimeZoneData.imagePath, size: copied.bytes,
                                       detail: "\(directory), \(copied.files) zones (\(why)); /etc/localtime is UTC"))
        }

        let caMarker = CABundle.markers.first { found[$0] != nil }
        let caDetected = caMarker != nil
        let useHostBundle = request.caCertificates == .on || (request.caCertificates == .auto && (caDetected || !request.extraCAFiles.isEmpty))
        if useHostBundle || !request.extraCAFiles.isEmpty {
            var base: [UInt8]?
            var parts: [String] = []
            if useHostBundle {
                guard let host = request.hostCABundles.first(where: { FileManager.default.isReadableFile(atPath: $0) }),
                      let bytes = FileManager.default.contents(atPath: host) else {
                    throw AddOnError.noCABundle(searched: request.hostCABundles, detected: request.caCertificates == .auto && caDetected)
                }
                base = Array(bytes)
                let why = request.caCertificates == .on ? "--ca-certificates"
                    : caMarker.map { "\(found[$0]!) names \($0)" } ?? "--ca-file"
                parts.append("\(host) (\(why))")
            }
            var extra: [[UInt8]] = []
            for file in request.extraCAFiles {
                let (bytes, count) = try CABundle.certificates(inPEMFile: file)
                extra.append(bytes)
                parts.append("\(count) certificate\(count == 1 ? "" : "s") from \(file)")
            }
            let bundle = CABundle.combine(base: base, extra: extra)
            spec.generatedFiles.append(.file(CABundle.imagePath, bundle))
            for alias in CABundle.aliases where found[alias.marker] != nil && !UserProvidedPaths.provides(alias.path, destinations) {
                spec.generatedFiles.append(TarEntry(path: alias.path, kind: .symlink(target: CABundle.imagePath), mode: 0o777))
                parts.append("\(alias.path) -> it")
            }
            reports.append(AddOnReport(kind: "ca-certificates", path: CABundle.imagePath, size: bundle.count, detail: parts.joined(separator: " + ")))
        }
        return reports
    }

    /// The markers found in the executable, or in any library bundled with a dynamic one, each with
    /// the name of the first file that contains it.
    static func scan(_ spec: ImageSpec, for markers: [String]) throws -> [String: String] {
        var files = [spec.executablePath]
        if spec.bundleSharedLibraries, let interpreter = try ImageAssembler.inspectExecutable(spec.executablePath).interpreter {
            files += try ELFExecutable.sharedLibraryClosure(path: spec.executablePath, interpreter: interpreter)
        }
        var found: [String: String] = [:]
        for file in files {
            for marker in try BinaryStrings.find(markers, in: file) where found[marker] == nil {
                found[marker] = file == spec.executablePath ? "the binary" : (file as NSString).lastPathComponent
            }
        }
        return found
    }
}
