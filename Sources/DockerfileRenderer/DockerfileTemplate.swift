import Foundation

/// Where the template comes from: a project-local `Dockerfile.template` wins over the packaged one.
public enum DockerfileTemplate {
    /// The file name of the template, both in this repository and in a user's package root.
    public static let fileName = "Dockerfile.template"

    /// The `Dockerfile.template` shipped at the root of this package (found from this source file's
    /// location, which SwiftPM keeps in place for path dependencies and checkouts alike).
    public static var packaged: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Sources/DockerfileRenderer
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // package root
            .appendingPathComponent(fileName)
    }

    /// The template to use for a package: `explicit` if given, else `<packageRoot>/Dockerfile.template`
    /// if it exists, else the packaged one.
    public static func locate(explicit: String?, packageRoot: URL) -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        let local = packageRoot.appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return packaged
    }

    /// Reads a template as UTF-8.
    public static func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw DockerfileRendererError.templateUnreadable(path: url.path, reason: describe(error))
        }
    }

    private static func describe(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain, let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        return nsError.localizedDescription
    }
}
