import Foundation
import SBOM

/// Which Debian package owns each linked system file, and its exact version: `dpkg-query -S` and
/// `dpkg-query -W`, as a scanner would read the builder's package database. Nothing here decides;
/// `LinkedComponents` groups the answers.
struct DebianPackageDatabase {
    typealias Owner = DebianOwner

    /// `debian-12` from /etc/os-release (`ID`, `VERSION_ID`); nil on a system without one.
    let distro: String?

    init(osRelease: String = "/etc/os-release") {
        let text = (try? String(contentsOfFile: osRelease, encoding: .utf8)) ?? ""
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = line[line.index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        if let id = fields["ID"], let version = fields["VERSION_ID"] { distro = "\(id)-\(version)" } else { distro = nil }
    }

    /// The owner of each path that dpkg knows (under the path as given, or as resolved: on a
    /// merged-/usr system the linker says `/lib/x86_64-linux-gnu/libc.a`, dpkg knows `/usr/lib/…`).
    func owners(of paths: [String]) -> [String: Owner] {
        guard !paths.isEmpty else { return [:] }
        var candidates: [String: String] = [:]  // the name dpkg is asked about → the linked path
        for path in paths {
            candidates[path] = path
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            if resolved != path { candidates[resolved] = path }
            let parent = URL(fileURLWithPath: path).deletingLastPathComponent().resolvingSymlinksInPath().path + "/" + URL(fileURLWithPath: path).lastPathComponent
            if parent != path { candidates[parent] = path }
        }
        var packageOf: [String: String] = [:]
        for line in Self.query(["-S"] + candidates.keys.sorted()).split(separator: "\n") {
            // `libc6-dev:amd64: /usr/lib/x86_64-linux-gnu/libc.a` (`a, b: path` for a shared path).
            guard let separator = line.range(of: ": /") else { continue }
            let file = "/" + line[separator.upperBound...]
            guard let linked = candidates[String(file)], packageOf[linked] == nil else { continue }
            let package = line[..<separator.lowerBound].split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !package.isEmpty { packageOf[linked] = package }
        }
        let packages = Set(packageOf.values).sorted()
        var details: [String: Owner] = [:]
        for line in Self.query(["-W", "-f", "${binary:Package}\t${Version}\t${Architecture}\n"] + packages).split(separator: "\n") {
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
