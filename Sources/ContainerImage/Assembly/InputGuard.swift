import Foundation

/// Refuses outputs that would overwrite what the image is made from.
public enum InputGuard {
    /// Fails when an output path is one of the input files (same path or same inode) or lies
    /// inside an input directory.
    public static func refuseOverwriting(inputs: [String], directories: [String], outputs: [String]) throws {
        var inputIDs: [String: String] = [:]
        for input in inputs {
            var info = stat()
            if stat(input, &info) == 0 { inputIDs["\(info.st_dev):\(info.st_ino)"] = input }
        }
        for output in outputs {
            let resolvedOutput = resolved(output)
            if let input = inputs.first(where: { resolved($0) == resolvedOutput }) { throw OutputError.outputIsInput(output: output, input: input) }
            var info = stat()
            if stat(output, &info) == 0, let input = inputIDs["\(info.st_dev):\(info.st_ino)"] {
                throw OutputError.outputIsInput(output: output, input: input)
            }
            for directory in directories {
                var directoryInfo = stat()
                guard stat(directory, &directoryInfo) == 0, (directoryInfo.st_mode & S_IFMT) == S_IFDIR else { continue }
                let root = resolved(directory)
                if resolvedOutput.hasPrefix(root.hasSuffix("/") ? root : root + "/") { throw OutputError.outputIsInput(output: output, input: directory) }
            }
        }
    }

    /// The path with symlinks in its directory resolved (the last component may not exist yet).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        guard let real = realpath(parent, nil) else { return url.standardizedFileURL.path }
        defer { free(real) }
        let base = String(cString: real)
        return (base == "/" ? "" : base) + "/" + url.lastPathComponent
    }
}
