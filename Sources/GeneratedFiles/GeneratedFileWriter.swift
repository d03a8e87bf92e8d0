import Foundation

/// Writes generated files with the marker rule: a file without the marker line is never replaced
/// unless `force` is set. All files are checked before any is written, and each is written to a
/// temporary file in the same folder and renamed into place, so a failure leaves no partial file.
public enum GeneratedFileWriter {
    /// - Parameter dryRun: only check and report what would happen (a hand-written file still throws).
    public static func write(_ files: [GeneratedFile], force: Bool, dryRun: Bool = false) throws -> [WriteOutcome] {
        let plan = try files.map { file -> (GeneratedFile, WriteOutcome) in
            (file, try plannedOutcome(for: file, force: force))
        }
        for (file, outcome) in plan where !dryRun && (outcome == .created || outcome == .updated) {
            try replaceAtomically(file.url, with: file.contents)
        }
        return plan.map(\.1)
    }

    private static func plannedOutcome(for file: GeneratedFile, force: Bool) throws -> WriteOutcome {
        guard FileManager.default.fileExists(atPath: file.url.path) else {
            // Checked here, so a dry run before a build finds it, not the write after the build.
            var isFolder: ObjCBool = false
            let folder = file.url.deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw GeneratedFileError.writeFailed(path: file.url.path, reason: "the folder \(folder) does not exist; create it or choose another path")
            }
            return .created
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw GeneratedFileError.writeFailed(path: file.url.path, reason: "it is a folder; give the path of a file")
        }
        let existing = (try? String(contentsOf: file.url, encoding: .utf8)) ?? ""
        if existing == file.contents { return .unchanged }
        if force || GeneratedFile.isGenerated(existing) { return .updated }
        switch file.handWrittenPolicy {
        case .refuse: throw GeneratedFileError.wouldOverwriteHandWrittenFile(path: file.url.path)
        case .keep: return .keptHandWritten
        }
    }

    private static func replaceAtomically(_ url: URL, with contents: String) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try Data(contents.utf8).write(to: temporary, options: [.withoutOverwriting])
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw GeneratedFileError.writeFailed(path: url.path, reason: reason(error))
        }
        guard rename(temporary.path, url.path) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw GeneratedFileError.writeFailed(path: url.path, reason: message)
        }
    }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
