import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes outputs under a temporary name next to the destination and renames them into place
/// only when complete, so a failed or interrupted run never leaves a partial image.
public enum AtomicOutput {
    /// A hidden sibling name: `.NAME.partial-PID`.
    static func temporarySibling(of path: String, suffix: String = "partial") -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(suffix)-\(getpid())").path
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
        // access(2) says yes to root everywhere; really creating the temporary name catches
        // read-only and virtual file systems before any work is done.
        let probe = temporarySibling(of: path, suffix: "probe")
        if asDirectory {
            guard mkdir(probe, 0o755) == 0 else { throw OutputError.notWritable(path: path, parent: parent) }
            rmdir(probe)
        } else {
            let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw OutputError.notWritable(path: path, parent: parent) }
            close(descriptor)
            unlink(probe)
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        if asDirectory {
            guard isDirectory.boolValue else { throw OutputError.existsAsFile(path) }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            guard contents.isEmpty || contents.contains("oci-layout") else { throw OutputError.refuseToReplace(path) }
        } else {
            guard !isDirectory.boolValue else { throw OutputError.existsAsDirectory(path) }
        }
    }

    /// Writes the file for `path` under its temporary name from what `produce` writes; nothing
    /// is visible at `path` until the returned output is committed.
    public static func stageFile(at path: String, _ produce: (BufferedFileWriter) throws -> Void) throws -> StagedOutput {
        try checkWritable(path, asDirectory: false)
        let temporary = temporarySibling(of: path)
        PendingOutputs.shared.register(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            PendingOutputs.shared.unregister(temporary)
            throw OutputError.cannotCreate(path: temporary, reason: String(cString: strerror(errno)))
        }
        let staged = StagedOutput(temporary: temporary, final: path, isDirectory: false)
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

    /// Fills a temporary directory for `path` through `produce`; an existing OCI layout (or
    /// empty directory) at `path` is replaced only when the returned output is committed.
    public static func stageDirectory(at path: String, _ produce: (String) throws -> Void) throws -> StagedOutput {
        try checkWritable(path, asDirectory: true)
        let temporary = temporarySibling(of: path)
        try? FileManager.default.removeItem(atPath: temporary)
        PendingOutputs.shared.register(temporary)
        let staged = StagedOutput(temporary: temporary, final: path, isDirectory: true)
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            try produce(temporary)
            return staged
        } catch {
            staged.discard()
            throw error
        }
    }
}

/// An output written completely under its temporary name (or a finished registry push),
/// waiting for `commit()` to rename it into place or `discard()` to remove it.
public final class StagedOutput: @unchecked Sendable {
    private let temporary: String?
    private let final: String?
    private let isDirectory: Bool
    /// `HOST/REPO@sha256:…` for a registry push.
    public let pushedReference: String?
    private var finished = false

    init(temporary: String, final: String, isDirectory: Bool) {
        self.temporary = temporary
        self.final = final
        self.isDirectory = isDirectory
        pushedReference = nil
    }

    private init(pushedReference: String) {
        temporary = nil
        final = nil
        isDirectory = false
        self.pushedReference = pushedReference
    }

    /// A push has no local file: committing it does nothing, and it cannot be discarded.
    public static func pushed(_ reference: String) -> StagedOutput { StagedOutput(pushedReference: reference) }

    /// Renames the temporary into place (replacing an earlier layout directory).
    public func commit() throws {
        guard !finished, let temporary, let final else { return }
        finished = true
        defer { PendingOutputs.shared.unregister(temporary) }
        let fileManager = FileManager.default
        if isDirectory, fileManager.fileExists(atPath: final) {
            let old = AtomicOutput.temporarySibling(of: final, suffix: "old")
            guard rename(final, old) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fileManager.removeItem(atPath: temporary)
                throw OutputError.cannotCreate(path: final, reason: reason)
            }
            guard rename(temporary, final) == 0 else {
                let reason = String(cString: strerror(errno))
                rename(old, final)
                try? fileManager.removeItem(atPath: temporary)
                throw OutputError.cannotCreate(path: final, reason: reason)
            }
            try? fileManager.removeItem(atPath: old)
        } else {
            guard rename(temporary, final) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fileManager.removeItem(atPath: temporary)
                throw OutputError.cannotCreate(path: final, reason: reason)
            }
        }
    }

    /// Removes the temporary; the destination is left as it was.
    public func discard() {
        guard !finished, let temporary else { return }
        finished = true
        try? FileManager.default.removeItem(atPath: temporary)
        PendingOutputs.shared.unregister(temporary)
    }
}

/// The temporary outputs being written right now, so an interrupt handler can remove them
/// (`removeAll()`) before the process exits.
public final class PendingOutputs: @unchecked Sendable {
    public static let shared = PendingOutputs()
    private let lock = NSLock()
    private var paths: Set<String> = []

    public func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    public func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Deletes every registered temporary file or directory.
    public func removeAll() {
        let current = lock.withLock { paths }
        for path in current { try? FileManager.default.removeItem(atPath: path) }
    }
}

extension AtomicOutput {
    /// Writes a file inside a directory that is itself still temporary.
    static func writePlainFile(_ path: String, _ bytes: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let writer = BufferedFileWriter(descriptor: descriptor, path: path)
        try writer.write(bytes)
        try writer.flush()
    }

    static func createDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw OutputError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
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
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw OutputError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}

public enum OutputError: Error, CustomStringConvertible, Equatable {
    case missingParent(path: String, parent: String)
    case notWritable(path: String, parent: String)
    case existsAsFile(String)
    case existsAsDirectory(String)
    case refuseToReplace(String)
    case cannotCreate(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

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
        case .refuseToReplace(let path):
            return "\(path) is a non-empty directory that is not an OCI layout; refusing to replace it, choose a new or empty directory"
        case .cannotCreate(let path, let reason):
            return "cannot create \(path): \(reason); check the output path and free space"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); check free space and permissions"
        }
    }
}

/// `write(2)`, named apart from `BufferedFileWriter.write`.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
