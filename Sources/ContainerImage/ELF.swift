import Foundation

/// What the image needs to know about an ELF executable: its architecture (for the image
/// config) and whether it needs a dynamic loader (`PT_INTERP`), i.e. whether it can start on
/// an empty `scratch` file system.
public struct ELFExecutable: Sendable, Equatable {
    /// OCI architecture name (`amd64`, `arm64`, …).
    public var architecture: String
    /// OCI variant where one is customary (`v8` for arm64, `v7` for 32-bit arm).
    public var variant: String?
    /// The loader path from `PT_INTERP`, nil for a static executable.
    public var interpreter: String?

    public var isStatic: Bool { interpreter == nil }

    /// Reads the ELF header and program headers of the file at `path`.
    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ELFError.unreadable(path: path) }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 64))
        guard header.count >= 52, header[0] == 0x7f, header[1] == UInt8(ascii: "E"), header[2] == UInt8(ascii: "L"), header[3] == UInt8(ascii: "F") else {
            throw ELFError.notELF(path: path)
        }
        let is64 = header[4] == 2
        let littleEndian = header[5] == 1
        func integer(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> Int {
            var value = 0
            for index in 0..<width {
                let byte = Int(bytes[littleEndian ? offset + width - 1 - index : offset + index])
                value = value << 8 | byte
            }
            return value
        }
        let fileType = integer(header, 16, 2)
        guard fileType == 2 || fileType == 3 else { throw ELFError.notExecutable(path: path) }
        let machine = integer(header, 18, 2)
        guard let (architecture, variant) = Self.ociArchitecture(machine: machine, is64: is64, littleEndian: littleEndian) else {
            throw ELFError.unknownArchitecture(path: path, machine: machine)
        }
        self.architecture = architecture
        self.variant = variant

        let programHeaderOffset = is64 ? integer(header, 32, 8) : integer(header, 28, 4)
        let entrySize = is64 ? integer(header, 54, 2) : integer(header, 42, 2)
        let entryCount = is64 ? integer(header, 56, 2) : integer(header, 44, 2)
        guard entryCount > 0 else { interpreter = nil; return }
        try handle.seek(toOffset: UInt64(programHeaderOffset))
        let table = [UInt8](handle.readData(ofLength: entrySize * entryCount))
        guard table.count == entrySize * entryCount else { throw ELFError.truncated(path: path) }
        var interpreter: String?
        for index in 0..<entryCount {
            let base = index * entrySize
            let type = integer(table, base, 4)
            guard type == 3 else { continue } // PT_INTERP
            let offset = is64 ? integer(table, base + 8, 8) : integer(table, base + 4, 4)
            let size = is64 ? integer(table, base + 32, 8) : integer(table, base + 16, 4)
            try handle.seek(toOffset: UInt64(offset))
            let bytes = [UInt8](handle.readData(ofLength: size))
            interpreter = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        self.interpreter = interpreter
    }

    static func ociArchitecture(machine: Int, is64: Bool, littleEndian: Bool) -> (String, String?)? {
        switch machine {
        case 0x3e: return ("amd64", nil)
        case 0xb7: return ("arm64", "v8")
        case 0x03: return ("386", nil)
        case 0x28: return ("arm", "v7")
        case 0xf3: return is64 ? ("riscv64", nil) : nil
        case 0x15: return littleEndian ? ("ppc64le", nil) : ("ppc64", nil)
        case 0x16: return ("s390x", nil)
        case 0x102: return ("loong64", nil)
        default: return nil
        }
    }

    /// The shared-library closure of a dynamic executable as absolute host paths, loader
    /// included, resolved with `ldd` (which asks the executable's own loader).
    public static func sharedLibraryClosure(path: String, interpreter: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ldd", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { throw ELFError.lddFailed(path: path, output: "cannot run ldd: \(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw ELFError.lddFailed(path: path, output: text) }

        var libraries: [String] = [interpreter]
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.contains("=> not found") {
                throw ELFError.missingLibrary(path: path, library: String(line.split(separator: " ").first ?? ""))
            }
            let candidate: Substring
            if let arrow = line.range(of: "=> ") {
                candidate = line[arrow.upperBound...]
            } else {
                candidate = line[...]
            }
            guard let pathPart = candidate.split(separator: " ").first, pathPart.hasPrefix("/") else { continue } // linux-vdso
            let library = String(pathPart)
            if !libraries.contains(library) { libraries.append(library) }
        }
        return libraries
    }
}

public enum ELFError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case notELF(path: String)
    case notExecutable(path: String)
    case truncated(path: String)
    case unknownArchitecture(path: String, machine: Int)
    case lddFailed(path: String, output: String)
    case missingLibrary(path: String, library: String)

    public var description: String {
        switch self {
        case .unreadable(let path):
            return "cannot read \(path); check the path and its permissions"
        case .notELF(let path):
            return "\(path) is not an ELF executable; pass the compiled Linux binary (e.g. .build/release/NAME), not a script or source file"
        case .notExecutable(let path):
            return "\(path) is an ELF object but not an executable; pass the linked binary"
        case .truncated(let path):
            return "\(path) is a truncated ELF file; rebuild it"
        case .unknownArchitecture(let path, let machine):
            return "\(path) is built for ELF machine 0x\(String(machine, radix: 16)), which has no OCI architecture name; build for amd64 or arm64"
        case .lddFailed(let path, let output):
            return "ldd could not list the shared libraries of \(path) (\(output.split(separator: "\n").first ?? "")); build it static with -static-stdlib -static-executable instead"
        case .missingLibrary(let path, let library):
            return "\(path) needs \(library), which is not installed on this machine; install it or build the executable static"
        }
    }
}
