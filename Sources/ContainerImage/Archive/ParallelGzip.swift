import OCIModel
import CZlib
import Foundation

/// Gzip on several cores, with output that does not depend on how many: the input is cut into
/// fixed 1 MiB blocks, each compressed on a worker thread as a raw deflate stream primed with the
/// previous block's last 32 KiB and ended with a sync flush (the last with `Z_FINISH`); in order,
/// the blocks form one gzip member (pigz's method). The bytes depend only on the input, the
/// level and the zlib version. A few blocks are in flight at a time, so memory stays constant.
public final class ParallelGzipCompressor {
    static let blockSize = 1 << 20
    static let dictionarySize = 32 << 10

    private let level: Int32
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let pool: DeflateWorkers
    private var block: [UInt8] = []
    private var dictionary: [UInt8] = []
    private var crc: uLong = crc32(0, nil, 0)
    private var total: UInt64 = 0
    private var submitted = 0
    private var emitted = 0
    private let maximumInFlight: Int
    private var finished = false

    /// `threads` workers (default: the usable cores, at most 4); `sink` gets the gzip bytes in order.
    public init(level: Int32 = GzipCompressor.defaultLevel, threads: Int = min(4, ProcessInfo.processInfo.activeProcessorCount),
                sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.level = level
        self.sink = sink
        pool = DeflateWorkers(threads: max(1, threads))
        maximumInFlight = max(2, threads + 2)
        block.reserveCapacity(Self.blockSize)
        // The gzip header: no name, no time, XFL as zlib sets it, OS 255 ("unknown").
        let extraFlags: UInt8 = level == 9 ? 2 : level == 1 ? 4 : 0
        try emit([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 255])
    }

    deinit { pool.stop() }

    public func write(_ input: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < input.count {
            let take = min(Self.blockSize - block.count, input.count - offset)
            block.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[offset..<offset + take]))
            offset += take
            if block.count == Self.blockSize { try submit(isLast: false) }
        }
    }

    /// Compresses what is left and writes the trailer (CRC-32 and size).
    public func finish() throws {
        guard !finished else { return }
        finished = true
        try submit(isLast: true)
        while emitted < submitted { try emitNext(waiting: true) }
        pool.stop()
        var trailer = [UInt8]()
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: UInt64(crc) >> UInt64(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: total >> UInt64(shift))) }
        try emit(trailer)
    }

    private func submit(isLast: Bool) throws {
        crc = block.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        total &+= UInt64(block.count)
        let job = DeflateJob(index: submitted, input: block, dictionary: dictionary, level: level, isLast: isLast)
        if block.count >= Self.dictionarySize {
            dictionary = Array(block[(block.count - Self.dictionarySize)...])
        } else {
            dictionary = Array((dictionary + block).suffix(Self.dictionarySize))
        }
        block.removeAll(keepingCapacity: true)
        pool.submit(job)
        submitted += 1
        // Emit what is done; wait when too many blocks are in flight.
        while emitted < submitted {
            let mustWait = submitted - emitted >= maximumInFlight
            guard try emitNext(waiting: mustWait) else { break }
        }
    }

    /// Emits block `emitted` if it is done (or after waiting for it); false when not ready.
    @discardableResult
    private func emitNext(waiting: Bool) throws -> Bool {
        guard let result = pool.result(for: emitted, waiting: waiting) else { return false }
        emitted += 1
        switch result {
        case .success(let bytes): try emit(bytes)
        case .failure(let error): throw error
        }
        try Interruption.check()
        return true
    }

    private func emit(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try sink($0) } }
}

/// One block to deflate.
struct DeflateJob: Sendable {
    var index: Int
    var input: [UInt8]
    var dictionary: [UInt8]
    var level: Int32
    var isLast: Bool

    /// A raw deflate stream of `input` primed with `dictionary`, ending byte-aligned (sync
    /// flush) or final (`Z_FINISH`).
    func run() -> Result<[UInt8], GzipError> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // windowBits -15: raw deflate, 32 KiB window.
        let initCode = deflateInit2_(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard initCode == Z_OK else { return .failure(.zlib(operation: "deflateInit2", code: initCode)) }
        defer { deflateEnd(stream) }
        if !dictionary.isEmpty {
            let code = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            guard code == Z_OK else { return .failure(.zlib(operation: "deflateSetDictionary", code: code)) }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 64)
        var produced = 0
        let flush = isLast ? Z_FINISH : Z_SYNC_FLUSH
        var input = self.input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = uInt(inputBuffer.count)
            return output.withUnsafeMutableBufferPointer { outputBuffer in
                while true {
                    stream.pointee.next_out = outputBuffer.baseAddress! + produced
                    stream.pointee.avail_out = uInt(outputBuffer.count - produced)
                    let code = deflate(stream, flush)
                    produced = outputBuffer.count - Int(stream.pointee.avail_out)
                    if isLast && code == Z_STREAM_END { return Z_OK }
                    if !isLast && code == Z_OK && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return Z_OK }
                    guard code == Z_OK || code == Z_BUF_ERROR else { return code }
                    if stream.pointee.avail_out == 0 { return Z_BUF_ERROR }
                }
            }
        }
        guard status == Z_OK else { return .failure(.zlib(operation: "deflate", code: status)) }
        output.removeSubrange(produced...)
        return .success(output)
    }
}

/// Worker threads that deflate blocks; results are collected by block index.
final class DeflateWorkers: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [DeflateJob] = []
    private var results: [Int: Result<[UInt8], GzipError>] = [:]
    private var stopping = false
    private var threads: [Thread] = []

    init(threads count: Int) {
        for _ in 0..<count {
            let thread = Thread { [self] in work() }
            thread.name = "gzip-worker"
            threads.append(thread)
            thread.start()
        }
    }

    func submit(_ job: DeflateJob) {
        condition.lock()
        queue.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// The result for block `index`, waiting for it when `waiting`; nil when not ready.
    func result(for index: Int, waiting: Bool) -> Result<[UInt8], GzipError>? {
        condition.lock()
        defer { condition.unlock() }
        while results[index] == nil {
            guard waiting else { return nil }
            condition.wait()
        }
        return results.removeValue(forKey: index)
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            let result = job.run()
            condition.lock()
            results[job.index] = result
            condition.broadcast()
            condition.unlock()
        }
    }
}
