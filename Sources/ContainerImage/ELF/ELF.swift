import OCIModel
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

    /// Why this ELF file cannot be run as a program (a shared library, no entry point), or nil.
    public var notRunnableReason: String?

    /// Reads the ELF header and program headers of the file at `path`; never traps, whatever
    /// the file holds: every offset, count and size is checked against the file's length.
    public init(path: String) throws {
        // O_NONBLOCK: a FIFO or device given as the executable must not hang the open.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw ELFError.unreadable(path: path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ELFError.unreadable(path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ELFError.notELF(path: path) }
        try self.init(source: FileByteSource(descriptor: descriptor, size: Int(info.st_size)), path: path)
    }

    /// Parses an ELF image held by `source` (a file, or memory in tests).
    init(source: some ELFByteSource, path: String) throws {
        let reader = ELFReader(source: source, path: path)
        let ident = try reader.bytes(at: 0, count: 16, or: .notELF(path: path))
        guard ident[0] == 0x7f, ident[1] == UInt8(ascii: "E"), ident[2] == UInt8(ascii: "L"), ident[3] == UInt8(ascii: "F") else {
            throw ELFError.notELF(path: path)
        }
        guard ident[4] == 1 || ident[4] == 2, ident[5] == 1 || ident[5] == 2 else { throw ELFError.malformed(path: path, detail: "unknown class or byte order") }
        let is64 = ident[4] == 2
        var reader64 = reader
        reader64.littleEndian = ident[5] == 1
        let elf = reader64
        let header = try elf.bytes(at: 0, count: is64 ? 64 : 52, or: .truncated(path: path))

        let fileType = elf.integer(header, 16, 2)
        guard fileType == 2 || fileType == 3 else { throw ELFError.notExecutable(path: path) }
        let machine = elf.integer(header, 18, 2)
        guard let (architecture, variant) = Self.ociArchitecture(machine: machine, is64: is64, littleEndian: elf.littleEndian) else {
            throw ELFError.unknownArchitecture(path: path, machine: machine)
        }
        self.architecture = architecture
        self.variant = variant
        let entryPoint = is64 ? elf.integer(header, 24, 8) : elf.integer(header, 24, 4)

        let tableOffset = is64 ? elf.integer(header, 32, 8) : elf.integer(header, 28, 4)
        let entrySize = is64 ? elf.integer(header, 54, 2) : elf.integer(header, 42, 2)
        let entryCount = is64 ? elf.integer(header, 56, 2) : elf.integer(header, 44, 2)
        let minimumEntrySize = is64 ? 56 : 32
        var interpreter: String?
        var dynamic: (offset: Int, size: Int)?
        if entryCount > 0 {
            guard entrySize >= minimumEntrySize else { throw ELFError.malformed(path: path, detail: "program header entries of \(entrySize) bytes") }
            guard entryCount < 0xffff else { throw ELFError.malformed(path: path, detail: "extended program header count") }
            let table = try elf.bytes(at: tableOffset, count: entrySize * entryCount, or: .truncated(path: path))
            for index in 0..<entryCount {
                let base = index * entrySize
                let type = elf.integer(table, base, 4)
                let offset = is64 ? elf.integer(table, base + 8, 8) : elf.integer(table, base + 4, 4)
                let size = is64 ? elf.integer(table, base + 32, 8) : elf.integer(table, base + 16, 4)
                switch type {
                case 1: // PT_LOAD: the loader maps offset..<offset+filesz; past the end, the program faults at start.
                    guard size == 0 || (offset <= reader.source.size && size <= reader.source.size - offset) else {
                        throw ELFError.segmentPastEnd(path: path, segment: index, end: offset.addingReportingOverflow(size).partialValue, fileSize: reader.source.size)
                    }
                case 3: // PT_INTERP
                    guard size > 1, size <= 4096 else { throw ELFError.malformed(path: path, detail: "an interpreter path of \(size) bytes") }
                    let bytes = try elf.bytes(at: offset, count: size, or: .truncated(path: path))
                    interpreter = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                case 2: // PT_DYNAMIC
                    dynamic = (offset, size)
                default:
                    continue
                }
            }
        }
        self.interpreter = interpreter

        // ET_EXEC runs; ET_DYN is an executable only when it is a PIE: it has a loader, or
        // (static-PIE) DT_FLAGS_1 carries DF_1_PIE. Anything else is a shared library.
        notRunnableReason = nil
        if entryPoint == 0 {
            notRunnableReason = "it has no entry point"
        } else if fileType == 3 && interpreter == nil {
            var isPIE = false
            if let dynamic {
                let entryBytes = is64 ? 16 : 8
                let count = min(dynamic.size / entryBytes, 4096)
                let table = try elf.bytes(at: dynamic.offset, count: count * entryBytes, or: .truncated(path: path))
                for index in 0..<count {
                    let tag = is64 ? elf.integer(table, index * 16, 8) : elf.integer(table, index * 8, 4)
                    if tag == 0 { break } // DT_NULL
                    if tag == 0x6fff_fffb { // DT_FLAGS_1
                        let value = is64 ? elf.integer(table, index * 16 + 8, 8) : elf.integer(table, index * 8 + 4, 4)
                        isPIE = value & 0x0800_0000 != 0 // DF_1_PIE
                    }
                }
            }
            if !isPIE { notRunnableReason = "it is a shared library: position-independent, without a loader or the PIE flag" }
        }
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
    case segmentPastEnd(path: String, segment: Int, end: Int, fileSize: Int)
    case malformed(path: String, detail: String)
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
        case .segmentPastEnd(let path, let segment, let end, let fileSize):
            return "\(path) is a truncated ELF file (its loadable segment #\(segment) ends at byte \(end), the file has \(fileSize)); rebuild it or copy it whole"
        case .malformed(let path, let detail):
            return "\(path) is a malformed ELF file (\(detail)); rebuild it"
        case .unknownArchitecture(let path, let machine):
            return "\(path) is built for ELF machine 0x\(String(machine, radix: 16)), which has no OCI architecture name; build for amd64 or arm64"
        case .lddFailed(let path, let output):
            return "ldd could not list the shared libraries of \(path) (\(output.split(separator: "\n").first ?? "")); build it static with -static-stdlib -static-executable instead"
        case .missingLibrary(let path, let library):
            return "\(path) needs \(library), which is not installed on this machine; install it or build the executable static"
        }
    }
}

