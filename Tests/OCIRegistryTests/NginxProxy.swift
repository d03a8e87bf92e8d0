import Foundation
import TestSupport
import XCTest

/// nginx in front of a `LocalRegistry`, the way registries often sit behind a proxy: request bodies
/// above `maxBodySize` get 413, `/v2/denied/…` gets 403 and `/v2/gone/…` gets 404; everything else
/// is passed through.
final class NginxProxy: @unchecked Sendable {
    let port: Int
    let directory: URL
    var host: String { "127.0.0.1:\(port)" }

    init(testCase: XCTestCase, upstream: LocalRegistry, maxBodySize: String) throws {
        port = try freeLoopbackPort()
        directory = try temporaryDirectory(testCase, "nginx")
        let d = directory.path
        let config = """
            worker_processes 1;
            daemon on;
            pid \(d)/nginx.pid;
            error_log \(d)/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(d)/body;
                proxy_temp_path \(d)/proxy;
                fastcgi_temp_path \(d)/fastcgi;
                uwsgi_temp_path \(d)/uwsgi;
                scgi_temp_path \(d)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    client_max_body_size \(maxBodySize);
                    location /v2/denied/ { return 403; }
                    location /v2/gone/ { return 404; }
                    location / {
                        proxy_pass http://\(upstream.host);
                        proxy_set_header Host $http_host;
                        proxy_request_buffering off;
                    }
                }
            }
            """
        try Data(config.utf8).write(to: directory.appendingPathComponent("nginx.conf"))
        // `daemon on`: the master forks away; started detached so it holds none of our pipes.
        _ = try startDetached(["nginx", "-c", directory.appendingPathComponent("nginx.conf").path, "-p", d],
                              log: directory.appendingPathComponent("start.log"))
        testCase.addTeardownBlock { [directory] in
            _ = try? runTool("nginx", ["-c", directory.appendingPathComponent("nginx.conf").path, "-p", directory.path, "-s", "stop"])
        }
        for _ in 0..<50 {
            if let result = try? runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://\(host)/v2/"]), result.stdout == "200" { return }
            usleep(100_000)
        }
        throw TestFailure("nginx did not start on \(host)")
    }
}
