import Foundation
import TestSupport
import XCTest
@testable import OCIRegistry

/// The real `docker-registry` over HTTPS with a CA made by openssl in the test: verification is on by
/// default, the CA can be trusted in each of the conventional ways, and a certificate problem fails
/// at once with a message naming it and the fixes. Also IPv6-literal registries.
final class TLSTrustTests: XCTestCase {
    func push(_ reference: String, connection: ConnectionOptions, environment: [String: String] = [:],
              log: LogRecorder = LogRecorder()) async throws -> (PushReport, LayoutBuilder.Built) {
        let work = try temporaryDirectory(self)
        let built = try LayoutBuilder.build(at: work.appendingPathComponent("layout"), layerSizes: [2000])
        let pusher = RegistryPusher(retryPolicy: RetryPolicy(maxAttempts: 3, initialDelay: 0.05, maxTotalDelay: 0.5),
                                    credentials: CredentialStore(environment: ["HOME": work.path].merging(environment) { $1 }),
                                    connection: connection, log: { log.append($0) })
        return (try await pusher.push(layout: built.directory, to: reference), built)
    }

    func skopeoDigest(_ reference: String, ca: TestCA) throws -> String {
        // skopeo verifies with the same CA (its --cert-dir), so this also proves the certificate is right.
        let certDir = try temporaryDirectory(self, "skopeo-certs")
        try FileManager.default.copyItem(at: ca.certificate, to: certDir.appendingPathComponent("ca.crt"))
        let output = try runChecked("skopeo", ["inspect", "--cert-dir", certDir.path, "--no-tags", "docker://\(reference)"])
        return (try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])?["Digest"] as? String ?? ""
    }

    func testUntrustedCertificateFailsAtOnceNamingTheProblemAndTheFix() async throws {
        let ca = try TestCA(testCase: self)
        let registry = try LocalRegistry(testCase: self, tls: ca)
        let log = LogRecorder()
        let started = Date()
        do {
            _ = try await push("\(registry.host)/tls/app:1", connection: testConnection(certsDirectoryRoots: ["/srv/certs.d"]), log: log)
            XCTFail("an unknown CA must be refused")
        } catch let error as RegistryError {
            guard case let .certificateRejected(host, problem, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(host, registry.host)
            XCTAssertTrue(problem.contains("certificate"), problem)
            for phrase in ["--registry-ca", "/srv/certs.d/\(registry.host)/", "CONTAINERIZE_CERTS_D", "SSL_CERT_FILE", "--tls-verify=false"] {
                XCTAssertTrue(error.description.contains(phrase), error.description)
            }
            XCTAssertFalse(error.description.contains("is running"), error.description)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertFalse(log.lines.contains { $0.contains("retrying") }, "a certificate problem is never retried: \(log.lines)")
        XCTAssertFalse(log.lines.contains { $0.contains("plain HTTP") }, "and never falls back to plain HTTP: \(log.lines)")
    }

    func testCATrustedByFlagByCertsDirectoriesOrSSLCertFile() async throws {
        let ca = try TestCA(testCase: self)
        let registry = try LocalRegistry(testCase: self, tls: ca)

        // --registry-ca
        let (byFlag, built) = try await push("\(registry.host)/tls/flag:1", connection: testConnection(caFiles: [ca.certificate.path]))
        XCTAssertEqual(byFlag.digest, built.manifestDigest)
        XCTAssertEqual(try skopeoDigest("\(registry.host)/tls/flag:1", ca: ca), built.manifestDigest)

        // Docker's /etc/docker/certs.d/HOST:PORT/ca.crt and containers' /etc/containers/certs.d/HOST:PORT/*.crt,
        // under roots named by CONTAINERIZE_CERTS_D.
        for (fileName, label) in [("ca.crt", "docker"), ("my-registry.crt", "containers")] {
            let root = try temporaryDirectory(self, "certs.d-\(label)")
            let directory = root.appendingPathComponent(registry.host)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: ca.certificate, to: directory.appendingPathComponent(fileName))
            let connection = ConnectionOptions(timeout: 10, environment: ["CONTAINERIZE_CERTS_D": "/nonexistent:\(root.path)"])
            XCTAssertEqual(connection.certsDirectoryRoots, ["/nonexistent", root.path])
            let (report, image) = try await push("\(registry.host)/tls/\(label):1", connection: connection)
            XCTAssertEqual(report.digest, image.manifestDigest, label)
        }

        // SSL_CERT_FILE
        let (byEnvironment, image) = try await push("\(registry.host)/tls/env:1",
                                                    connection: testConnection(environment: ["SSL_CERT_FILE": ca.certificate.path]))
        XCTAssertEqual(byEnvironment.digest, image.manifestDigest)
    }

    func testTLSWithoutVerificationPushes() async throws {
        let ca = try TestCA(testCase: self)
        let registry = try LocalRegistry(testCase: self, tls: ca)
        let (report, built) = try await push("\(registry.host)/tls/noverify:1", connection: testConnection(verifyTLS: false))
        XCTAssertEqual(report.digest, built.manifestDigest)
        XCTAssertEqual(try skopeoDigest("\(registry.host)/tls/noverify:1", ca: ca), built.manifestDigest)
    }

    func testLocalhostHTTPSRegistryWorksWithoutFlagsWhenItsCAIsTrusted() async throws {
        let ca = try TestCA(testCase: self)
        let registry = try LocalRegistry(testCase: self, listen: "localhost", tls: ca)
        let root = try temporaryDirectory(self, "certs.d")
        try FileManager.default.createDirectory(at: root.appendingPathComponent(registry.host), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ca.certificate, to: root.appendingPathComponent(registry.host).appendingPathComponent("ca.crt"))
        let log = LogRecorder()
        let (report, built) = try await push("\(registry.host)/local/app:1", connection: testConnection(certsDirectoryRoots: [root.path]), log: log)
        XCTAssertEqual(report.digest, built.manifestDigest)
        XCTAssertFalse(log.lines.contains { $0.contains("plain HTTP") }, "it spoke HTTPS: \(log.lines)")
    }

    func testUnusableCAFileIsAClearError() async throws {
        let work = try temporaryDirectory(self)
        let notPEM = work.appendingPathComponent("not.pem")
        try Data("hello".utf8).write(to: notPEM)
        for (file, reason) in [(notPEM.path, "no PEM certificate"), (work.appendingPathComponent("missing.pem").path, "does not exist")] {
            do {
                _ = try await push("127.0.0.1:1/x:1", connection: testConnection(caFiles: [file]))
                XCTFail("\(file) must be refused")
            } catch let error as RegistryError {
                guard case let .unusableCAFile(path, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, file)
                XCTAssertTrue(error.description.contains(reason), error.description)
            }
        }
    }

    func testIPv6LiteralRegistryPlainAndHTTPSWithBasicAuth() async throws {
        let plain = try LocalRegistry(testCase: self, listen: "[::1]")
        XCTAssertTrue(plain.host.hasPrefix("[::1]:"))
        let log = LogRecorder()
        let (report, built) = try await push("\(plain.host)/v6/app:1", connection: testConnection(), log: log)
        XCTAssertEqual(report.pinnedReference, "\(plain.host)/v6/app@\(built.manifestDigest)")
        // skopeo 1.9 cannot parse IPv6-literal references; ask the registry with curl.
        let headers = try runChecked("curl", ["-gsI", "-H", "Accept: application/vnd.oci.image.manifest.v1+json", "http://\(plain.host)/v2/v6/app/manifests/1"])
        XCTAssertTrue(headers.contains("Docker-Content-Digest: \(built.manifestDigest)"), headers)

        let ca = try TestCA(testCase: self)
        let password = "v6-Secret-pw"
        let secure = try LocalRegistry(testCase: self, user: "pusher", password: password, listen: "[::1]", tls: ca)
        let secureLog = LogRecorder()
        let (secureReport, secureBuilt) = try await push("\(secure.host)/v6/private:1", connection: testConnection(caFiles: [ca.certificate.path]),
                                                         environment: ["CONTAINERIZE_REGISTRY_USERNAME": "pusher", "CONTAINERIZE_REGISTRY_PASSWORD": password],
                                                         log: secureLog)
        XCTAssertEqual(secureReport.digest, secureBuilt.manifestDigest)
        assertNoSecrets(secureLog.lines + log.lines, [password])
    }

    func testClientCertificateFromCertsDirectoryForMutualTLS() async throws {
        let ca = try TestCA(testCase: self)
        let registry = try LocalRegistry(testCase: self, tls: ca, extraArguments: ["--tls-client-ca", ca.certificate.path])
        let log = LogRecorder()
        let started = Date()
        let emptyRoot = try temporaryDirectory(self, "empty-certs.d")
        do {
            _ = try await push("\(registry.host)/mtls/app:1", connection: testConnection(caFiles: [ca.certificate.path], certsDirectoryRoots: [emptyRoot.path]), log: log)
            XCTFail("the registry requires a client certificate")
        } catch let error as RegistryError {
            guard case .clientCertificateRefused = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.description.contains("client.cert and client.key"), error.description)
            // The folders in effect (CONTAINERIZE_CERTS_D's here), not the /etc defaults it replaced.
            XCTAssertTrue(error.description.contains("in \(emptyRoot.path)/\(registry.host)/ (CONTAINERIZE_CERTS_D=DIR[:DIR] replaces"), error.description)
            XCTAssertFalse(error.description.contains("/etc/docker/certs.d"), error.description)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertFalse(log.lines.contains { $0.contains("retrying") }, "\(log.lines)")

        let root = try temporaryDirectory(self, "certs.d")
        let directory = root.appendingPathComponent(registry.host)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ca.certificate, to: directory.appendingPathComponent("ca.crt"))
        try ca.makeClientCertificate(in: directory)
        let (report, built) = try await push("\(registry.host)/mtls/app:1", connection: testConnection(certsDirectoryRoots: [root.path]))
        XCTAssertEqual(report.digest, built.manifestDigest)

        try FileManager.default.removeItem(at: directory.appendingPathComponent("client.key"))
        do {
            _ = try await push("\(registry.host)/mtls/app:2", connection: testConnection(certsDirectoryRoots: [root.path]))
            XCTFail("a client certificate without its key must be refused")
        } catch let error as RegistryError {
            XCTAssertTrue(error.description.contains("has no readable key"), error.description)
        }
    }
}
