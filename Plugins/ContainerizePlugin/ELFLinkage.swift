import Foundation

/// Reads an ELF executable's program headers to tell whether it needs a dynamic loader.
/// A binary with a `PT_INTERP` header cannot start on `scratch`, where there is no loader.
enum ELFLinkage {
    case fullyStatic
    case dynamic(interpreter: String)
    case notELF

    static func of(_ url: URL) throws -> ELFLinkage {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        // ELF64, little-endian: magic, class 2, data 1.
        guard data.count >= 64, data.prefix(4).elementsEqual([0x7F, 0x45, 0x4C, 0x46]),
              data[4] == 2, data[5] == 1 else { return .notELF }
        let headerTableOffset = Int(data.littleEndian(UInt64.self, at: 32))
        let headerSize = Int(data.littleEndian(UInt16.self, at: 54))
        let headerCount = Int(data.littleEndian(UInt16.self, at: 56))
        let interpreterType: UInt32 = 3  // PT_INTERP
        for index in 0..<headerCount {
            let header = headerTableOffset + index * headerSize
            guard header + 40 <= data.count else { return .notELF }
            guard data.littleEndian(UInt32.self, at: header) == interpreterType else { continue }
            let offset = Int(data.littleEndian(UInt64.self, at: header + 8))
            let size = Int(data.littleEndian(UInt64.self, at: header + 32))
            guard offset + size <= data.count else { return .notELF }
            let bytes = data[offset..<offset + size].prefix { $0 != 0 }
            return .dynamic(interpreter: String(decoding: bytes, as: UTF8.self))
        }
        return .fullyStatic
    }
}

extension Data {
    fileprivate func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var value: T = 0
        for byteIndex in (0..<MemoryLayout<T>.size).reversed() {
            value = value << 8 | T(self[startIndex + offset + byteIndex])
        }
        return value
    }
}
