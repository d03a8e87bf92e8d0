import OCIModel
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes outputs under a temporary name in the destination's directory and renames them into
/// place only when complete, so a failed or interrupted run never leaves a partial image.
///
/// Every temporary is created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`, or `mkdir`, which never
/// follows a symlink) under an unpredictable name, so a file or symlink planted in advance is
/// never followed or overwritten: creation just moves on to another name.
public enum AtomicOutput {
    /// Candidate hidden sibling names: `.NAME.SUFFIX-PID-RANDOM`.
    static func temporaryNames(for path: String, suffix: String, count: Int = 16) -> [String] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        return (0..<count).map { _ in
            directory + "/.\(url.lastPathComponent).\(suffix)-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        }
    }

    /// Creates and registers (for interrupt cleanup) the first of `candidates` that does not
    /// exist yet, as a file (returns its descriptor) or a directory (returns -1).
    static func createExclusive(_ candidates: [String], directory: Bool, mode: mode_t = 0o644) throws -> (path: String, descriptor: Int32) {
        var lastError: Int32 = EEXIST
        for candidate in candidates {
            let descriptor: Int32 = try PendingOutputs.shared.whileOpen { registry in
                let result: Int32
                if directory {
                    result = mkdir(candidate, 0o755) == 0 ? -1 : -2
                } else {
                    let opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
                    result = opened >= 0 ? opened : -2
                }
                if result != -2 { registry.register(candidate) } else { lastError = errno }
                return result
            }
            if descriptor != -2 { return (candidate, descriptor) }
            guard lastError == EEXIST else { break }
        }
        throw OutputError.cannotCreate(path: candidates.first ?? "", reason: String(cString: strerror(lastError)))
    }

    /// A new temporary file next to `path` (registered for cleanup); the caller closes the descriptor.
    static func createTemporaryFile(near path: String, suffix: String = "partial") throws -> (path: String, descriptor: Int32) {
        try createExclusive(temporaryNames(for: path, suffix: suffix), directory: false)
    }

    /// A new, empty temporary directory inside `directory` (registered for cleanup).
    public static func makeTemporaryDirectory(in directory: String, label: String) throws -> String {
        try createExclusive(temporaryNames(for: directory + "/" + label, suffix: "tmp"), directory: true).path
    }

    /// Checks, before any work is done, that `path` can be created: its directory exists and is
    /// writable, and `path` itself is not something we must not replace.
    public static func checkWritable(_ path: String, asDirectory: Bool) throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw OutputError.missingParent(path: path, parent: parent)
        }
        guard access(parent, W_OK | X_OK) == 0 else { throw OutputError.notWritable(path: path, parent: parent) }
        // access(2) says yes to root everywhere; really creating a temporary catches read-only
        // and virtual file systems before any work is done.
        do {
            let probe = try createExclusive(temporaryNames(for: path, suffix: "probe"), directory: asDirectory)
            if probe.descriptor >= 0 { close(probe.descriptor) }
            PendingOutputs.shared.remove(probe.path)
        } catch let error as InterruptedError {
            throw error
        } catch {
            throw OutputError.notWritable(path: path, parent: parent)
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFLNK { throw OutputError.isSymlink(path) }
        if asDirectory {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw OutputError.existsAsFile(path) }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard contents.isEmpty || contents.contains("oci-layout") else { throw OutputError.refuseToReplace(path) }
        } else {
            guard (info.st_mode & S_IFMT) != S_IFDIR else { throw OutputError.existsAsDirectory(path) }
            // The rename would replace a device, FIFO or socket (as root, /dev/null itself) with a regular file.
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw OutputError.notRegularFile(path) }
        }
    }

    /// Writes the file for `path` under a temporary name from what `produce` writes; nothing is
    /// visible at `path` until the returned output is committed.
    public static func stageFile(at path: String, _ produce: (BufferedFileWriter) throws -> Void) throws -> StagedOutput {
        try stageFile(at: path, candidates: temporaryNames(for: path, suffix: "partial"), produce)
    }

    static func stageFile(at path: String, candidates: [String], _ produce: (BufferedFileWriter) throws -> Void) throws -> StagedOutput {
        try checkWritable(path, asDirectory: false)
        let (temporary, descriptor) = try createExclusive(candidates, directory: false)
        let staged = StagedOutput(temporary: temporary, final: path)
        do {
            let writer = BufferedFileWriter(descriptor: descriptor, path: path)
            try produce(writer)
            try writer.flush()
            close(descriptor)
            return staged
        } catch {
            close(descriptor)
            staged.discard()
            throw error
        }
    }

    /// Fills a new temporary directory for `path` through `produce`; it replaces `path` (absent
    /// or an empty directory) when committed.
    public static func stageDirectory(at path: String, _ produce: (String) throws -> Void) throws -> StagedOutput {
        let (temporary, _) = try createExclusive(temporaryNames(for: path, suffix: "partial"), directory: true)
        let staged = StagedOutput(temporary: temporary, final: path)
        do {
            try produce(temporary)
            return staged
        } catch {
            staged.discard()
            throw error
        }
    }

    /// Writes a whole file inside a directory that is itself still temporary (or a new
    /// content-addressed blob): exclusive, never through a symlink.
    static func writeNewFile(_ path: String, _ bytes: [UInt8]) throws {
        let descriptor = try PendingOutputs.shared.whileOpen { _ in open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        guard descriptor >= 0 else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let writer = BufferedFileWriter(descriptor: descriptor, path: path)
        try writer.write(bytes)
        try writer.flush()
    }

    /// `FICLONE` (`_IOW(0x94, 9, int)`): share the source's extents copy-on-write (btrfs, XFS).
    private static let ficlone: UInt = 0x4004_9409

    /// Puts a copy of the file `source` at `path` (new): a reflink where the file system has
    /// one, else a streamed copy. Never a hard link: a shared inode would let an edit or `rm` of
    /// the output corrupt the blob cache (or the other way round).
    static func cloneOrCopy(_ source: String, to path: String) throws {
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw OutputError.cannotCreate(path: path, reason: "\(source) is not a regular file")
        }
        let descriptor = try PendingOutputs.shared.whileOpen { _ in open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644) }
        guard descriptor >= 0 else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        if ioctl(descriptor, ficlone, input) == 0 { return }
        let writer = BufferedFileWriter(descriptor: descriptor, path: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count: Int
            do { count = try FileIO.read(input, into: buffer.baseAddress!, count: buffer.count) } catch {
                throw OutputError.cannotWrite(path: path, reason: "\(error)")
            }
            if count == 0 { break }
            try writer.write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
        }
        try writer.flush()
    }

    static func createDirectory(_ path: String) throws {
        let made = try PendingOutputs.shared.whileOpen { _ in mkdir(path, 0o755) == 0 || errno == EEXIST }
        guard made else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
    }
}

