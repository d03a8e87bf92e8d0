import OCIModel

/// Declared platforms (`--platform linux/arm64`, `--executable linux/arm64=PATH`) and the check that an
/// executable really is built for the platform it is declared as: an image index that says arm64 over
/// an x86-64 binary would only fail later, on someone else's machine, with `exec format error`.
extension Platform {
    /// Parses `os/architecture[/variant]` as users write it (`linux/arm64`, `linux/amd64`,
    /// `linux/arm/v7`), lower-cased, with the usual aliases (`aarch64` → `arm64`, `x86_64` → `amd64`).
    /// The variant is only what was written: `linux/arm64` and `linux/arm64/v8` are both accepted.
    public init(parsing text: String) throws(PlatformError) {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isNameCharacter) }) else {
            throw .malformed(text)
        }
        guard parts[0] == "linux" else { throw .unsupportedOS(text) }
        let aliases = ["aarch64": "arm64", "x86_64": "amd64", "x86-64": "amd64"]
        self.init(architecture: aliases[parts[1]] ?? parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }
}

/// Whether an executable fits the platform it is declared as.
public enum PlatformCheck {
    /// Throws `PlatformError.mismatch` unless the ELF machine of `executable` (read from the file at
    /// `path`) is the declared platform's architecture. The ELF header does not record an arm variant,
    /// so a declared variant is taken as written.
    public static func check(_ executable: ELFExecutable, at path: String, declaredAs platform: Platform) throws(PlatformError) {
        guard executable.architecture == platform.architecture else {
            throw .mismatch(path: path, declared: platform.name, actual: "linux/" + executable.architecture)
        }
    }
}

/// A declared platform that cannot be used, with what to do instead.
public enum PlatformError: Error, CustomStringConvertible, Equatable {
    case malformed(String)
    case unsupportedOS(String)
    case mismatch(path: String, declared: String, actual: String)

    public var description: String {
        switch self {
        case .malformed(let text):
            return "'\(text)' is not a platform; write os/architecture[/variant], e.g. linux/arm64 or linux/amd64"
        case .unsupportedOS(let text):
            return "'\(text)' is not a Linux platform; container images here hold Linux executables (linux/amd64, linux/arm64)"
        case .mismatch(let path, let declared, let actual):
            let sdk = declared.split(separator: "/").prefix(2).joined(separator: "-")
            let how = ["linux-arm64", "linux-amd64"].contains(sdk)
                ? " (Embedded Swift: scripts/make-swift-sdk.sh, then swift build --swift-sdk embedded-\(sdk))" : ""
            return "\(path) is a \(actual) executable but is declared as \(declared); build it for \(declared)\(how) or declare it as \(actual)"
        }
    }
}
