import Foundation
import SBOM

/// Which Debian package owns each linked system file, and its exact version: `dpkg-query -S` and
/// `dpkg-query -W`, as a scanner would read the builder's package database. Nothing here decides;
/// `LinkedComponents` groups the answers.
struct DebianPackageDatabase {
    typealias Owner = DebianOwner

    /// `debian-12` from os-release (`ID`, `VERSION_ID`); nil on a system without one.
    let distro: String?
    /// Answers recorded in a builder (the rendered Dockerfile's `link-trace` stage); nil: ask this
    /// machine's dpkg.
    private let recorded: Recorded?

    /// What a builder's dpkg said: every `dpkg-query -S '*'` line and every package's version.
    private struct Recorded {
        var searchOutput: String
        var versionOutput: String
    }

    /// Files a recorded database may not exceed (a Swift builder's `dpkg-query -S '*'` is a few MB).
    static let recordedSizeLimit = 256 << 20

    init(osRelease: String = "/etc/os-release") {
        distro = Self.distro(fromOSRelease: (try? String(contentsOfFile: osRelease, encoding: .utf8)) ?? "")
        recorded = nil
    }

    /// The builder's database next to a link trace (`PREFIX.dpkg-owners`, `PREFIX.dpkg-versions`,
    /// `PREFIX.os-release`, as the rendered Dockerfile's `link-trace` stage writes them); nil when
    /// the trace has none (it was made on this machine).
    init?(recordedAt prefix: String) throws {
        let owners = prefix + ".dpkg-owners", versions = prefix + ".dpkg-versions"
        guard FileManager.default.fileExists(atPath: owners) || FileManager.default.fileExists(atPath: versions) else { return nil }
        func read(_ path: String) throws -> String {
            // Checked before reading: a FIFO would hang, a link to /dev/zero or a huge file fill memory.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { throw RecordedDatabaseError(path: path, problem: "is missing") }
            guard attributes[.type] as? FileAttributeType == .typeRegular else { throw RecordedDatabaseError(path: path, problem: "is not a regular file") }
            guard (attributes[.size] as? Int ?? 0) <= Self.recordedSizeLimit else { throw RecordedDatabaseError(path: path, problem: "is over \(Self.recordedSizeLimit >> 20) MiB") }
            guard let data = FileManager.default.contents(atPath: path) else { throw RecordedDatabaseError(path: path, problem: "cannot be read") }
            return String(decoding: data, as: UTF8.self)
        }
        recorded = Recorded(searchOutput: try read(owners), versionOutput: try read(versions))
        distro = Self.distro(fromOSRelease: (try? read(prefix + ".os-release")) ?? "")
    }

    /// A recorded package database that cannot be used.
    struct RecordedDatabaseError: Error, CustomStringConvertible {
        var path: String
        var problem: String
        var description: String {
            "the builder's package database \(path) \(problem); export the whole link-trace stage again (docker build --target link-trace)"
        }
    }

    private static func distro(fromOSRelease text: String) -> String? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = line[line.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        if let id = fields["ID"], let version = fields["VERSION_ID"] { return "\(id)-\(version)" }
        return nil
    }

    /// The owner of each path that dpkg knows (under the path as given, or as resolved: on a
    /// merged-/usr system the linker says `/lib/x86_64-linux-gnu/libc.a`, dpkg knows `/usr/lib/…`).
    /// A recorded database is another machine's, so paths are resolved by their names alone.
    func owners(of paths: [String]) -> [String: Owner] {
        guard !paths.isEmpty else { return [:] }
        var candidates: [String: String] = [:]  // the name dpkg is asked about → the linked path
        for path in paths {
            for candidate in (recorded == nil ? Self.localNames(of: path) : Self.lexicalNames(of: path)) where candidates[candidate] == nil {
                candidates[candidate] = path
            }
        }
        // The first name that dpkg knows wins: the file the path resolves to (`libcurl.so` is a
        // -dev package's link to the runtime package's `libcurl.so.4.8.0`), then the path as given.
        var ownerOfName: [String: String] = [:]
        let search = recorded?.searchOutput ?? Self.query(["-S"] + candidates.keys.sorted())
        for line in search.split(separator: "\n") {
            // `libc6-dev:amd64: /usr/lib/x86_64-linux-gnu/libc.a` (`a, b: path` for a shared path);
            // `diversion by PKG from: /path` lines name no owner.
            guard !line.hasPrefix("diversion by "), let separator = line.range(of: ": /") else { continue }
            let file = "/" + line[separator.upperBound...]
            guard candidates[String(file)] != nil, ownerOfName[String(file)] == nil else { continue }
            let package = line[..<separator.lowerBound].split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !package.isEmpty { ownerOfName[String(file)] = package }
        }
        var packageOf: [String: String] = [:]
        for path in paths {
            let names = recorded == nil ? Self.localNames(of: path) : Self.lexicalNames(of: path)
            if let package = names.lazy.compactMap({ ownerOfName[$0] }).first { packageOf[path] = package }
        }
        let packages = Set(packageOf.values).sorted()
        var details: [String: Owner] = [:]
        let versions = recorded?.versionOutput ?? Self.query(["-W", "-f", "${binary:Package}\t${Version}\t${Architecture}\n"] + packages)
        for line in versions.split(separator: "\n") {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count == 3 else { continue }
            let name = fields[0].split(separator: ":").first.map(String.init) ?? fields[0]
            let owner = Owner(package: name, version: fields[1], architecture: fields[2])
            details[fields[0]] = owner
            details[name] = owner
            details["\(name):\(fields[2])"] = owner
        }
        return packageOf.compactMapValues { details[$0] }
    }

    /// The path as this machine resolves it (and that file's merged-/usr twin: bookworm's zlib1g
    /// lists `/lib/…/libz.so.1.2.13`, the `libz.so` link resolves to `/usr/lib/…`), as given, and
    /// with only its folder resolved.
    private static func localNames(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        return lexicalNames(of: url.resolvingSymlinksInPath().path) + [path,
                url.deletingLastPathComponent().resolvingSymlinksInPath().path + "/" + url.lastPathComponent]
    }

    /// The path with `..` removed by name, and its merged-/usr twin (`/lib/…` and `/usr/lib/…` are
    /// one file on a merged-/usr system; dpkg lists it under the name its package installs).
    static func lexicalNames(of path: String) -> [String] {
        let clean = URL(fileURLWithPath: path).standardized.path
        var names = [path, clean]
        for top in ["/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/"] {
            if clean.hasPrefix(top) { names.append("/usr" + clean) }
            if clean.hasPrefix("/usr" + top) { names.append(String(clean.dropFirst(4))) }
        }
        return names
    }

    /// `dpkg-query ARGS`'s standard output; empty when dpkg is not there (not Debian).
    private static func query(_ arguments: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["dpkg-query"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
