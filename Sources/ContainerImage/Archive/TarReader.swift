/// One entry read back from a tar archive.
public struct TarRecord: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory, symlink, other(UInt8) }
    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var uid: Int
    public var gid: Int
    public var modificationTime: Int
    public var linkName: String
    public var userName: String
    public var groupName: String
    public var contents: [UInt8]
}

/// What PAX (`x`) and GNU long-name (`L`, `K`) headers say about the entry that follows them.
struct TarPendingFields {
    var path: String?
    var link: String?
    var size: Int?
    var time: Int?

    /// Takes in an extended header of type `typeFlag` with its `data`; false for an entry's own header.
    /// Global PAX headers (`g`) are consumed and ignored.
    mutating func absorb(typeFlag: UInt8, data: [UInt8]) throws -> Bool {
        switch typeFlag {
        case UInt8(ascii: "x"):
            for (key, value) in try TarFields.paxRecords(data) {
                if key == "path" { path = value }
                if key == "linkpath" { link = value }
                if key == "size" { size = try TarFields.paxSize(value) }
                if key == "mtime" { time = Int(value.split(separator: ".").first ?? "") }
            }
        case UInt8(ascii: "L"): path = TarReader.string(data[...])
        case UInt8(ascii: "K"): link = TarReader.string(data[...])
        case UInt8(ascii: "g"): break
        default: return false
        }
        return true
    }

    /// Whether `typeFlag` is an extended header whose data must be read (not skipped).
    static func isExtended(_ typeFlag: UInt8) -> Bool { "xLKg".utf8.contains(typeFlag) }
}

/// Reads ustar/PAX/GNU-long-name tar archives held in memory, through the same `TarHeaderStream`
/// (and so the same field parsing) as a base's layers. Used by the tests that check what the
/// writer produced.
public enum TarReader {
    public static func read(_ archive: [UInt8]) throws -> [TarRecord] {
        var records: [TarRecord] = []
        let stream = TarHeaderStream(readingData: { record in
            records.append(record)
            guard record.kind == .file else { return nil }
            return { records[records.count - 1].contents.append(contentsOf: $0) }
        })
        try archive.withUnsafeBytes { try stream.write($0) }
        try stream.finish()
        return records
    }

    /// The entry a header block describes; `path`, `link` and `time` from a preceding PAX or GNU
    /// long-name header win over the block's own fields. `data` is kept for regular files only.
    static func record(header: [UInt8], path: String?, link: String?, time: Int?, data: [UInt8]) throws -> TarRecord {
        let kind: TarRecord.Kind
        switch header[156] {
        case UInt8(ascii: "0"), 0: kind = .file
        case UInt8(ascii: "5"): kind = .directory
        case UInt8(ascii: "2"): kind = .symlink
        default: kind = .other(header[156])
        }
        return TarRecord(
            path: path ?? headerPath(header),
            kind: kind,
            // Mode bits past 32 (base-256 garbage) are dropped, as a file mode has no more.
            mode: UInt32(truncatingIfNeeded: try TarFields.number(header[100..<108], name: "mode")),
            uid: try TarFields.number(header[108..<116], name: "uid"),
            gid: try TarFields.number(header[116..<124], name: "gid"),
            modificationTime: try time ?? TarFields.number(header[136..<148], name: "mtime"),
            linkName: link ?? string(header[157..<257]),
            userName: string(header[265..<297]),
            groupName: string(header[297..<329]),
            contents: kind == .file ? data : []
        )
    }

    /// Whether a header block's checksum field matches its bytes.
    static func checksumMatches(_ header: [UInt8]) -> Bool {
        // The checksum field counts as eight spaces. A plain loop over the bytes: a base's layers have
        // tens of thousands of headers, and `enumerated()` is slow in debug builds.
        let sum = header.withUnsafeBufferPointer { bytes in
            var sum = 8 * 32
            for index in 0..<bytes.count where index < 148 || index >= 156 { sum += Int(bytes[index]) }
            return sum
        }
        return (try? TarFields.number(header[148..<156], name: "checksum")) == sum
    }

    /// The ustar name, with the prefix field when present.
    static func headerPath(_ header: [UInt8]) -> String {
        let path = string(header[0..<100])
        let prefix = string(header[345..<500])
        return header[257..<262].elementsEqual("ustar".utf8) && !prefix.isEmpty ? prefix + "/" + path : path
    }

    static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
}
