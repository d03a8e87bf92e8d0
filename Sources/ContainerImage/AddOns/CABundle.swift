import Foundation

/// The CA bundle add-on: the host's bundle (what TLS stacks read by default) with the
/// certificates of `--ca-file` PEM files appended, written to /etc/ssl/certs/ca-certificates.crt.
public enum CABundle {
    /// Where the image gets it: Debian's path, which libcurl (Debian's build), swift-nio-ssl, Go
    /// and OpenSSL-based stacks on Debian all read.
    public static let imagePath = "/" + ImageAssembler.caBundleImagePath
    /// In a binary or a bundled library: a TLS stack's default CA location.
    public static let markers = [
        "/etc/ssl/certs", "/etc/pki/tls/certs", "/etc/ssl/cert.pem", "/usr/lib/ssl/cert.pem", "/etc/ssl/ca-bundle.pem",
    ]
    /// Other stacks' default bundle files, by the marker that shows a binary reads them: each gets a
    /// symlink to `imagePath` when its marker is found (OpenSSL's OPENSSLDIR, RHEL-built stacks, …).
    public static let aliases: [(marker: String, path: String)] = [
        ("/etc/pki/tls/certs", "/etc/pki/tls/certs/ca-bundle.crt"),
        ("/etc/ssl/cert.pem", "/etc/ssl/cert.pem"),
        ("/usr/lib/ssl/cert.pem", "/usr/lib/ssl/cert.pem"),
        ("/etc/ssl/ca-bundle.pem", "/etc/ssl/ca-bundle.pem"),
    ]
    /// A certificate file is kilobytes; anything this large is a mistake.
    public static let maximumCAFileSize = 8_000_000
    public static let begin = "-----BEGIN CERTIFICATE-----"
    public static let end = "-----END CERTIFICATE-----"

    /// The certificate blocks of a PEM file, each line kept as written (from a BEGIN CERTIFICATE
    /// line to its END line, inclusive), each line followed by a newline: the same bytes as
    /// `sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' FILE`, which the
    /// rendered Dockerfile runs. Refuses files with private keys, without certificates, or with a
    /// block that does not decode.
    public static func certificates(inPEMFile path: String) throws -> (bytes: [UInt8], count: Int) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw AddOnError.caFileUnreadable(path) }
        guard Int(info.st_size) <= maximumCAFileSize else { throw AddOnError.caFileTooLarge(path, limit: maximumCAFileSize) }
        guard let data = FileManager.default.contents(atPath: path) else { throw AddOnError.caFileUnreadable(path) }
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("PRIVATE KEY-----") { throw AddOnError.caFileHasPrivateKey(path) }
        var output: [UInt8] = []
        var count = 0
        var block: [Substring]?
        var blockStart = 0
        // "\r\n" is one Character in Swift: split on it too, or a CRLF file is one long line.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            if block == nil, line.contains(begin) {
                block = [line]
                blockStart = index + 1
                continue
            }
            guard block != nil else { continue }
            block!.append(line)
            if line.contains(end) {
                let body = block!.dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined()
                guard let der = Data(base64Encoded: body), der.count > 100, der.first == 0x30 else {
                    throw AddOnError.caFileMalformed(path, line: blockStart)
                }
                for blockLine in block! { output += Array(blockLine.utf8) + [0x0a] }
                count += 1
                block = nil
            }
        }
        if block != nil { throw AddOnError.caFileMalformed(path, line: blockStart) }
        guard count > 0 else { throw AddOnError.caFileHasNoCertificate(path) }
        return (output, count)
    }

    /// `base` (the host bundle, or nothing) followed by each file's certificates; a base that does
    /// not end with a newline gets one, so the first appended certificate starts on its own line.
    static func combine(base: [UInt8]?, extra: [[UInt8]]) -> [UInt8] {
        var bundle = base ?? []
        if let last = bundle.last, last != 0x0a { bundle.append(0x0a) }
        for certificates in extra { bundle += certificates }
        return bundle
    }
}
