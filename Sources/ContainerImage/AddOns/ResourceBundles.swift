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
        let parent = (executablePath as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(suffix) && $0.count > suffix.count }
            .filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
            }
        guard !candidates.isEmpty else { return [] }
        let named = try BinaryStrings.find(candidates, in: executablePath)
        // A bundle folder that is itself a symlink is copied from where it points.
        let bundles = candidates.filter(named.contains).sorted().map { ((folder + "/" + $0) as NSString).resolvingSymlinksInPath }
        for bundle in bundles { try checkSymlinksStayInside(bundle) }
        return bundles
    }

    /// Refuses a symlink in the bundle that points outside it (absolute, or `..` past its root):
    /// copied as a symlink it would dangle in the image, and `Bundle.module` would fail at run time.
    static func checkSymlinksStayInside(_ bundle: String) throws {
        var pending = [""]
        while let relative = pending.popLast() {
            let path = relative.isEmpty ? bundle : bundle + "/" + relative
            for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                let childRelative = relative.isEmpty ? child : relative + "/" + child
                let childPath = bundle + "/" + childRelative
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: childPath) {
                    var depth = childRelative.split(separator: "/").count - 1
                    var escapes = target.hasPrefix("/")
                    for component in target.split(separator: "/") where !escapes {
                        if component == ".." { depth -= 1 } else if component != "." { depth += 1 }
                        if depth < 0 { escapes = true }
                    }
                    if escapes { throw AddOnError.bundleSymlinkEscapes(bundle: bundle, link: childRelative, target: target) }
                    continue
                }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: childPath, isDirectory: &isDirectory), isDirectory.boolValue {
                    pending.append(childRelative)
                }
            }
        }
    }

    /// The image destination of a bundle: beside the executable at the image root.
    public static func imagePath(of bundle: String) -> String {
        "/" + (bundle as NSString).lastPathComponent
    }
}
