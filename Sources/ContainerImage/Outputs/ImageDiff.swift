import OCIModel
import Foundation

/// What differs between two images: their merged file systems path by path, and their configs field
/// by field (`containertool inspect A --diff B`). Pure: both sides are read before.
public enum ImageDiff {
    public struct Difference: Sendable, Equatable, Codable {
        public enum Change: String, Sendable, Codable {
            /// Only in the second image.
            case added
            /// Only in the first image.
            case removed
            case changed
        }

        /// A file's absolute path, or `config.FIELD` (`config.Env`, `platform`).
        public var path: String
        public var change: Change
        /// For `changed`: what differs, each as `what: first → second`.
        public var details: [String]
    }

    /// Paths only in one image, and paths whose kind, mode, owner, contents or link target differ.
    public static func files(_ first: [ImageFile], _ second: [ImageFile]) -> [Difference] {
        let a = Dictionary(first.map { ($0.path, $0) }, uniquingKeysWith: { $1 })
        let b = Dictionary(second.map { ($0.path, $0) }, uniquingKeysWith: { $1 })
        return Set(a.keys).union(b.keys).sorted().compactMap { path in
            switch (a[path], b[path]) {
            case (nil, _): return Difference(path: path, change: .added, details: [])
            case (_, nil): return Difference(path: path, change: .removed, details: [])
            case let (x?, y?):
                var details: [String] = []
                if x.kind != y.kind { details.append("kind: \(x.kind.rawValue) → \(y.kind.rawValue)") }
                if x.mode != y.mode { details.append("mode: \(x.mode) → \(y.mode)") }
                if x.uid != y.uid || x.gid != y.gid { details.append("owner: \(x.uid):\(x.gid) → \(y.uid):\(y.gid)") }
                if x.kind == y.kind, x.digest != y.digest {
                    details.append("contents: \(x.size.map(String.init) ?? "-") bytes \(short(x.digest)) → \(y.size.map(String.init) ?? "-") bytes \(short(y.digest))")
                }
                if x.target != y.target { details.append("target: \(x.target ?? "-") → \(y.target ?? "-")") }
                return details.isEmpty ? nil : Difference(path: path, change: .changed, details: details)
            }
        }
    }

    /// The platform and each field of the run configuration (`User`, `Env`, `Entrypoint`, …) that
    /// differs, compared as the config JSON writes them.
    public static func configs(_ first: ImageConfig, _ second: ImageConfig) -> [Difference] {
        var differences: [Difference] = []
        let platforms = [first, second].map { "\($0.os)/\($0.architecture)\($0.variant.map { "/" + $0 } ?? "")" }
        if platforms[0] != platforms[1] { differences.append(Difference(path: "platform", change: .changed, details: ["\(platforms[0]) → \(platforms[1])"])) }
        let fields = [first, second].map { fieldsOf($0.config ?? ContainerConfig()) }
        for key in Set(fields[0].keys).union(fields[1].keys).sorted() where fields[0][key] != fields[1][key] {
            let change: Difference.Change = fields[0][key] == nil ? .added : fields[1][key] == nil ? .removed : .changed
            differences.append(Difference(path: "config.\(key)", change: change, details: ["\(fields[0][key] ?? "-") → \(fields[1][key] ?? "-")"]))
        }
        return differences
    }

    /// Each field of the config as canonical JSON text (absent fields are absent).
    private static func fieldsOf(_ config: ContainerConfig) -> [String: String] {
        guard let data = try? CanonicalJSON.encode(config),
              let object = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else { return [:] }
        var fields: [String: String] = [:]
        for (key, value) in object {
            guard let encoded = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) else { continue }
            fields[key] = String(decoding: encoded, as: UTF8.self)
        }
        return fields
    }

    private static func short(_ digest: String?) -> String {
        guard let digest else { return "" }
        return String(digest.prefix(19))  // sha256: and 12 hex digits
    }
}
