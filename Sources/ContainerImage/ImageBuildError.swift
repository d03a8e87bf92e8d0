public enum ImageBuildError: Error, CustomStringConvertible, Equatable {
    case executableNotFound(String)
    case executableIsDirectory(String)
    case notStatic(path: String, interpreter: String)
    case unreadable(String)
    case notRegularFile(String)
    case resourceNotFound(String)
    case duplicatePath(String)
    case invalidImagePath(String)
    case noCABundle(searched: [String])
    case invalidTag(String)

    public var description: String {
        switch self {
        case .executableNotFound(let path):
            return "executable not found at \(path); build it first (swift build -c release --static-swift-stdlib -Xswiftc -static-executable) and pass its path"
        case .executableIsDirectory(let path):
            return "\(path) is a directory; pass the executable file inside it, e.g. \(path.hasSuffix("/") ? path : path + "/")NAME"
        case .notStatic(let path, let interpreter):
            return "\(path) is dynamically linked (needs \(interpreter)) and would not start on scratch; rebuild it with --static-swift-stdlib -Xswiftc -static-executable, or pass --bundle-shared-libraries to copy its libraries and loader into the image"
        case .unreadable(let path):
            return "cannot read \(path); check that it exists and is readable"
        case .notRegularFile(let path):
            return "\(path) is not a regular file, directory or symlink; only those can go into the image"
        case .resourceNotFound(let path):
            return "resource \(path) does not exist; check the --resource SRC[:DEST] path"
        case .duplicatePath(let path):
            return "two files would be written to \(path) in the image; give one of them another --resource destination"
        case .invalidImagePath(let path):
            return "'\(path)' is not a valid path inside the image; use an absolute path without '..'"
        case .noCABundle(let searched):
            return "--ca-certificates: no CA bundle found on this machine (looked at \(searched.joined(separator: ", "))); install ca-certificates or add the bundle with --resource FILE:/etc/ssl/certs/ca-certificates.crt"
        case .invalidTag(let text):
            return "'\(text)' is not a valid image reference; use NAME:TAG with a lowercase name, e.g. helloweb:1.0"
        }
    }
}
