internal import CPOSIX

/// A growable byte buffer on malloc'd memory: bytes are appended at the write end and
/// consumed from the read end. Memory is only held while bytes are buffered
/// (`releaseIfEmpty`), so idle connections cost no buffer space.
struct ByteBuffer: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer? = nil
    private(set) var capacity = 0
    private(set) var readerIndex = 0
    private(set) var writerIndex = 0

    init() {}

    init(capacity: Int) {
        base = malloc(capacity)
        self.capacity = capacity
    }

    deinit { free(base) }

    var readableCount: Int { writerIndex - readerIndex }
    var isEmpty: Bool { writerIndex == readerIndex }

    var readableBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.map { UnsafeRawPointer($0 + readerIndex) }, count: readableCount)
    }

    var writableCount: Int { capacity - writerIndex }
    var writablePointer: UnsafeMutableRawPointer? { base.map { $0 + writerIndex } }

    /// Makes room for at least `minimum` more bytes (compacting first, then growing), without
    /// growing past `maximumCapacity`. Returns false when that is impossible.
    mutating func reserveWritable(_ minimum: Int, maximumCapacity: Int = Int.max) -> Bool {
        if writableCount >= minimum { return true }
        if readerIndex > 0 {
            let count = readableCount
            if count > 0, let base { memmove(base, base + readerIndex, count) }
            readerIndex = 0
            writerIndex = count
            if writableCount >= minimum { return true }
        }
        var newCapacity = capacity == 0 ? 4096 : capacity * 2
        while newCapacity - writerIndex < minimum { newCapacity *= 2 }
        if newCapacity > maximumCapacity { newCapacity = maximumCapacity }
        if newCapacity - writerIndex < minimum { return false }
        guard let grown = realloc(base, newCapacity) else { return false }
        base = grown
        capacity = newCapacity
        return true
    }

    mutating func didWrite(_ count: Int) { writerIndex += count }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, reserveWritable(bytes.count), let target = writablePointer else { return }
        memcpy(target, bytes.baseAddress!, bytes.count)
        writerIndex += bytes.count
    }

    mutating func consume(_ count: Int) {
        readerIndex += count
        if readerIndex == writerIndex {
            readerIndex = 0
            writerIndex = 0
        }
    }

    mutating func clear() {
        readerIndex = 0
        writerIndex = 0
    }

    /// Frees the memory when nothing is buffered.
    mutating func releaseIfEmpty() {
        guard isEmpty, base != nil else { return }
        free(base)
        base = nil
        capacity = 0
        readerIndex = 0
        writerIndex = 0
    }
}

typealias OutputBuffer = ByteBuffer