/// An output written completely under its temporary name (or a finished registry push), waiting
/// for `commit()` / `StagedOutput.commitAll` to rename it into place or `discard()` to remove it.
public final class StagedOutput: Sendable {
    private let temporary: String?
    private let final: String?
    /// Blobs this run added to an existing layout, removed again if the output is discarded.
    private let addedFiles: [String]
    /// `HOST/REPO@sha256:…` for a registry push.
    public let pushedReference: String?

    /// What a commit changes, guarded because staging, committing and discarding may run on
    /// different tasks. Lock order: `PendingOutputs` first, then this; never the other way round
    /// (`discard` releases this lock before it removes files through `PendingOutputs`).
    private struct State: Sendable {
        var finished = false
        /// The previous file kept while several outputs are committed, for rollback.
        var backup: String?
        var createdFinal = false
        var replacedEmptyDirectory = false
        /// A descriptor holding a `flock` on the destination (a merged OCI layout) until committed or discarded.
        var lock: Int32

        mutating func releaseLock() {
            if lock >= 0 { close(lock) }
            lock = -1
        }
    }
    private let state: Mutex<State>

    init(temporary: String, final: String, addedFiles: [String] = [], lock: Int32 = -1) {
        self.temporary = temporary
        self.final = final
        self.addedFiles = addedFiles
        state = Mutex(State(lock: lock))
        pushedReference = nil
    }

    deinit { state.withLock { $0.releaseLock() } }

    private init(pushedReference: String) {
        temporary = nil
        final = nil
        addedFiles = []
        state = Mutex(State(lock: -1))
        self.pushedReference = pushedReference
    }

    /// A push has no local file: committing it does nothing, and it cannot be discarded.
    public static func pushed(_ reference: String) -> StagedOutput { StagedOutput(pushedReference: reference) }

    /// Renames the temporary into place.
    public func commit() throws { try Self.commitAll([self]) }

    /// Renames every output into place, or none: if one rename fails, the ones before it are
    /// rolled back (earlier files restored) and every temporary is removed. Runs under the
    /// interrupt lock, so an interrupt sees either all outputs committed or none.
    public static func commitAll(_ outputs: [StagedOutput]) throws {
        do {
            try PendingOutputs.shared.whileOpen { registry in
                var done: [StagedOutput] = []
                do {
                    for output in outputs where !output.state.withLock({ $0.finished }) {
                        try output.swapIntoPlace(&registry)
                        done.append(output)
                    }
                } catch {
                    for output in done.reversed() { output.rollBack() }
                    throw error
                }
                for output in done { output.finishCommit(&registry) }
            }
        } catch {
            for output in outputs { output.discard() }
            throw error
        }
    }

