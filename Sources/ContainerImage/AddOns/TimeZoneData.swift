import Foundation

/// The IANA time-zone database (`/usr/share/zoneinfo`) as an image add-on: Foundation's
/// `TimeZone(identifier:)` and `DateFormatter` read it, and trap without it.
public enum TimeZoneData {
    /// Where the image (and Foundation) expects it.
    public static let imagePath = "/usr/share/zoneinfo"
    /// In a binary: Foundation's zoneinfo folder prefix. glibc names the folder without the
    /// trailing slash, so a binary that only links glibc's `localtime` does not match.
    public static let marker = "/usr/share/zoneinfo/"
    /// Top-level entries not copied: `right` (leap-second variants, half the size, which nothing
    /// reads by default), `posix` (duplicates), `localtime` (points at the host's /etc/localtime).
    public static let excludedEntries: Set<String> = ["right", "posix", "localtime"]
    /// `/etc/localtime` in the image: UTC, by the same symlink a distribution uses, so
    /// `TimeZone.current` is `Etc/UTC` (as on a Debian host) and `--env TZ=…` still wins.
    public static let localtimePath = "/etc/localtime"
    public static let localtimeTarget = "/usr/share/zoneinfo/Etc/UTC"

    /// The host's zoneinfo folder: `$TZDIR`, else /usr/share/zoneinfo.
    public static func hostDirectory(environment: [String: String]) -> String {
        if let directory = environment["TZDIR"], !directory.isEmpty { return directory }
        return imagePath
    }

    /// One `--resource`-style copy per top-level entry of `directory`, minus the excluded ones,
    /// plus the byte count and file count of what is copied.
    static func resources(from directory: String) throws -> (resources: [ImageSpec.Resource], bytes: Int, files: Int) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory + "/Etc/UTC", isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw AddOnError.noTimeZoneData(directory: directory, detected: false)
        }
        let children: [String]
        do { children = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw ImageBuildError.unreadable(directory)
        }
        var resources: [ImageSpec.Resource] = []
        for child in children where !excludedEntries.contains(child) {
            let source = directory + "/" + child
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: source), target.hasPrefix("/") { continue }
            // Zones link to each other across folders (Antarctica/South_Pole → ../Pacific/Auckland):
            // links may point anywhere inside the zoneinfo tree.
            resources.append(ImageSpec.Resource(source: source, destination: imagePath + "/" + child, symlinkBoundary: imagePath, layer: .addOns))
        }
        let (bytes, files) = HostTree.measure(resources.map(\.source))
        return (resources, bytes, files)
    }
}

/// Sizes of host files and folders, for the build's report.
enum HostTree {
    /// Total bytes and number of regular files under `paths` (symlinks are not followed).
    static func measure(_ paths: [String]) -> (bytes: Int, files: Int) {
        var bytes = 0
        var files = 0
        var pending = paths
        while let path = pending.popLast() {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                bytes += Int(info.st_size)
                files += 1
            case S_IFDIR:
                let children = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                pending += children.map { path + "/" + $0 }
            default:
                continue
            }
        }
        return (bytes, files)
    }
}
