import Foundation

/// Canonical JSON for everything that is hashed: keys sorted, no insignificant whitespace,
/// slashes unescaped. The same value always gives the same bytes, so digests are stable.
public enum CanonicalJSON {
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    public static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8]) throws -> Value {
        try checkNesting(bytes)
        return try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// The deepest nesting any OCI document needs is a handful of levels; hostile input nested
    /// thousands deep would exhaust the stack of a recursive parser, so it is refused first.
    public static let maximumNesting = 64

    /// Throws when `bytes` nest objects/arrays deeper than `maximumNesting` (strings are skipped).
    public static func checkNesting(_ bytes: [UInt8]) throws {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                guard depth <= maximumNesting else { throw JSONNestingError(limit: maximumNesting) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }
}

/// JSON nested deeper than any OCI document is.
public struct JSONNestingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var limit: Int
    public var description: String { "the JSON document nests deeper than \(limit) levels; it is not an OCI document" }
}
