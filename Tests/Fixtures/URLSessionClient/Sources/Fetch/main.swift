// Fetch URL: prints the HTTP status and the body, exits 1 on a transport error.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

guard CommandLine.arguments.count == 2, let url = URL(string: CommandLine.arguments[1]) else {
    FileHandle.standardError.write(Data("usage: Fetch URL\n".utf8))
    exit(2)
}
do {
    let (data, response) = try await URLSession.shared.data(from: url)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    print(status)
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("Fetch: \(error)\n".utf8))
    exit(1)
}
