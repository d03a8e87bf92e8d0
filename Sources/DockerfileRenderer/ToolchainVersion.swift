/// The MAJOR.MINOR version of the Swift compiler this module was built with.
///
/// `containertool` is built by the toolchain that runs `swift package containerize`, so this is the
/// version of the builder image that matches the user's toolchain (`swift:<version>-bookworm`).
public enum ToolchainVersion {
    public static var current: String {
        #if compiler(>=7.0)
        return "7.0"
        #elseif compiler(>=6.9)
        return "6.9"
        #elseif compiler(>=6.8)
        return "6.8"
        #elseif compiler(>=6.7)
        return "6.7"
        #elseif compiler(>=6.6)
        return "6.6"
        #elseif compiler(>=6.5)
        return "6.5"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }
}