/// Random access to the bytes of an ELF file.
protocol ELFByteSource {
    var size: Int { get }
    /// Exactly `count` bytes at `offset` (the caller has checked the range), or nil on a read error.
    func read(at offset: Int, count: Int) -> [UInt8]?
}

/// `pread(2)` on an open file.
struct FileByteSource: ELFByteSource {
    var descriptor: Int32
    var size: Int
    func read(at offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = try? bytes.withUnsafeMutableBytes { raw in
                try FileIO.read(descriptor, into: raw.baseAddress! + done, count: count - done, at: offset + done)
            }
            guard let result, result > 0 else { return nil }
            done += result
        }
        return bytes
    }
}

/// Bytes in memory (tests, fuzzing).
struct MemoryByteSource: ELFByteSource {
    var bytes: [UInt8]
    var size: Int
    func read(at offset: Int, count: Int) -> [UInt8]? { Array(bytes[offset..<offset + count]) }
}

/// Range-checked reads and integers of either byte order.
struct ELFReader<Source: ELFByteSource> {
    var source: Source
    var path: String
    var littleEndian = true

    /// `count` bytes at `offset`, or `error` when the range is not inside the file (overflow-safe).
    func bytes(at offset: Int, count: Int, or error: ELFError) throws -> [UInt8] {
        guard offset >= 0, count >= 0, count <= 1 << 24, offset <= source.size, count <= source.size - offset else { throw error }
        guard let bytes = source.read(at: offset, count: count) else { throw ELFError.unreadable(path: path) }
        return bytes
    }

    /// An unsigned integer of `width` bytes at `offset` in `bytes` (which the caller sized);
    /// values above `Int.max` become `Int.max`, which fails every later range check.
    func integer(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> Int {
        guard offset >= 0, offset + width <= bytes.count else { return Int.max }
        var value: UInt64 = 0
        for index in 0..<width {
            let byte = UInt64(bytes[littleEndian ? offset + width - 1 - index : offset + index])
            value = value << 8 | byte
        }
        return value > UInt64(Int.max) ? Int.max : Int(value)
    }
}
