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
    mutating func absorb(typeFlag: UInt8, data: [UInt8]) -> Bool {
        switch typeFlag {
        case UInt8(ascii: "x"):
            for (key, value) in TarReader.paxRecords(data) {
                if key == "path" { path = value }
                if key == "linkpath" { link = value }
                if key == "size" { size = Int(value) }
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

/// Reads ustar/PAX/GNU-long-name tar archives held in memory (images are small). Used by
/// `containertool inspect` and by the tests that check what the writer produced.
public enum TarReader {
    public static func read(_ archive: [UInt8]) throws -> [TarRecord] {
        var records: [TarRecord] = []
        var offset = 0
        var pending = TarPendingFields()
        while offset + 512 <= archive.count {
            let header = Array(archive[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) { break }
            guard checksumMatches(header) else { throw TarError.malformed("bad header checksum at offset \(offset)") }
            let size = pending.size ?? octal(header[124..<136])
            let dataStart = offset + 512
            guard size >= 0, dataStart + size <= archive.count else { throw TarError.malformed("entry at offset \(offset) runs past the end") }
            let data = Array(archive[dataStart..<dataStart + size])
            offset = dataStart + (size + 511) / 512 * 512
            if pending.absorb(typeFlag: header[156], data: data) { continue }
            records.append(record(header: header, path: pending.path, link: pending.link, time: pending.time, data: data))
            pending = TarPendingFields()
        }
        return records
    }

    /// The entry a header block describes; `path`, `link` and `time` from a preceding PAX or GNU
    /// long-name header win over the block's own fields. `data` is kept for regular files only.
    static func record(header: [UInt8], path: String?, link: String?, time: Int?, data: [UInt8]) -> TarRecord {
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
            mode: UInt32(octal(header[100..<108])),
            uid: octal(header[108..<116]),
            gid: octal(header[116..<124]),
            modificationTime: time ?? octal(header[136..<148]),
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
        return octal(header[148..<156]) == sum
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

    static func octal(_ field: ArraySlice<UInt8>) -> Int {
        var value = 0
        for byte in field {
            if byte == 0 || byte == UInt8(ascii: " ") { if value > 0 { break } else { continue } }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else { break }
            value = value * 8 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func paxRecords(_ data: [UInt8]) -> [(String, String)] {
        var result: [(String, String)] = []
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                  index + length <= data.count else { break }
            let record = data[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                result.append((String(decoding: record[record.startIndex..<equals], as: UTF8.self),
                               String(decoding: record[(equals + 1)...], as: UTF8.self)))
            }
            index += length
        }
        return result
    }
}
