import Foundation
import XCTest

/// A real `docker-registry` on 127.0.0.1, started and stopped through scripts/start-registry.sh
/// and scripts/stop-registry.sh, with its storage in a temporary directory.
final class LocalRegistry: @unchecked Sendable {
    let port: Int
    let directory: URL
    let user: String?
    let password: String?
    let extraArguments: [String]

    /// `127.0.0.1:PORT`
    var host: String { "127.0.0.1:\(port)" }

    init(testCase: XCTestCase, user: String? = nil, password: String? = nil, extraArguments: [String] = []) throws {
        port = try freeLoopbackPort()
        directory = try temporaryDirectory(testCase, "registry")
        self.user = user
        self.password = password
        self.extraArguments = extraArguments
        try start()
        testCase.addTeardownBlock { [self] in try? self.stop() }
    }

    /// Starts (or restarts, keeping the stored blobs) the registry and waits until it answers.
    func start() throws {
        var arguments = ["--port", String(port), "--dir", directory.path]
        if let user, let password { arguments += ["--user", user, "--password", password] }
        arguments += extraArguments
        try runChecked(packageRoot.appendingPathComponent("scripts/start-registry.sh").path, arguments)
    }

    /// Stops the registry and waits until its process is gone.
    func stop() throws {
        try runChecked(packageRoot.appendingPathComponent("scripts/stop-registry.sh").path, [directory.path])
    }
}
