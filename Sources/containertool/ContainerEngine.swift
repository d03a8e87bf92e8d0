import Foundation
import Synchronization

/// The local container engine that `--output engine:…` loads into and `containertool run` runs
/// with: Docker or Podman, through their own command lines (their APIs differ; their CLIs agree on
/// `load`, `create`, `start --attach`, `inspect`, `rename`, `stop`, `rm`, `network inspect`).
struct ContainerEngine: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case docker, podman
    }

    let kind: Kind
    /// The CLI, as found on PATH (or `$CONTAINERIZE_DOCKER` / `$CONTAINERIZE_PODMAN`, for tests and odd installs).
    let executable: String

    var name: String { kind.rawValue }

    /// How long `stop` waits after SIGTERM before SIGKILL: a server gets to drain.
    static let stopSeconds = 5

    /// Engines already found to answer in this process (the dry-run check and the load ask once).
    private static let found = Mutex<[String: ContainerEngine]>([:])

    /// `docker`, `podman` or `auto` (Docker if its daemon answers, else Podman), checked to answer.
    static func find(_ choice: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ContainerEngine {
        if let known = found.withLock({ $0[choice] }) { return known }
        let engine = try findAnswering(choice, environment: environment)
        found.withLock { $0[choice] = engine }
        return engine
    }

    private static func findAnswering(_ choice: String, environment: [String: String]) throws -> ContainerEngine {
        let kinds: [Kind]
        switch choice {
        case "auto": kinds = Kind.allCases
        default:
            guard let kind = Kind(rawValue: choice) else { throw EngineError.unknown(choice) }
            kinds = [kind]
        }
        var reasons: [String] = []
        for kind in kinds {
            guard let executable = Self.locate(kind, environment: environment) else {
                reasons.append("\(kind.rawValue): not installed")
                continue
            }
            let engine = ContainerEngine(kind: kind, executable: executable)
            if let reason = engine.unansweredReason() {
                reasons.append("\(kind.rawValue): \(reason)")
                continue
            }
            return engine
        }
        throw EngineError.noneAnswers(reasons)
    }

    /// Nil when the engine answers `version` within 15 s; else what went wrong, in a few words.
    private func unansweredReason() -> String? {
        let format = kind == .docker ? "{{.Server.Version}}" : "{{.Version}}"
        guard let result = try? ChildProcess.run(executable, ["version", "--format", format], timeout: 15) else {
            return "cannot start \(executable)"
        }
        if result.timedOut { return "did not answer within 15 s" }
        guard result.status == 0, !result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            let last = result.output.split(separator: "\n").last.map(String.init) ?? "exit status \(result.status)"
            return kind == .docker ? "daemon not answering (\(last.prefix(160)))" : String(last.prefix(160))
        }
        return nil
    }

    private static func locate(_ kind: Kind, environment: [String: String]) -> String? {
        if let override = environment["CONTAINERIZE_\(kind.rawValue.uppercased())"], !override.isEmpty { return override }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(kind.rawValue)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// True when `run -p HOST:CONTAINER` can work: the engine has its default bridge network. A
    /// Docker daemon started with `--bridge=none` has none; then a container shares the host's
    /// network instead (`--network host`), where a server's port is the host's port.
    func hasBridgeNetwork() -> Bool {
        let network = kind == .docker ? "bridge" : "podman"
        guard let result = try? ChildProcess.run(executable, ["network", "inspect", network], timeout: 15) else { return false }
        return !result.timedOut && result.status == 0
    }

    /// `inspect` of a name or an ID; nil when there is no such container (or the engine cannot say).
    func inspectContainer(_ reference: String) -> ContainerSlot.Occupant? {
        let format = "{{.Id}}\t{{.Name}}\t{{.State.Status}}\t{{json .Config.Labels}}"
        guard let result = try? ChildProcess.run(executable, ["container", "inspect", "--format", format, reference], timeout: 20),
              !result.timedOut, result.status == 0,
              let line = result.output.split(separator: "\n").first(where: { $0.split(separator: "\t").count == 4 }) else { return nil }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        let labels = (try? JSONSerialization.jsonObject(with: Data(fields[3].utf8))) as? [String: String]
        let name = fields[1].hasPrefix("/") ? String(fields[1].dropFirst()) : fields[1]
        return ContainerSlot.Occupant(id: fields[0], name: name, state: fields[2], token: labels?[ContainerSlot.label])
    }

    /// `stop --time 5`: SIGTERM, then SIGKILL after 5 s, so a server drains. Errors ignored: it may be gone.
    func stopContainer(_ id: String) {
        _ = try? ChildProcess.run(executable, ["stop", "--time", String(Self.stopSeconds), id], timeout: 30)
    }

    func removeContainer(_ id: String) {
        _ = try? ChildProcess.run(executable, ["rm", "-f", id], timeout: 30)
    }

    /// `create` arguments for a container named `name` carrying the run's label (its token);
    /// `start --attach` runs it in the foreground. Not `run --rm`: the run removes its container
    /// itself, after seeing how it ended (ended, or renamed by a newer run). Pure: `RunCommand`
    /// decides, this spells it for the engine.
    static func createArguments(image: String, name: String, token: String, ports: [Int], bridge: Bool, arguments: [String]) -> [String] {
        var result = ["create", "--name", name, "--label", "\(ContainerSlot.label)=\(token)"]
        // Without a bridge the engine's default network is none: a container there could not be
        // reached at all, whatever port it listens on, so it gets the host's.
        result += bridge ? ports.flatMap { ["-p", "\($0):\($0)"] } : ["--network", "host"]
        return result + [image] + arguments
    }
}

