import Foundation

/// SwiftPM resource bundles (`<package>_<target>.resources`) that an executable reads through
/// `Bundle.module`. On Linux the generated accessor looks next to the executable first
/// (`Bundle.main.bundleURL`, which is `/` for `/<product>` in the image), so each bundle the binary
/// names goes to `/<package>_<target>.resources`.
public enum ResourceBundles {
    public static let suffix = ".resources"

    /// The bundles in the executable's folder whose names the executable contains (the accessor
    /// compiles the name in), sorted; bundles of other products built into the same folder are skipped.
    public static func referenced(byExecutable executablePath: String) throws -> [String] {
        let folder = (executablePath as NSString).deletingLastPathComponent
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? [])
            .filter { $0.hasSuffix(suffix) && $0.count > suffix.count }
            .filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
            }
        guard !candidates.isEmpty else { return [] }
        let named = try BinaryStrings.find(candidates, in: executablePath)
        return candidates.filter(named.contains).sorted().map { folder + "/" + $0 }
    }

    /// The image destination of a bundle: beside the executable at the image root.
    public static func imagePath(of bundle: String) -> String {
        "/" + (bundle as NSString).lastPathComponent
    }
}
