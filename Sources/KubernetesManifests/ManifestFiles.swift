import Foundation

/// The manifest files behind a command-line path, in the order they are resolved.
public enum ManifestFiles {
    /// A manifest file larger than this is refused (a mistake, not a manifest).
    public static let sizeLimit = 64 << 20
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    /// A file is taken as it is (any name). A folder is walked recursively in byte order of names:
    /// files ending in .yaml, .yml or .json are taken; hidden entries (.git, …) are skipped; a
    /// symbolic link is followed to a file, never into a folder (so no cycles).
    public static func collect(_ path: String) throws(ManifestError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file or folder")
        }
        guard isDirectory.boolValue else { return [path] }
        var files: [String] = []
        try walk(path, into: &files)
        guard !files.isEmpty else { throw .noManifests(path: path) }
        return files
    }

    private static func walk(_ folder: String, into files: inout [String]) throws(ManifestError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw .unreadable(path: folder, reason: (error as NSError).localizedDescription)
        }
        for name in names.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where !name.hasPrefix(".") {
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            let isLink = (status.st_mode & S_IFMT) == S_IFLNK
            if isLink, stat(path, &status) != 0 { continue }  // a dangling link
            switch status.st_mode & S_IFMT {
            case S_IFDIR where !isLink:
                try walk(path, into: &files)
            case S_IFREG where extensions.contains((name as NSString).pathExtension.lowercased()):
                files.append(path)
            default:
                break
            }
        }
    }

    /// Reads one manifest file, refusing files over `sizeLimit`.
    public static func read(_ path: String) throws(ManifestError) -> [UInt8] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        if let size = attributes?[.size] as? Int, size > sizeLimit {
            throw .tooLarge(path: path, bytes: size, limit: sizeLimit)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "not a readable file")
        }
        guard data.count <= sizeLimit else { throw .tooLarge(path: path, bytes: data.count, limit: sizeLimit) }
        let bytes = [UInt8](data)
        // YAML and Kubernetes read UTF-8 only (kubectl refuses other bytes); refusing here also means the
        // resolved output, which copies the file byte for byte, is always valid UTF-8.
        if let offset = firstInvalidUTF8(bytes) {
            throw .notUTF8(file: path, line: bytes[..<offset].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 })
        }
        return bytes
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
