import OCIModel
import Foundation

/// One path of an image's merged file system, as `containertool inspect --files` lists it.
public struct ImageFile: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case file, directory, symlink, hardlink, other
    }

    /// Absolute, as a container sees it (`/etc/passwd`).
    public var path: String
    public var kind: Kind
    /// Permission bits in octal (`0755`), set-id and sticky bits included.
    public var mode: String
    public var uid: Int
    public var gid: Int
    /// A regular file's size and SHA-256 digest.
    public var size: Int?
    public var digest: String?
    /// A symbolic or hard link's target.
    public var target: String?
}

extension BaseImage {
    /// The image's merged file system (every layer in order, whiteouts applied, the diff_ids checked),
    /// sorted by path, each regular file hashed while streamed: one pass, constant memory per file.
    public func files() throws -> [ImageFile] {
        var contents: [String: (size: Int, hasher: SHA256)] = [:]
        var links: [String: String] = [:]
        var current: (path: String, size: Int, hasher: SHA256)?
        let tree = try mergedTree(
            reading: { record, path in
                switch record.kind {
                case .file:
                    links[path] = nil  // a file in a later layer replaces a hard link below it
                    current = (path, 0, SHA256())
                    return { bytes in
                        current?.size += bytes.count
                        current?.hasher.update(bytes)
                    }
                case .other(UInt8(ascii: "1")):
                    links[path] = "/" + (TarEntryName.cleanedLinkTarget(record.linkName) ?? record.linkName)
                    contents[path] = nil
                default:
                    contents[path] = nil
                    links[path] = nil
                }
                return nil
            },
            entryEnded: {
                guard let ended = current else { return }
                contents[ended.path] = (ended.size, ended.hasher)
                current = nil
            })
        return tree.keys.sorted().map { path in
            let entry = tree[path]!
            var file = ImageFile(path: "/" + path, kind: .other, mode: "0" + String(entry.mode & 0o7777, radix: 8).leftPadded(to: 3),
                                 uid: entry.uid, gid: entry.gid)
            switch entry.kind {
            case .directory: file.kind = .directory
            case .symlink(let target):
                file.kind = .symlink
                file.target = target
            case .file:
                if let target = links[path] {
                    file.kind = .hardlink
                    file.target = target
                } else if var content = contents[path] {
                    file.kind = .file
                    file.size = content.size
                    file.digest = "sha256:" + content.hasher.finalize().hexString
                }
            }
            return file
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
