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
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
