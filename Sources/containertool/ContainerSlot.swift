import Foundation

/// The container a `containertool run` name stands for: the edit loop keeps one per image, so a
/// second run takes the name over from the first — but only from a container containerize started
/// (it carries `ContainerSlot.label`); one started by hand under that name is never touched.
///
/// Everything goes by container ID once an ID is known: a name can change hands between two
/// engine calls, an ID cannot.
struct ContainerSlot {
    /// Set on every container `containertool run` creates; its value is that run's own token.
    static let label = "org.swift-containerize.run"

    let engine: ContainerEngine
    let name: String

    /// A container as `inspect` shows it.
    struct Occupant: Equatable {
        var id: String
        /// Without the leading `/` Docker puts there.
        var name: String
        /// `running`, `created`, `exited`, …
        var state: String
        /// The value of `label`; nil for a container containerize did not start.
        var token: String?
    }

    /// What to do with the name's occupant before creating a container under the name. Pure.
    enum Takeover: Equatable {
        case free
        /// A container of an earlier run: rename it out of the way (its run sees that and ends
        /// quietly), stop it and remove it.
        case replace(Occupant)
        /// Not started by containerize: leave it alone and refuse.
        case refuse
    }

    /// `occupant` is what `inspect NAME` found, which is also a container whose ID starts with NAME
    /// (`--name 9765cda6439a`): one under another name is not in the slot, and is left alone.
    static func takeover(of occupant: Occupant?, name: String) -> Takeover {
        guard let occupant, occupant.name == name else { return .free }
        return occupant.token == nil ? .refuse : .replace(occupant)
    }

    /// How a run's container came to end, from what `inspect` shows once `start --attach` returned. Pure.
    enum Ending: Equatable {
        /// It ended by itself (or on our Ctrl-C): the run ends with its status.
        case ended
        /// A newer run renamed it, or removed it and holds the name now.
        case replaced
        /// It went away and no newer run holds the name: removed by hand.
        case removed
    }

    static func ending(ownID: String, name: String, own: Occupant?, holder: Occupant?) -> Ending {
        // `rm -f` kills before it removes: a container being removed is as good as gone.
        if let own, own.state != "removing" { return own.name == name ? .ended : .replaced }
        if let holder, holder.name == name, holder.id != ownID, holder.token != nil { return .replaced }
        return .removed
    }

    /// The name a replaced container is renamed to, which frees its own name at once.
    static func retiredName(_ name: String, id: String) -> String { "\(name)-replaced-\(id.prefix(12))" }

    /// A container of an earlier run, renamed and stopped: `wasRunning` when its run had started it.
    struct Replaced {
        var id: String
        var wasRunning: Bool
    }

    /// Frees the name for a new container: renames and stops an earlier run's container there.
    /// One that was running is left to its own run a moment (`RunningContainers.retire`); one its run
    /// had not started yet is removed once the new container holds the name (`RunCommand`), so that
    /// run, finding it gone, sees who holds the name now.
    func takeOver() throws -> Replaced? {
        switch Self.takeover(of: engine.inspectContainer(name), name: name) {
        case .free:
            return nil
        case .refuse:
            throw EngineError.nameTaken(engine: engine.name, name: name)
        case .replace(let old):
            printError("containertool: replacing \(name), started by an earlier containertool run")
            // Each step may fail because the old run ended meanwhile (or a concurrent run got there
            // first); what counts is the create that follows.
            rename(old.id, to: Self.retiredName(name, id: old.id))
            engine.stopContainer(old.id)
            return Replaced(id: old.id, wasRunning: old.state == "running")
        }
    }

    /// The rename comes before the stop, so that the old run, seeing its container stop, finds it
    /// renamed. An engine may refuse it for a moment (a container being started); tried for up to 3 s.
    private func rename(_ id: String, to newName: String) {
        for _ in 0..<30 {
            if let result = try? ChildProcess.run(engine.executable, ["rename", id, newName], timeout: 20), result.status == 0 { return }
            // Gone, or renamed already (by a concurrent run): nothing to retry.
            guard let current = engine.inspectContainer(id), current.name != newName else { return }
            usleep(100_000)
        }
    }

    /// Creates the container under the name; nil when the name was taken meanwhile (another run raced us).
    func create(_ arguments: [String]) throws -> String? {
        let result = try ChildProcess.run(engine.executable, arguments, timeout: 120)
        let lines = result.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        if result.status == 0, let id = lines.last(where: { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }) { return id }
        if result.output.contains("already in use") { return nil }
        let message = result.timedOut ? "no answer within 120 s" : lines.last(where: { !$0.isEmpty }) ?? "exit status \(result.status)"
        throw EngineError.createFailed(engine: engine.name, message: String(message.prefix(300)))
    }
}
