import Foundation

/// `containertool run IMAGE`: runs an image from the local engine in the foreground, the way the
/// edit loop wants it — its port published, its output streamed, and on Ctrl-C the container
/// stopped and removed (the plugin's `--run`).
enum RunCommand {
    static let usage = """
        usage: containertool run IMAGE [--engine docker|podman|auto] [--port PORT ...] [--name NAME] [-- ARG ...]

        Runs IMAGE (already in the engine, e.g. after `build --output engine:auto`) in the foreground
        and removes the container when it ends. A second run of the same image replaces the first. Ctrl-C (or SIGTERM) stops it (SIGTERM, then SIGKILL
        after 5 s) and removes it.

          --engine NAME   docker, podman or auto (default: Docker if its daemon answers, else Podman)
          --port PORT     publish PORT on the same host port (repeatable); where the engine has no
                          bridge network (dockerd --bridge=none) the container uses the host's
                          network instead, so the port is the same
          --name NAME     the container's name (default: containerize-<image name>); a container
                          an earlier `containertool run` left under it is replaced (stopped and
                          removed; its run ends with status 0), one started otherwise is refused
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
        let name = parsed.last("--name") ?? defaultName(image: image)
        // An empty name makes the engine pick one, which this run would then take for a newer run's
        // rename (and end with status 0 whatever the container's); any other bad name it refuses late.
        guard isValidName(name) else {
            throw UsageError("--name needs a container name (a letter or digit, then letters, digits, _ . -), not '\(name)'")
        }
        let engine: ContainerEngine
        do { engine = try ContainerEngine.find(parsed.last("--engine") ?? "auto") } catch EngineError.unknown(let choice) {
            throw UsageError("--engine: \(EngineError.unknown(choice))")
        }
        let bridge = engine.hasBridgeNetwork()
        let published = ports.map(String.init).joined(separator: ", ")
        let network = !bridge ? ", host network (no bridge)" + (ports.isEmpty ? "" : ": port \(published) is the host's")
            : ports.isEmpty ? ", no port published (--port N publishes one)" : ", port \(published) published"
        printError("containertool: running \(image) in \(engine.name) as \(name)\(network); Ctrl-C stops and removes it")

        let token = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let slot = ContainerSlot(engine: engine, name: name)
        RunningContainers.shared.own(engine: engine, token: token)
        defer { RunningContainers.shared.release() }
        watchParent()
        let id = try createTakingOver(slot, ContainerEngine.createArguments(image: image, name: name, token: token, ports: ports,
                                                                            bridge: bridge, arguments: containerArguments))
        RunningContainers.shared.identify(id)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: engine.executable)
        process.arguments = ["start", "--attach", id]
        process.standardInput = FileHandle.nullDevice  // standard output and error: ours, streamed as they come
        try process.run()
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus

        let after = engine.inspectContainer(id)
        let ending = ContainerSlot.ending(ownID: id, name: name, own: after, holder: after == nil ? engine.inspectContainer(name) : nil)
        engine.removeContainer(id)
        RunningContainers.shared.release()
        RunningContainers.shared.removeRetired()
        switch ending {
        case .replaced:
            printError("containertool: \(name) was replaced by a newer run; this one ends")
        case .removed:
            printError("containertool: \(name) was removed while it ran; this run ends")
        case .ended where status != 0:
            printError("containertool run: \(name) ended with exit status \(status)")
            exit(status)
        case .ended:
            break
        }
    }

    /// Takes the name over from an earlier run and creates the container; when another run creates
    /// one under the name between the two (two runs started at once), takes it over from that one.
    /// Until a deadline rather than a count: on a loaded machine the engine may refuse a rename of a
    /// container another run is starting for a while, and giving up then leaves the user neither run.
    private static func createTakingOver(_ slot: ContainerSlot, _ arguments: [String]) throws -> String {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let replaced = try slot.takeOver()
            if let replaced, replaced.wasRunning { RunningContainers.shared.retire(replaced.id, engine: slot.engine) }
            let id = try slot.create(arguments)
            // Not started yet: its run would start it after our stop. Removed before ours starts (the port).
            if let replaced, !replaced.wasRunning { slot.engine.removeContainer(replaced.id) }
            if let id { return id }
            usleep(UInt32.random(in: 50_000...250_000))  // two runs retrying in step would collide again
        }
        throw EngineError.nameContended(name: slot.name)
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

    /// `containerize-helloweb`: the image's last path component without tag or digest, in the
    /// characters a container name may hold. The same for every run of the image, so a second run
    /// replaces the first (as `ko` and `skaffold` do), rather than both fighting over the port.
    /// What Docker and Podman accept as a container name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    static func isValidName(_ name: String) -> Bool {
        let first = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), rest = first.union("_.-")
        guard let head = name.first, first.contains(head) else { return false }
        return name.dropFirst().allSatisfy(rest.contains)
    }

    /// An image named by its ID (`sha256:<hex>`, as `docker images -q` shows it) gets the ID's first
    /// 12 digits: "sha256" alone would give every image run by ID the same name, each run replacing
    /// another image's.
    static func defaultName(image: String) -> String {
        if image.hasPrefix("sha256:") { return "containerize-" + image.dropFirst("sha256:".count).prefix(12) }
        var base = image.split(separator: "@").first.map(String.init) ?? image
        if let slash = base.lastIndex(of: "/") { base = String(base[base.index(after: slash)...]) }
        if let colon = base.firstIndex(of: ":") { base = String(base[..<colon]) }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
        let cleaned = String(base.map { allowed.contains($0) ? $0 : "-" }.prefix(64))
        return "containerize-\(cleaned.isEmpty ? "image" : cleaned)"
    }
}
