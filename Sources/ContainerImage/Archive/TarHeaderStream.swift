/// Reads the entries of a tar stream fed in chunks of any size, skipping the files' data: a base
/// image's file tree is read from its layers without holding a layer (or a file) in memory. Only
/// extended headers (PAX, GNU long names) are collected, up to `maxExtendedHeader` bytes each.
final class TarHeaderStream {
    static let maxExtendedHeader = 1 << 20
    private let onRecord: (TarRecord) throws -> ((UnsafeRawBufferPointer) throws -> Void)?
    private var header: [UInt8] = []
    private var extended: (header: [UInt8], size: Int)?
    private var extendedData: [UInt8] = []
    private var skip = 0
    /// Of `skip`, the bytes that are the entry's data (the rest is padding).
    private var data = 0
    /// Where the current entry's data goes, when `onRecord` asked for it.
    private var dataSink: ((UnsafeRawBufferPointer) throws -> Void)?
    private var pending = TarPendingFields()
    private var offset = 0
    private var ended = false

    /// `onRecord` is called for each entry, in order, with empty `contents`.
    convenience init(onRecord: @escaping (TarRecord) throws -> Void) {
        self.init(readingData: { try onRecord($0); return nil })
    }

    /// `onRecord` may return a sink that is given the entry's data, in chunks, before the next entry.
    init(readingData onRecord: @escaping (TarRecord) throws -> ((UnsafeRawBufferPointer) throws -> Void)?) {
        self.onRecord = onRecord
    }

    func write(_ input: UnsafeRawBufferPointer) throws {
        var index = 0
        while index < input.count, !ended {
            if skip > 0 {
                let count = min(skip, input.count - index)
                if let dataSink, data > 0 { try dataSink(UnsafeRawBufferPointer(rebasing: input[index..<index + min(count, data)])) }
                data = max(0, data - count)
                (skip, index, offset) = (skip - count, index + count, offset + count)
            } else if let (block, size) = extended, extendedData.count < size {
                let count = min(size - extendedData.count, input.count - index)
                extendedData.append(contentsOf: input[index..<index + count])
                (index, offset) = (index + count, offset + count)
                if extendedData.count == size {
                    _ = try pending.absorb(typeFlag: block[156], data: extendedData)
                    (extended, extendedData, skip) = (nil, [], try TarFields.paddedSize(size) - size)
                }
            } else {
                let count = min(512 - header.count, input.count - index)
                header.append(contentsOf: input[index..<index + count])
                (index, offset) = (index + count, offset + count)
                if header.count == 512 { try takeHeader() }
            }
        }
    }

    /// Checks that the stream did not stop inside an entry.
    func finish() throws {
        guard ended || (header.isEmpty && skip == 0 && extended == nil) else {
            throw TarError.malformed("the archive ends inside an entry (at byte \(offset))")
        }
    }

    private func takeHeader() throws {
        let block = header
        header = []
        if block.allSatisfy({ $0 == 0 }) { ended = true; return }
        let at = offset - 512
        guard TarReader.checksumMatches(block) else { throw TarError.malformed("bad header checksum at byte \(at)") }
        let typeFlag = block[156]
        do { try takeHeader(block, typeFlag: typeFlag) } catch TarError.malformed(let detail) {
            throw TarError.malformed("\(detail), in the header at byte \(at)")
        }
    }

    private func takeHeader(_ block: [UInt8], typeFlag: UInt8) throws {
        let headerSize = try TarFields.number(block[124..<136], name: "size")
        let size = TarPendingFields.isExtended(typeFlag) ? headerSize : pending.size ?? headerSize
        if TarPendingFields.isExtended(typeFlag) {
            guard size <= Self.maxExtendedHeader else { throw TarError.malformed("an extended header of \(size) bytes") }
            if size == 0 { _ = try pending.absorb(typeFlag: typeFlag, data: []) } else { (extended, extendedData) = ((block, size), []) }
            return
        }
        let record = try TarReader.record(header: block, path: pending.path, link: pending.link, time: pending.time, data: [])
        let padded = try TarFields.paddedSize(size)
        dataSink = try onRecord(record)
        pending = TarPendingFields()
        // As Go's archive/tar (and so docker) reads them, links, devices, directories and FIFOs have no data.
        data = Self.headerOnly.contains(typeFlag) ? 0 : size
        skip = data == 0 ? 0 : padded
    }

    private static let headerOnly: Set<UInt8> = Set("123456".utf8)
}
