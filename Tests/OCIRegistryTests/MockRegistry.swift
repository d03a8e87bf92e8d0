import Foundation
import TestSupport
import XCTest

/// A fault-injecting OCI registry (python3's standard library) with a second "sink" origin on another
/// port that shares its storage, the way a storage backend or CDN sits behind a registry. Blobs,
/// uploads (monolithic and chunked), manifests and cross-repository mounts work for real, so pushes
/// can succeed; `faults` make it misbehave. Every request is logged to `requests` with the origin
/// that received it and the `Authorization` header it carried.
///
/// Faults: `redirect-get` (GET /v2/ → sink), `redirect-head` (blob HEAD → sink), `redirect-put` and
/// `redirect-patch` (upload PUT/PATCH → sink), `redirect-token` (token realm → sink), `redirect-loop`
/// (blob HEAD → itself), `redirect-to-http` (blob HEAD → the sink over plain HTTP), `redirect-chain`
/// (GET /v2/ → /v2/?hop=1 → … → /v2/?hop=9), `no-mount` (mount requests are declined), `huge-headers`
/// (GET /v2/ answers 2 MB of headers), `drip` (GET /v2/ answers a body at one byte per 0.2 s), `short-body`
/// (GET /v2/ announces 1000 bytes and sends 10), `error-503` (the first two blob HEADs get 503),
/// `rate-limit` (the first blob HEAD gets 429 with Retry-After: 1), `sink-challenge` (the sink answers
/// every /v2/ request with its own Bearer challenge, realm on the sink), `echo-auth` (upload POSTs
/// get a 400 whose body echoes the request's Authorization header), `drop-upload` (the second upload
/// PATCH/PUT with a body gets half its body read, then the connection is closed without an answer),
/// `shrink-blob-file`/`grow-blob-file` (the first upload PATCH first truncates the file
/// `blobFile` to half its size, or appends a byte to it, as if something rewrote the layout mid-push),
/// `corrupt-blob-file` (the same, but overwrites the file's last 16 bytes with zeros, keeping its size).
/// Blob GETs serve what was pushed; `corrupt-blob-get` flips the last byte, `long-blob-get` appends bytes, `short-blob-get` drops the last byte,
/// `endless-blob-get` streams zeros without end (chunked), `redirect-blob-get` sends the GET to the sink.
/// `lying-manifest-digest`: manifest GETs state a Docker-Content-Digest of zeros. `moving-tag`: the second and
/// later GETs of a tag serve what was pushed as `TAG.moved` (a tag moved during a build).
/// `auth`: `basic` (user/password on the main origin) or `bearer` (token realm on the main origin,
/// Basic credentials there, or a POST with `grant_type=refresh_token` and the password as the
/// identity token; the registry then accepts the token) or nil.
final class MockRegistry: @unchecked Sendable {
    let port: Int
    let sinkPort: Int
    let directory: URL
    let tls: Bool
    var host: String { "127.0.0.1:\(port)" }
    var sinkHost: String { "127.0.0.1:\(sinkPort)" }

    struct Request: Decodable {
        var origin: String
        var method: String
        var path: String
        var authorization: String?
    }

    /// Every request so far, oldest first (the readiness checks left out).
    var requests: [Request] { allRequests.filter { $0.path != "/ready" } }

    private var allRequests: [Request] {
        let text = (try? String(contentsOf: directory.appendingPathComponent("requests.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// `certificate`/`key`: serve the main origin over HTTPS with them (the sink stays plain HTTP).
    init(testCase: XCTestCase, faults: Set<String> = [], auth: String? = nil, user: String = "pusher", password: String = "",
         certificate: URL? = nil, key: URL? = nil, blobFile: URL? = nil) throws {
        port = try freeLoopbackPort()
        sinkPort = try freeLoopbackPort()
        directory = try temporaryDirectory(testCase, "mock-registry")
        tls = certificate != nil
        let script = try Self.source
        let config: [String: Any] = ["port": port, "sink_port": sinkPort, "faults": faults.sorted(), "auth": auth ?? "",
                                     "user": user, "password": password, "cert": certificate?.path ?? "", "key": key?.path ?? "",
                                     "log": directory.appendingPathComponent("requests.log").path,
                                     "blob_file": blobFile?.path ?? ""]
        let configFile = directory.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)
        let pid = try startDetached(["python3", script.path, configFile.path], log: directory.appendingPathComponent("server.log"))
        testCase.addTeardownBlock { kill(pid, SIGKILL) }
        for _ in 0..<100 {
            let main = try? runTool("curl", ["-sk", "-o", "/dev/null", "\(tls ? "https" : "http")://\(host)/ready"])
            let sink = try? runTool("curl", ["-s", "-o", "/dev/null", "http://\(sinkHost)/ready"])
            if main?.status == 0 && sink?.status == 0 { return }
            usleep(100_000)
        }
        throw TestFailure("the mock registry did not start: \((try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? "")")
    }

    /// The registry program, a resource file (python3's standard library only).
    static var source: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "mock_registry", withExtension: "py", subdirectory: "Resources") else {
                throw TestFailure("Resources/mock_registry.py is not in the test bundle")
            }
            return url
        }
    }
}

/// A server that accepts connections and never answers (a hung registry or load balancer).
final class SilentServer: @unchecked Sendable {
    let port: Int
    var host: String { "127.0.0.1:\(port)" }

    init(testCase: XCTestCase) throws {
        port = try freeLoopbackPort()
        let directory = try temporaryDirectory(testCase, "silent-server")
        let script = """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", \(port))); s.listen(64)
            held = []
            while True:
                c, _ = s.accept(); held.append(c)
            """
        try Data(script.utf8).write(to: directory.appendingPathComponent("silent.py"))
        let pid = try startDetached(["python3", directory.appendingPathComponent("silent.py").path], log: directory.appendingPathComponent("log"))
        testCase.addTeardownBlock { kill(pid, SIGKILL) }
        for _ in 0..<100 {
            if (try? runTool("bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"]))?.status == 0 { return }
            usleep(100_000)
        }
        throw TestFailure("the silent server did not start")
    }
}
