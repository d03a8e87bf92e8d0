/// What can go wrong while choosing and reading the image's add-ons; each message says what to do.
public enum AddOnError: Error, CustomStringConvertible, Equatable {
    case noTimeZoneData(directory: String, detected: Bool)
    case noCABundle(searched: [String], detected: Bool)
    case caFileUnreadable(String)
    case caFileTooLarge(String, limit: Int)
    case caFileHasNoCertificate(String)
    case caFileHasPrivateKey(String)
    case caFileMalformed(String, line: Int)
    case conflictsWithResource(path: String, option: String)
    case bundleSymlinkEscapes(bundle: String, link: String, target: String)

    public var description: String {
        switch self {
        case .noTimeZoneData(let directory, let detected):
            let why = detected ? "the executable uses time-zone data (it contains \(TimeZoneData.marker), as Foundation does), but " : "--tzdata: "
            return why + "\(directory) is not a zoneinfo folder on this machine; install tzdata, point TZDIR at a zoneinfo folder, or pass --no-tzdata"
        case .noCABundle(let searched, let detected):
            let why = detected ? "the executable makes TLS connections (it names a CA bundle path), but " : "--ca-certificates: "
            return why + "no CA bundle found on this machine (looked at \(searched.joined(separator: ", "))); install ca-certificates, or pass --no-ca-certificates (with --ca-file PEM to trust only your own CAs)"
        case .caFileUnreadable(let path):
            return "--ca-file \(path) is not a readable regular file; pass the path of a PEM file"
        case .caFileTooLarge(let path, let limit):
            return "--ca-file \(path) is over \(limit / 1_000_000) MB, far more than a certificate file; pass the PEM certificates only"
        case .caFileHasNoCertificate(let path):
            return "--ca-file \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert it with: openssl x509 -in FILE -out FILE.pem"
        case .caFileHasPrivateKey(let path):
            return "--ca-file \(path) contains a private key; refusing to put it into the image. Pass a file with the CA certificates only"
        case .caFileMalformed(let path, let line):
            return "--ca-file \(path): the PEM certificate starting on line \(line) is malformed (no END line or bad base64); re-export it with openssl x509"
        case .conflictsWithResource(let path, let option):
            return "\(option) and a --resource both write \(path); drop that --resource (to add your own CA, use --ca-file PEM, which appends it) or pass the matching --no-… option"
        case .bundleSymlinkEscapes(let bundle, let link, let target):
            return "resource bundle \(bundle) holds a symlink \(link) -> \(target) that points outside the bundle and would dangle in the image; replace it with the file it points to, or pass --no-resource-bundles"
        }
    }
}
