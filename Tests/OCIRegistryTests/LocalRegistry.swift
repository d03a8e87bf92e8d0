import Foundation
import TestSupport
import XCTest

/// A real `docker-registry` on 127.0.0.1, started and stopped through scripts/start-registry.sh
/// and scripts/stop-registry.sh, with its storage in a temporary directory.
final class LocalRegistry: @unchecked Sendable {
    let port: Int
    let directory: URL
    let user: String?
    let password: String?
    let extraArguments: [String]
    /// `127.0.0.1`, `[::1]` or `localhost`.
    let listen: String

    /// `LISTEN:PORT`, e.g. `127.0.0.1:5000`
    var host: String { "\(listen):\(port)" }

    /// `tls`: serve HTTPS with the CA's server certificate.
    init(testCase: XCTestCase, user: String? = nil, password: String? = nil, listen: String = "127.0.0.1", tls: TestCA? = nil,
         extraArguments: [String] = []) throws {
        port = try freeLoopbackPort()
        self.listen = listen
        directory = try temporaryDirectory(testCase, "registry")
        self.user = user
        self.password = password
        self.extraArguments = extraArguments + ["--listen", listen]
            + (tls.map { ["--tls-cert", $0.serverCertificate.path, "--tls-key", $0.serverKey.path] } ?? [])
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

/// A throwaway certificate authority made with openssl, and a server certificate it signed for
/// `localhost`, `127.0.0.1` and `::1`.
struct TestCA {
    let directory: URL
    var certificate: URL { directory.appendingPathComponent("ca.pem") }
    var serverCertificate: URL { directory.appendingPathComponent("server.pem") }
    var serverKey: URL { directory.appendingPathComponent("server.key") }

    init(testCase: XCTestCase) throws {
        directory = try temporaryDirectory(testCase, "test-ca")
        let d = directory.path
        try runChecked("bash", ["-c", """
            set -euo pipefail
            cd '\(d)'
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=containerize-test-ca \\
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem 2>/dev/null
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -keyout server.key -out server.csr 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.pem 2>/dev/null
            """])
    }

    /// Writes a client certificate signed by this CA as `client.cert` and `client.key` into `directory`.
    func makeClientCertificate(in directory: URL) throws {
        let d = self.directory.path
        try runChecked("bash", ["-c", """
            set -euo pipefail
            cd '\(d)'
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=pusher -keyout '\(directory.path)/client.key' -out client.csr 2>/dev/null
            printf 'extendedKeyUsage=clientAuth\\n' > client.ext
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext -out '\(directory.path)/client.cert' 2>/dev/null
            """])
    }
}
