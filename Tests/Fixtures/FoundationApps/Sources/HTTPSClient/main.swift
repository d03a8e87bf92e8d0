import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// GETs the URL given as the first argument and prints "STATUS BODY"; exits 1 on a transport error
// (e.g. an untrusted certificate: the CA bundle in the image decides).
guard CommandLine.arguments.count == 2, let url = URL(string: CommandLine.arguments[1]) else {
    print("usage: https-client URL")
    exit(2)
}
do {
    let (data, response) = try await URLSession.shared.data(from: url)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    print("\(status) \(String(decoding: data, as: UTF8.self))")
} catch {
    print("error: \(error.localizedDescription)")
    exit(1)
}
