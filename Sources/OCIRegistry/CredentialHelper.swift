import Foundation
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
            // Only a short first line, and nothing that looks like a JSON answer (it could hold a secret).
            let firstLine = text.split(separator: "\n").first.map { String($0.prefix(160)) } ?? ""
            throw fail("it exited with status \(status)" + (firstLine.isEmpty || firstLine.contains("{") ? "" : ": \(firstLine)"))
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
    func run(_ executable: String, input: String) throws -> (Int32, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        process.environment = environment
        // stdin is a socket pair, not a pipe: a helper that exits without reading must not SIGPIPE us,
        // and send(MSG_NOSIGNAL) is the one write that cannot raise it.
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw fail("no socket pair for its stdin") }
        let childInput = FileHandle(fileDescriptor: pair[1], closeOnDealloc: true)
        defer { close(pair[0]) }
        let stdout = Pipe()
        process.standardInput = childInput
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do { try process.run() } catch { throw fail("it cannot be started (\(error.localizedDescription))") }
        let collected = LockedData()
        let reader = Thread { collected.set(stdout.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        try? childInput.close()
        let bytes = Array((input + "\n").utf8)
        _ = bytes.withUnsafeBytes { send(pair[0], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(pair[0], Int32(SHUT_WR))
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            throw fail("it did not answer within \(RegistryError.format(timeout)) s")
        }
        // The helper has exited; a grandchild keeping stdout open must not hang us either.
        for _ in 0..<200 where !collected.isSet { usleep(5_000) }
        return (process.terminationStatus, collected.value.prefix(1 << 20))
    }

    static func find(_ program: String, path: String) -> String? {
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Bytes filled in once by another thread (a helper's stdout; the tests' pipe readers).
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var done = false
    func set(_ value: Data) { lock.lock(); data = value; done = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return done }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}
