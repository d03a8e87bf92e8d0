import Foundation
import Synchronization

/// `containertool run IMAGE`: runs an image from the local engine in the foreground, the way the
/// edit loop wants it — its port published, its output streamed, and on Ctrl-C the container
/// stopped and removed (the plugin's `--run`).
enum RunCommand {
    static let usage = """
        usage: containertool run IMAGE [--engine docker|podman|auto] [--port PORT ...] [--name NAME] [-- ARG ...]

        Runs IMAGE (already in the engine, e.g. after `build --output engine:auto`) in the foreground
        and removes the container when it ends. Ctrl-C (or SIGTERM) stops it (SIGTERM, then SIGKILL
        after 5 s) and removes it.

          --engine NAME   docker, podman or auto (default: Docker if its daemon answers, else Podman)
          --port PORT     publish PORT on the same host port (repeatable); where the engine has no
                          bridge network (dockerd --bridge=none) the container uses the host's
                          network instead, so the port is the same
          --name NAME     the container's name (default: containerize-<image name>-<pid>)
          -- ARG ...      arguments after the image's entrypoint (replace its default command)

        Exit status: the container's.
        """

    static let parser = CommandLineParser(valueOptions: ["--engine", "--port", "--name"], flags: [], maximumPositionals: 1)

    static func run(_ arguments: [String]) async throws {
        let separator = arguments.firstIndex(of: "--")
        let own = Array(arguments[..<(separator ?? arguments.endIndex)])
        let containerArguments = separator.map { Array(arguments[arguments.index(after: $0)...]) } ?? []
        let parsed = try parser.parse(own)
        if parsed.wantsHelp { return print(usage) }
        guard let image = parsed.positionals.first else { throw UsageError("missing IMAGE, e.g. containertool run helloweb:latest") }
        let ports = try parsed.all("--port").map { value -> Int in
            guard let port = Int(value), (1...65535).contains(port) else { throw UsageError("--port needs a number from 1 to 65535, not '\(value)'") }
            return port
        }
        let name = parsed.last("--name") ?? defaultName(image: image, pid: getpid())
        let engine: ContainerEngine
        do { engine = try ContainerEngine.find(parsed.last("--engine") ?? "auto") } catch EngineError.unknown(let choice) {
            throw UsageError("--engine: \(EngineError.unknown(choice))")
        }
        let bridge = ports.isEmpty || engine.hasBridgeNetwork()
        let published = ports.map(String.init).joined(separator: ", ")
        let network = ports.isEmpty ? "" : bridge ? ", port \(published) published" : ", host network (no bridge): port \(published) is the host's"
        printError("containertool: running \(image) in \(engine.name) as \(name)\(network); Ctrl-C stops and removes it")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: engine.executable)
        process.arguments = ContainerEngine.runArguments(image: image, name: name, ports: ports, bridge: bridge, arguments: containerArguments)
        process.standardInput = FileHandle.nullDevice  // standard output and error: ours, streamed as they come
        try RunningContainers.shared.whileRegistered(engine: engine, name: name) {
            watchParent()
            try process.run()
            process.waitUntilExit()
        }
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        if status != 0 {
            printError("containertool run: \(name) ended with exit status \(status)")
            exit(status)
        }
    }

    /// Ctrl-C in a terminal reaches the whole foreground group, us included; but SwiftPM, when it
    /// is interrupted alone (a CI runner's SIGINT/SIGTERM to `swift package`), ends the plugin and
    /// leaves us running — with the container. So a parent that goes away counts as an interrupt:
    /// we are re-parented, `getppid()` changes, and the interrupt path stops and removes the container.
    private static func watchParent() {
        let parent = getppid()
        let watcher = Thread {
            while getppid() == parent { usleep(200_000) }
            kill(getpid(), SIGTERM)
        }
        watcher.name = "parent-watch"
        watcher.start()
    }

    /// `containerize-helloweb-4242`: the image's last path component without tag or digest, in the
    /// characters a container name may hold, and this process's id so two loops never collide.
    static func defaultName(image: String, pid: Int32) -> String {
        var base = image.split(separator: "@").first.map(String.init) ?? image
        if let slash = base.lastIndex(of: "/") { base = String(base[base.index(after: slash)...]) }
        if let colon = base.firstIndex(of: ":") { base = String(base[..<colon]) }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        let cleaned = String(base.map { allowed.contains($0) ? $0 : "-" }.prefix(64))
        return "containerize-\(cleaned.isEmpty ? "image" : cleaned)-\(pid)"
    }
}

/// The containers `containertool run` has started, so the interrupt path (InterruptCleanup.swift)
/// can stop and remove them before the process exits.
final class RunningContainers: Sendable {
    static let shared = RunningContainers()
    private let running = Mutex<[String: ContainerEngine]>([:])

    func whileRegistered<Result>(engine: ContainerEngine, name: String, _ body: () throws -> Result) rethrows -> Result {
        running.withLock { $0[name] = engine }
        defer { running.withLock { _ = $0.removeValue(forKey: name) } }
        return try body()
    }

    /// `stop --time 5` (SIGTERM, then SIGKILL: a server drains), then `rm -f` (for a container
    /// whose `--rm` did not happen); each bounded, errors ignored — the container may be gone already.
    func stopAndRemoveAll() {
        for (name, engine) in running.withLock({ $0 }) {
            _ = try? ChildProcess.run(engine.executable, ["stop", "--time", "5", name], timeout: 20)
            _ = try? ChildProcess.run(engine.executable, ["rm", "-f", name], timeout: 20)
        }
    }
}
