public enum ImageBuildError: Error, CustomStringConvertible, Equatable {
    case executableNotFound(String)
    case executableIsDirectory(String)
    case notStatic(path: String, interpreter: String)
    case unreadable(String)
    case notRegularFile(String)
    case resourceNotFound(String)
    case duplicatePath(String, first: String, second: String)
    case fileIsParent(file: String, fileOrigin: String, child: String, childOrigin: String)
    case throughSymlink(path: String, origin: String, link: String, target: String)
    case escapingSymlink(link: String, target: String, origin: String, boundary: String)
    case notAnExecutable(path: String, reason: String)
    case invalidImagePath(String)
    case whiteoutName(path: String, origin: String)
    case hidesBaseEntry(path: String, origin: String, base: String)
    case underBaseSymlink(path: String, origin: String, link: String, target: String, real: String)
    /// The base's links on the way to a file we generate or bundle loop (more than 40 links).
    case baseLinksLoop(path: String)
    case noCABundle(searched: [String])
    case duplicatePlatform(String)
    case singlePlatformOutput(kind: String)

    public var description: String {
        switch self {
        case .executableNotFound(let path):
            return "executable not found at \(path); build it first (swift build -c release --static-swift-stdlib -Xswiftc -static-executable) and pass its path"
        case .executableIsDirectory(let path):
            return "\(path) is a directory; pass the executable file inside it, e.g. \(path.hasSuffix("/") ? path : path + "/")NAME"
        case .notStatic(let path, let interpreter):
            return "\(path) is dynamically linked (needs \(interpreter)) and would not start on scratch; rebuild it with --static-swift-stdlib -Xswiftc -static-executable, or bundle its shared libraries and loader into the image"
        case .unreadable(let path):
            return "cannot read \(path); check that it exists and is readable"
        case .notRegularFile(let path):
            return "\(path) is not a regular file, directory or symlink; only those can go into the image"
        case .resourceNotFound(let path):
            return "resource \(path) does not exist; check the resource's source path"
        case .duplicatePath(let path, let first, let second):
            return "two sources for \(path) in the image: \(first) and \(second); give one of them another destination"
        case .fileIsParent(let file, let fileOrigin, let child, let childOrigin):
            return "\(fileOrigin) puts a file or link at \(file), but \(child) (\(childOrigin)) needs \(file) to be a directory; choose another name or destination"
        case .throughSymlink(let path, let origin, let link, let target):
            return "\(path) (\(origin)) would be written through the symlink \(link) → \(target); choose a destination that is not below a symlink"
        case .escapingSymlink(let link, let target, let origin, let boundary):
            return "the symlink \(link) → \(target) (\(origin)) points outside \(boundary); copy what it points to instead of the link"
        case .notAnExecutable(let path, let reason):
            return "\(path) is not an executable program (\(reason)); pass the linked executable, not a shared library"
        case .invalidImagePath(let path):
            return "'\(path)' is not a valid path inside the image; use an absolute path without '..'"
        case .whiteoutName(let path, let origin):
            return "\(path) (\(origin)) has a name starting with '\(FileTree.whiteoutPrefix)', which image layers read as an order to delete files below it (a whiteout); rename it or leave it out"
        case .hidesBaseEntry(let path, let origin, let base):
            return "\(path) (\(origin)) would hide what the base image has there (\(base)); choose a destination the base does not have"
        case .underBaseSymlink(let path, let origin, let link, let target, let real):
            return "\(path) (\(origin)) is below the base image's symlink \(link) → \(target), which would become a directory hiding the base's files there; put it at \(real) instead"
        case .baseLinksLoop(let path):
            return "the base image's symlinks on the way to \(path) loop, so that file of ours has no place in it; leave its add-on out (--no-ca-certificates, --no-tzdata; a bundled library: link statically) or fix the base's links"
        case .duplicatePlatform(let platform):
            return "two executables are declared as \(platform); give one executable per platform"
        case .singlePlatformOutput(let kind):
            return "a \(kind) holds one platform's image; choose it with --platform os/arch"
        case .noCABundle(let searched):
            return "no CA bundle found on this machine (looked at \(searched.joined(separator: ", "))); install ca-certificates or add a bundle as a resource at /etc/ssl/certs/ca-certificates.crt"
        }
    }
}
