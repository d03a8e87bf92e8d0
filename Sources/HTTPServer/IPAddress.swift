internal import CPOSIX

/// An IPv4 or IPv6 address as `--host` takes it: `127.0.0.1`, `::1`, `[::1]` or `localhost`.
public struct IPAddress: Sendable, Equatable {
    public enum Family: Sendable, Equatable { case ipv4, ipv6 }
    public var family: Family
    /// 4 or 16 bytes, network order.
    public var bytes: [UInt8]

    /// Nil when `text` is not an address (host names other than `localhost` are not resolved).
    public init?(_ text: String) {
        var name = text
        if name.hasSameBytes(as: "localhost") { name = "127.0.0.1" }
        if name.utf8.count > 2, name.utf8.first == UInt8(ascii: "["), name.utf8.last == UInt8(ascii: "]") {
            name = String(decoding: Array(name.utf8.dropFirst().dropLast()), as: UTF8.self)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        if name.withCString({ text in bytes.withUnsafeMutableBytes { inet_pton(AF_INET, text, $0.baseAddress) == 1 } }) {
            self.init(family: .ipv4, bytes: Array(bytes[0..<4]))
        } else if name.withCString({ text in bytes.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) == 1 } }) {
            self.init(family: .ipv6, bytes: bytes)
        } else {
            return nil
        }
    }

    public init(family: Family, bytes: [UInt8]) {
        self.family = family
        self.bytes = bytes
    }

    /// The wildcard address (`0.0.0.0`, `::`).
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// `127.0.0.1`, or `[::1]` for IPv6 (ready to be followed by `:port`).
    public var display: String {
        var text = [CChar](repeating: 0, count: 64)
        let family = self.family == .ipv4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { source in inet_ntop(family, source.baseAddress, &text, 64) }
        let plain = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return self.family == .ipv4 ? plain : "[" + plain + "]"
    }
}

extension String {
    /// Byte-wise equality. (`==` on String applies Unicode normalization, whose tables
    /// Embedded Swift would have to link in.)
    func hasSameBytes(as other: StaticString) -> Bool {
        var copy = self
        return copy.withUTF8 { bytes in
            bytes.count == other.utf8CodeUnitCount && (bytes.count == 0 || memcmp(bytes.baseAddress!, other.utf8Start, bytes.count) == 0)
        }
    }
}
