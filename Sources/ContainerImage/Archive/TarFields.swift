/// The fields of a tar header and the records of a PAX header, parsed as Go's `archive/tar`
/// (and so docker, containerd and podman) parses them: octal or GNU base-256 numbers, `LEN
/// key=value\n` records. Every step is bounds- and overflow-checked: whatever a header holds, the
/// result is a value or a thrown `TarError`, never a trap.
enum TarFields {
    /// A numeric field: base-256 when its first byte has the high bit set (GNU, for values past the
    /// octal range), else octal padded with NULs or spaces. Throws for a bad digit, a negative
    /// base-256 value or one past `Int.max`.
    static func number(_ field: ArraySlice<UInt8>, name: String) throws -> Int {
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            guard first & 0x40 == 0 else { throw TarError.malformed("a negative \(name) field") }
            var value = Int(first & 0x3f)
            for byte in field.dropFirst() {
                let (shifted, overflow) = value.multipliedReportingOverflow(by: 256)
                guard !overflow else { throw TarError.malformed("a \(name) field past the largest integer") }
                value = shifted | Int(byte)
            }
            return value
        }
        // Go: trim NULs and spaces at both ends, stop at the first NUL, then every byte must be a digit.
        let isPadding: (UInt8) -> Bool = { $0 == 0 || $0 == UInt8(ascii: " ") }
        var digits = field.drop(while: isPadding)
        while let last = digits.last, isPadding(last) { digits = digits.dropLast() }
        digits = digits.prefix { $0 != 0 }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7") else {
                throw TarError.malformed("the \(name) field holds '\(TarReader.string(field).prefix(12))', not an octal number")
            }
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 8)
            guard !overflow else { throw TarError.malformed("a \(name) field past the largest integer") }
            value = shifted + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The records of a PAX extended header. Each must be `LEN key=value\n` with LEN its own length
    /// in bytes, inside `data`, as Go requires; anything else is refused (Go: `ErrHeader`).
    static func paxRecords(_ data: [UInt8]) throws -> [(String, String)] {
        var result: [(String, String)] = []
        var index = 0
        while index < data.count {
            guard let space = data[index...].firstIndex(of: UInt8(ascii: " ")), space - index <= 20,
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)),
                  length >= 5, length <= data.count - index else {
                throw TarError.malformed("a PAX record at byte \(index) of its header has no valid length")
            }
            let end = index + length  // no overflow: length <= data.count - index
            guard end - 1 > space, data[end - 1] == UInt8(ascii: "\n") else {
                throw TarError.malformed("a PAX record at byte \(index) of its header does not end where its length says")
            }
            let record = data[(space + 1)..<(end - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")), equals > record.startIndex else {
                throw TarError.malformed("a PAX record at byte \(index) of its header has no key=value")
            }
            result.append((String(decoding: record[record.startIndex..<equals], as: UTF8.self),
                           String(decoding: record[(equals + 1)...], as: UTF8.self)))
            index = end
        }
        return result
    }

    /// A PAX `size` value: a decimal number from 0 to `Int.max`.
    static func paxSize(_ value: String) throws -> Int {
        guard let size = Int(value), size >= 0 else { throw TarError.malformed("a PAX size of '\(value.prefix(24))'") }
        return size
    }

    /// An entry's data plus the padding to the next 512-byte block, or a thrown error when that
    /// does not fit an `Int` (a header claiming about 8 EiB).
    static func paddedSize(_ size: Int) throws -> Int {
        let (padded, overflow) = size.addingReportingOverflow((512 - size % 512) % 512)
        guard !overflow else { throw TarError.malformed("an entry of \(size) bytes, more than any archive holds") }
        return padded
    }
}
