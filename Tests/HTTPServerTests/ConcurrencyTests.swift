import Synchronization
import XCTest

final class ConcurrencyTests: ServerTestCase {
    /// 1024 connections open at once, each doing several keep-alive requests, from 8 threads.
    func testManyConcurrentConnections() throws {
        let threads = 8
        let connectionsPerThread = 128
        let requestsPerConnection = 4
        let port = server.port
        let failures = FailureCounter()
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            do {
                var clients: [TestClient] = []
                for _ in 0..<connectionsPerThread { clients.append(try TestClient(port: port)) }
                for round in 0..<requestsPerConnection {
                    for client in clients { try client.send("GET /\(round) HTTP/1.1\r\nHost: a\r\n\r\n") }
                    for client in clients {
                        let response = try client.readResponse()
                        if response.status != 200 || response.bodyText != "Hello world!" { failures.add("bad response \(response.statusLine)") }
                    }
                }
            } catch {
                failures.add("\(error)")
            }
        }
        XCTAssertEqual(failures.messages, [])
    }
}

final class FailureCounter: Sendable {
    private let stored = Mutex<[String]>([])
    func add(_ message: String) { stored.withLock { $0.append(message) } }
    var messages: [String] { stored.withLock { $0 } }
}
