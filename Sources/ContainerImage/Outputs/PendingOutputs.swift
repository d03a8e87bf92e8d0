import Foundation

/// The temporary files and directories this process is writing right now, so that an interrupt
/// can remove them. Creating a temporary and registering it happen under one lock, and an
/// interrupt closes the registry under that same lock before it removes anything: once closed,
/// nothing new can be created (creation throws `OutputError.interrupted`), so nothing created
/// by this run survives the cleanup.
public final class PendingOutputs: @unchecked Sendable {
    public static let shared = PendingOutputs()
    private let lock = NSLock()
    private var paths: [String] = []
    private var closed = false

    /// True once an interrupt has started cleaning up: the work should stop.
    public var isClosed: Bool { lock.withLock { closed } }

    /// Runs `make`, which creates `path`, and registers `path` for cleanup, unless closed.
    public func create<Result>(_ path: String, _ make: () throws -> Result) throws -> Result {
        try lock.withLock {
            guard !closed else { throw OutputError.interrupted }
            let result = try make()
            paths.append(path)
            return result
        }
    }

    /// Runs `body` (which creates something inside an already registered temporary, or commits)
    /// so that it cannot interleave with the interrupt cleanup; throws when closed.
    public func whileOpen<Result>(_ body: () throws -> Result) throws -> Result {
        try lock.withLock {
            guard !closed else { throw OutputError.interrupted }
            return try body()
        }
    }

    /// Registers a path created elsewhere (already under `whileOpen`).
    func registerLocked(_ path: String) { paths.append(path) }

    public func unregister(_ path: String) { lock.withLock { paths.removeAll { $0 == path } } }

    /// Removes `path` from disk and from the registry.
    public func remove(_ path: String) {
        lock.withLock {
            try? FileManager.default.removeItem(atPath: path)
            paths.removeAll { $0 == path }
        }
    }

    /// Stops all further creation and deletes every registered temporary (the interrupt path).
    public func closeAndRemoveAll() {
        lock.withLock {
            closed = true
            for path in paths.reversed() { try? FileManager.default.removeItem(atPath: path) }
            paths.removeAll()
        }
    }

    /// Deletes every registered temporary without closing (tests).
    public func removeAll() {
        lock.withLock {
            for path in paths.reversed() { try? FileManager.default.removeItem(atPath: path) }
            paths.removeAll()
        }
    }
}

/// Cooperative cancellation for long loops (copying files, writing layers).
public enum Interruption {
    /// Throws `OutputError.interrupted` once an interrupt is being handled.
    public static func check() throws {
        if PendingOutputs.shared.isClosed { throw OutputError.interrupted }
    }
}

extension PendingOutputs {
    /// Unregisters while the caller already holds the lock (`whileOpen`).
    func unregisterLocked(_ path: String) { paths.removeAll { $0 == path } }
}
