import Foundation

/// How registries are reached: TLS or not, which CAs are trusted, how long to wait.
///
/// TLS is verified by default for every host. Extra CAs come from `caFiles` (`--registry-ca`), from
/// `ROOT/HOST[:PORT]/*.crt` under each of `certsDirectoryRoots` (default `/etc/containers/certs.d`
/// and `/etc/docker/certs.d`, so Docker's `ca.crt` is found too; `CONTAINERIZE_CERTS_D` overrides
/// them, colon-separated, like skopeo's `--cert-dir`), and `SSL_CERT_FILE` / `SSL_CERT_DIR`
/// replace the system bundle and directory as in OpenSSL. A `NAME.cert` with its `NAME.key` in such
/// a `HOST[:PORT]` directory is the client certificate for that registry (mutual TLS), as in Docker.
public struct ConnectionOptions: Sendable, Equatable {
    /// Talk plain HTTP to every registry (`--plain-http`).
    public var plainHTTP: Bool
    /// Verify certificates (`--tls-verify=false` turns this off: TLS still, but trusting anyone).
    public var verifyTLS: Bool
    /// Extra PEM CA files trusted for every registry.
    public var caFiles: [String]
    /// Where `HOST[:PORT]/*.crt` directories are looked up.
    public var certsDirectoryRoots: [String]
    /// Connect timeout and inactivity timeout of every request, in seconds (`--registry-timeout`).
    public var timeout: Double
    /// Supplies `SSL_CERT_FILE`, `SSL_CERT_DIR`.
    public var environment: [String: String]

    public static let defaultCertsDirectoryRoots = ["/etc/containers/certs.d", "/etc/docker/certs.d"]
    public static let defaultTimeout: Double = 30

    public init(plainHTTP: Bool = false, verifyTLS: Bool = true, caFiles: [String] = [], certsDirectoryRoots: [String]? = nil,
                timeout: Double = ConnectionOptions.defaultTimeout,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.plainHTTP = plainHTTP
        self.verifyTLS = verifyTLS
        self.caFiles = caFiles
        self.certsDirectoryRoots = certsDirectoryRoots
            ?? environment["CONTAINERIZE_CERTS_D"].map { $0.split(separator: ":").map(String.init) }
            ?? Self.defaultCertsDirectoryRoots
        self.timeout = timeout
        self.environment = environment
    }

    /// The CA files trusted in addition to the base bundle for `registry` (`host[:port]` as written).
    func extraCAFiles(for registry: String) -> [String] {
        var files = caFiles
        for root in certsDirectoryRoots {
            let directory = root + "/" + registry
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            files += names.filter { $0.hasSuffix(".crt") }.sorted().map { directory + "/" + $0 }
        }
        return files
    }

    /// The first `NAME.cert` (with `NAME.key` beside it) in the certs.d directories of `registry`.
    func clientCertificate(for registry: String) throws -> (certificate: String, key: String)? {
        for root in certsDirectoryRoots {
            let directory = root + "/" + registry
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for name in names.filter({ $0.hasSuffix(".cert") }).sorted() {
                let key = directory + "/" + name.dropLast(".cert".count) + ".key"
                guard FileManager.default.isReadableFile(atPath: key) else {
                    throw RegistryError.unusableCAFile(path: directory + "/" + name, reason: "the client certificate has no readable key \(key) beside it")
                }
                return (directory + "/" + name, key)
            }
        }
        return nil
    }

    /// The transport settings for `registry`: timeouts, the client certificate, and the CA bundle
    /// (system or `SSL_CERT_FILE`, plus extras).
    func transportSettings(for registry: String) throws -> (settings: TransportSettings, extraCAs: [String]) {
        var settings = TransportSettings()
        settings.connectTimeout = timeout
        settings.inactivityTimeout = timeout
        settings.verifyTLS = verifyTLS
        if let client = try clientCertificate(for: registry) {
            settings.clientCertificate = client.certificate
            settings.clientKey = client.key
        }
        let extras = extraCAFiles(for: registry)
        let certFile = environment["SSL_CERT_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let certDirectory = environment["SSL_CERT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        guard !extras.isEmpty || certFile != nil || certDirectory != nil else { return (settings, []) }

        var bundle = Data()
        if let certFile {
            bundle += try Self.readPEM(certFile)
        } else if let system = Self.systemBundle, let data = FileManager.default.contents(atPath: system) {
            bundle += data
        }
        for file in extras { bundle += Data("\n".utf8) + (try Self.readPEM(file)) }
        settings.caBundle = bundle
        settings.caDirectory = certDirectory ?? (certFile == nil ? Self.systemDirectory : nil)
        return (settings, extras)
    }

    static let systemBundle = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        .first { FileManager.default.fileExists(atPath: $0) }
    static let systemDirectory: String? = FileManager.default.fileExists(atPath: "/etc/ssl/certs") ? "/etc/ssl/certs" : nil

    static func readPEM(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError.unusableCAFile(path: path, reason: FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist")
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw RegistryError.unusableCAFile(path: path, reason: "it holds no PEM certificate")
        }
        return data
    }
}
