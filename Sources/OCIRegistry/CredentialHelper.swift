import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `docker-credential-<name>` program, run per the docker-credential-helpers protocol:
/// `docker-credential-<name> get`, the server URL on stdin, `{"Username":…,"Secret":…}` on stdout;
/// exit status 1 with "credentials not found" means it has none. Its output is never logged.
struct CredentialHelper {
    var name: String
    /// The Docker config that names it, and under which setting (`credHelpers` or `credsStore`): for errors.
    var configPath: String
    var setting: String
    var environment: [String: String]
    var timeout: Double

    var program: String { "docker-credential-\(name)" }

    func fail(_ reason: String) -> RegistryError {
        .credentialHelperFailed(helper: program, reason: "\(reason) (named by \(setting) in \(configPath))")
    }

    /// The helper's credential for `serverURL`, or nil when it has none.
    func credential(for serverURL: String) throws -> Credential? {
        guard !name.contains("/"), !name.hasPrefix(".") else { throw fail("'\(name)' is not a helper name") }
        guard let executable = Self.find(program, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") else {
            throw fail("it is not installed or not on PATH")
        }
        let (status, output) = try run(executable, input: serverURL)
        let text = String(decoding: output, as: UTF8.self)
        guard status == 0 else {
            if text.lowercased().contains("credentials not found") { return nil }
            // Its output is never shown: a failing helper may still have printed the secret.
            throw fail("it exited with status \(status); run `echo \(serverURL) | \(program) get` to see why")
        }
        struct Answer: Decodable { var Username: String?; var Secret: String? }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: output), let secret = answer.Secret else {
            throw fail("its answer is not the JSON object {\"Username\", \"Secret\"} of the credential-helper protocol")
        }
        let username = answer.Username ?? ""
        if username.isEmpty && secret.isEmpty { return nil }
        return Credential(username: username, password: secret, source: program)
    }

    /// Runs `executable get` with `input` on stdin; kills it after `timeout` seconds.
    ///
    /// Spawned and waited for here (not with `Process`, whose end is only seen when every process
    /// holding its hidden socket has exited): a helper that answers and exits while an agent it
    /// started keeps running is done at its own exit; its answer is what it wrote by then.
    func run(_ executable: String, input: String) throws -> (Int32, Data) {
        // stdin is a socket pair, not a pipe: a helper that exits without reading must not SIGPIPE us,
        // and send(MSG_NOSIGNAL) is the one write that cannot raise it.
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { throw fail("no socket pair for its stdin") }
        defer { close(pair[0]) }
        var output: [Int32] = [-1, -1]
        guard pipe(&output) == 0 else { close(pair[1]); throw fail("no pipe for its output") }
        for descriptor in output { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        defer { close(output[0]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup(executable), strdup("get"), nil]
        let variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (arguments + variables).forEach { free($0) } }
        var pid: pid_t = 0
        // The calling thread may block or ignore signals (Dispatch workers do): the helper starts with
        // no signal blocked and every disposition at its default, so Ctrl-C and kill still end it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        // Its own process group (pgid = its pid), so a timeout or an interrupt ends whatever it forked too.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, arguments, variables)
        close(pair[1])
        close(output[1])
        guard spawned == 0 else { throw fail("it cannot be started (\(String(cString: strerror(spawned))))") }
        RunningCredentialHelpers.shared.insert(pid)
        defer { RunningCredentialHelpers.shared.remove(pid) }

        let bytes = Array((input + "\n").utf8)
        _ = bytes.withUnsafeBytes { send(pair[0], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(pair[0], Int32(SHUT_WR))

        // Read its output and poll for its exit until the deadline.
        var collected = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var status: Int32 = 0
        var exited = false
        var open = true
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !exited, waitpid(pid, &status, WNOHANG) == pid { exited = true }
            var poller = pollfd(fd: output[0], events: Int16(POLLIN), revents: 0)
            // Once it has exited, take only what is already written (a leftover child may hold the pipe).
            let ready = open ? poll(&poller, 1, exited ? 0 : 20) : 0
            if ready > 0 {
                let count = read(output[0], &buffer, buffer.count)
                if count > 0 {
                    if collected.count < 1 << 20 { collected.append(contentsOf: buffer[0..<count]) }
                    continue
                }
                if count == 0 || errno != EINTR { open = false }
            }
            if exited { break }
            if !open { usleep(20_000) }
            if Date() >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                throw fail("it did not answer within \(RegistryError.format(timeout)) s")
            }
        }
        // WIFEXITED / WEXITSTATUS; a helper killed by a signal counts as a failure.
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, collected.prefix(1 << 20))
    }

    static func find(_ program: String, path: String) -> String? {
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// The credential helpers running right now, so that an interrupted `containertool` (`kill -INT`, which
/// reaches only this process, not its process group as Ctrl-C does) ends them too instead of leaving
/// one behind holding a secret.
public final class RunningCredentialHelpers: Sendable {
    public static let shared = RunningCredentialHelpers()
    private let pids = Mutex<Set<pid_t>>([])

    func insert(_ pid: pid_t) { pids.withLock { _ = $0.insert(pid) } }
    func remove(_ pid: pid_t) { pids.withLock { _ = $0.remove(pid) } }

    /// Sends SIGTERM to every running helper's process group (the helper and what it forked); for
    /// the interrupt path, just before the process exits.
    public func terminateAll() {
        for pid in pids.withLock({ $0 }) {
            kill(-pid, SIGTERM)
            kill(pid, SIGTERM)
        }
    }
}
