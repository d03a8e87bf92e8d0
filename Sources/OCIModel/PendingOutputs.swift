import Foundation
import Synchronization

/// The temporary files and directories this process is writing right now, so that an interrupt
/// can remove them. Creating a temporary and registering it happen under one lock, and an
/// interrupt closes the registry under that same lock before it removes anything: once closed,
/// nothing new can be created (creation throws `InterruptedError`), so nothing created
/// by this run survives the cleanup. It lives here, below every module that creates
/// temporaries (outputs and layers, the blob cache, registry downloads), so there is one registry.
public final class PendingOutputs: Sendable {
    public static let shared = PendingOutputs()

    /// The registered paths, reachable only inside the lock: `whileOpen` lends it to its body, so
    /// code that creates or renames a temporary registers it in the same critical section.
    public struct Registry: Sendable {
        fileprivate var paths: [String] = []
        fileprivate var closed = false

        /// Registers a path just created (or renamed into place) inside `whileOpen`.
        public mutating func register(_ path: String) { paths.append(path) }

        /// Forgets a path that was committed or renamed away inside `whileOpen`.
        public mutating func unregister(_ path: String) { paths.removeAll { $0 == path } }

        fileprivate mutating func removeAllFromDisk() {
            for path in paths.reversed() { try? FileManager.default.removeItem(atPath: path) }
            paths.removeAll()
        }
    }

    private let registry = Mutex(Registry())

    /// True once an interrupt has started cleaning up: the work should stop.
    public var isClosed: Bool { registry.withLock { $0.closed } }

    /// Runs `body` (which creates, renames or commits temporaries and records that in the registry
    /// it is lent) so that it cannot interleave with the interrupt cleanup; throws when closed.
    /// The lock is not recursive: `body` must use the registry it is given, never `shared`.
    public func whileOpen<Result: Sendable>(_ body: (inout Registry) throws -> Result) throws -> Result {
        try registry.withLock { registry in
            guard !registry.closed else { throw InterruptedError() }
            return try body(&registry)
        }
    }

    /// Removes `path` from disk and from the registry.
    public func remove(_ path: String) {
        registry.withLock { registry in
            try? FileManager.default.removeItem(atPath: path)
            registry.unregister(path)
        }
    }

    /// Stops all further creation and deletes every registered temporary (the interrupt path).
    public func closeAndRemoveAll() {
        registry.withLock { registry in
            registry.closed = true
            registry.removeAllFromDisk()
        }
    }
}

/// Cooperative cancellation for long loops (copying files, writing layers).
public enum Interruption {
    /// Throws `InterruptedError` once an interrupt is being handled.
    public static func check() throws {
        if PendingOutputs.shared.isClosed { throw InterruptedError() }
    }
}

/// Thrown by work stopped because an interrupt is cleaning up.
public struct InterruptedError: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "interrupted; nothing was written" }
}