    /// Moves the temporary to the final name, keeping what was there as a backup (registered
    /// for interrupt cleanup in `registry`, whose lock the caller holds).
    private func swapIntoPlace(_ registry: inout PendingOutputs.Registry) throws {
        guard let temporary, let final else { return }
        try state.withLock { state in
            var info = stat()
            if lstat(final, &info) == 0 {
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    // An empty directory is replaced by rename(2) itself; a rollback makes it again.
                    state.createdFinal = true
                    state.replacedEmptyDirectory = true
                } else {
                    let candidate = AtomicOutput.temporaryNames(for: final, suffix: "previous", count: 1)[0]
                    guard link(final, candidate) == 0 || rename(final, candidate) == 0 else {
                        throw OutputError.cannotCreate(path: final, reason: String(cString: strerror(errno)))
                    }
                    registry.register(candidate)
                    state.backup = candidate
                }
            } else {
                state.createdFinal = true
            }
            guard rename(temporary, final) == 0 else {
                let reason = String(cString: strerror(errno))
                if let backup = state.backup, access(final, F_OK) != 0 { rename(backup, final) }
                throw OutputError.cannotCreate(path: final, reason: reason)
            }
        }
    }

    private func rollBack() {
        guard let final else { return }
        state.withLock { state in
            if let backup = state.backup {
                rename(backup, final)
            } else if state.createdFinal {
                try? FileManager.default.removeItem(atPath: final)
                if state.replacedEmptyDirectory { mkdir(final, 0o755) }
            }
        }
        for file in addedFiles { unlink(file) }
    }

    /// Forgets the committed paths in `registry`, whose lock the caller holds.
    private func finishCommit(_ registry: inout PendingOutputs.Registry) {
        state.withLock { state in
            state.finished = true
            if let backup = state.backup { unlink(backup) }
            for path in [temporary, state.backup].compactMap({ $0 }) + addedFiles { registry.unregister(path) }
            state.releaseLock()
        }
    }

    /// Removes the temporary (and blobs this run added); the destination is left as it was.
    public func discard() {
        // Take the flock's descriptor out under the state lock, and close it only after the files
        // are gone: another run merging into the same layout must not see our uncommitted blobs
        // as present and then lose them.
        let claimed: (backup: String?, lock: Int32)? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            defer { state.lock = -1 }
            return (state.backup, state.lock)
        }
        guard let claimed else { return }
        for path in [temporary, claimed.backup].compactMap({ $0 }) + addedFiles { PendingOutputs.shared.remove(path) }
        if claimed.lock >= 0 { close(claimed.lock) }
    }
}

/// A small write buffer over a file descriptor so that tar headers don't become syscalls.
public final class BufferedFileWriter {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        try Interruption.check()
        do { try FileIO.writeAll(descriptor, bytes) } catch { throw OutputError.cannotWrite(path: path, reason: "\(error)") }
    }
}

public enum OutputError: Error, CustomStringConvertible, Equatable {
    case missingParent(path: String, parent: String)
    case notWritable(path: String, parent: String)
    case existsAsFile(String)
    case existsAsDirectory(String)
    case notRegularFile(String)
    case isSymlink(String)
    case refuseToReplace(String)
    case cannotCreate(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case outputIsInput(output: String, input: String)
    case hostileLayout(path: String, reason: String)
    case layoutBusy(path: String)

    public var description: String {
        switch self {
        case .missingParent(let path, let parent):
            return "cannot write \(path): directory \(parent) does not exist; create it first (mkdir -p \(parent))"
        case .notWritable(let path, let parent):
            return "cannot write \(path): directory \(parent) is not writable; choose an output path you can write to"
        case .existsAsFile(let path):
            return "\(path) exists and is a file; an OCI layout needs a directory there, remove it or choose another path"
        case .existsAsDirectory(let path):
            return "\(path) is a directory; give a file name for the archive, e.g. \(path.hasSuffix("/") ? path : path + "/")image.tar"
        case .notRegularFile(let path):
            return "\(path) is a device, FIFO or socket, not a regular file; an image archive replaces its output file, give the path of a file"
        case .isSymlink(let path):
            return "\(path) is a symbolic link; refusing to write through it, give the real path"
        case .refuseToReplace(let path):
            return "\(path) is a non-empty directory that is not an OCI layout; refusing to replace it, choose a new or empty directory"
        case .cannotCreate(let path, let reason):
            return "cannot create \(path): \(reason); check the output path and free space"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); check free space and permissions"
        case .outputIsInput(let output, let input):
            return "the output \(output) would overwrite the input \(input); write the image somewhere else"
        case .hostileLayout(let path, let reason):
            return "cannot add to the OCI layout \(path): \(reason); remove it or choose another directory"
        case .layoutBusy(let path):
            return "another run has held the lock of the OCI layout \(path) for 10 minutes; wait for it to finish, or write to another directory"
        }
    }
}