/// What went wrong with the local engine, in one line that says what to do.
enum EngineError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case noneAnswers([String])
    case loadFailed(engine: String, message: String)
    case createFailed(engine: String, message: String)
    case nameTaken(engine: String, name: String)
    case nameContended(name: String)

    var description: String {
        switch self {
        case .unknown(let name):
            return "engine '\(name)' is unknown; use docker, podman or auto"
        case .noneAnswers(let reasons):
            return "no container engine answers (\(reasons.joined(separator: "; "))); start one (e.g. `dockerd &` or `systemctl start docker`) or choose another with --engine"
        case .loadFailed(let engine, let message):
            return "\(engine) load refused the image: \(message)"
        case .createFailed(let engine, let message):
            return "\(engine) create refused the container: \(message)"
        case .nameTaken(let engine, let name):
            return "a container named \(name) is there and containerize did not start it; remove it (`\(engine) rm -f \(name)`) or choose another name with --name"
        case .nameContended(let name):
            return "other containertool runs keep taking the name \(name); run again, or choose another name with --name"
        }
    }
}

/// A child process whose standard output and error are collected together (engine commands
/// print little), with an optional deadline and an optional stream for its standard input.
enum ChildProcess {
    struct Result {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// Runs `executable`; `feed`, when given, writes the child's standard input and the pipe is
    /// closed after it (an error it throws is rethrown once the child has exited).
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval? = nil,
                    feed: ((FileHandle) throws -> Void)? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let input = feed == nil ? nil : Pipe()
        process.standardInput = input ?? FileHandle.nullDevice
        try process.run()

        // Read on its own thread, so a child that talks while we feed it never blocks on a full pipe.
        let collected = Mutex(Data())
        let reader = Thread {
            let handle = output.fileHandleForReading
            while case let chunk = handle.availableData, !chunk.isEmpty {
                collected.withLock { if $0.count < 1 << 20 { $0.append(chunk) } }
            }
        }
        reader.start()
        try? output.fileHandleForWriting.close()

        var feedError: (any Error)?
        if let feed, let input {
            do { try feed(input.fileHandleForWriting) } catch { feedError = error }
            try? input.fileHandleForWriting.close()
        }
        // Polled, not `waitUntilExit()`: Foundation's run-loop wait adds up to 50 ms per child.
        var timedOut = false
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while process.isRunning {
            if let deadline, Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(1_000)
        }
        process.waitUntilExit()
        // A grandchild may hold the pipe open; what arrived within a moment is enough.
        let drained = Date().addingTimeInterval(timedOut ? 0 : 5)
        while !reader.isFinished && Date() < drained { usleep(1_000) }
        if let feedError { throw feedError }
        return Result(status: process.terminationStatus, output: String(decoding: collected.withLock { $0 }, as: UTF8.self), timedOut: timedOut)
    }
}
