import Foundation
import Synchronization

/// The containers this `containertool run` is answerable for, so the interrupt path
/// (InterruptCleanup.swift) and the normal end remove exactly those — by ID, never by name: under
/// the same name there may already be a newer run's container.
final class RunningContainers: Sendable {
    static let shared = RunningContainers()

    private struct Owned: Sendable {
        var engine: ContainerEngine
        /// The run's label value, to find a container whose `create` was interrupted before it printed its ID.
        var token: String
        var id: String?
    }

    private struct State: Sendable {
        var owned: Owned?
        /// Containers of earlier runs this one replaced, stopped and waiting for their runs to remove them.
        var retired: [String: ContainerEngine] = [:]
    }

    private let state = Mutex(State())

    func own(engine: ContainerEngine, token: String) { state.withLock { $0.owned = Owned(engine: engine, token: token) } }

    func identify(_ id: String) { state.withLock { $0.owned?.id = id } }

    func release() { state.withLock { $0.owned = nil } }

    /// A replaced container's own run removes it when it sees the rename (it is the one that can
    /// tell its user what happened); if it has not within 3 s, this run removes it.
    func retire(_ id: String, engine: ContainerEngine) {
        state.withLock { $0.retired[id] = engine }
        let sweeper = Thread { [self] in
            let deadline = Date().addingTimeInterval(3)
            while Date() < deadline, engine.inspectContainer(id) != nil { usleep(100_000) }
            removeRetired(only: id)
        }
        sweeper.name = "retired-container"
        sweeper.start()
    }

    /// Removes the replaced containers still there (the normal end of the run).
    func removeRetired(only id: String? = nil) {
        let taken = state.withLock { state -> [String: ContainerEngine] in
            let chosen = state.retired.filter { id == nil || $0.key == id }
            for key in chosen.keys { state.retired.removeValue(forKey: key) }
            return chosen
        }
        for (id, engine) in taken { engine.removeContainer(id) }
    }

    /// On an interrupt: this run's container stopped (SIGTERM, then SIGKILL after 5 s: a server
    /// drains) and removed, and the replaced ones removed; each bounded, errors ignored.
    func stopAndRemoveAll() {
        let owned = state.withLock { $0.owned }
        if let owned {
            var ids = owned.id.map { [$0] } ?? []
            if ids.isEmpty, let listed = try? ChildProcess.run(owned.engine.executable,
                                                               ["ps", "-a", "-q", "--no-trunc", "--filter", "label=\(ContainerSlot.label)=\(owned.token)"], timeout: 20) {
                ids = listed.output.split(separator: "\n").map(String.init).filter { $0.allSatisfy(\.isHexDigit) && !$0.isEmpty }
            }
            for id in ids {
                owned.engine.stopContainer(id)
                owned.engine.removeContainer(id)
            }
        }
        removeRetired()
    }
}
