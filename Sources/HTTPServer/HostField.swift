/// The `Host` field value (RFC 9112 §3.2): `uri-host [ ":" port ]` with RFC 3986's grammar —
/// a reg-name (IPv4 addresses are reg-names too), or a bracketed IP literal (IPv6, IPvFuture), then
/// an optional port of digits. An empty value is valid (a target URI without an authority). A server
/// MUST answer 400 to anything else (§3.2): `a:b`, `[::1`, `a:1:2`, and `a,b` (a list: two hosts).
enum HostField {
    static func isValid(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = value.count
        if count == 0 { return true }
        if value[0] == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: UInt8(ascii: "]")) else { return false }
            guard isIPLiteral(UnsafeBufferPointer(rebasing: value[1..<close])) else { return false }
            index = close + 1
        } else {
            while index < count, value[index] != UInt8(ascii: ":") {
                let byte = value[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < count, value[index + 1].isHexDigit, value[index + 2].isHexDigit else { return false }
                    index += 3
                    continue
                }
                guard byte.isUnreserved || (byte.isSubDelimiter && byte != UInt8(ascii: ",")) else { return false }
                index += 1
            }
        }
        guard index < count else { return true }
        // `":" port`, port = *DIGIT (RFC 3986 §3.2.3: it may be empty).
        guard value[index] == UInt8(ascii: ":") else { return false }
        index += 1
        while index < count {
            guard value[index].isDigit else { return false }
            index += 1
        }
        return true
    }

    /// `IPv6address / IPvFuture` (RFC 3986 §3.2.2), the inside of `[…]`.
    static func isIPLiteral(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = text.first else { return false }
        if first == UInt8(ascii: "v") || first == UInt8(ascii: "V") {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            var index = 1
            while index < text.count, text[index].isHexDigit { index += 1 }
            guard index > 1, index < text.count, text[index] == UInt8(ascii: "."), index + 1 < text.count else { return false }
            return text[(index + 1)...].allSatisfy { $0.isUnreserved || $0.isSubDelimiter || $0 == UInt8(ascii: ":") }
        }
        return isIPv6(text)
    }

    /// RFC 4291 text form: eight 16-bit groups of 1–4 hex digits, one `::` for a run of zero
    /// groups, and an IPv4 address in the last 32 bits allowed.
    static func isIPv6(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count >= 2, text.count <= 45 else { return false }
        var groups = 0
        var sawDoubleColon = false
        var index = 0
        if text[0] == UInt8(ascii: ":") {
            guard text[1] == UInt8(ascii: ":") else { return false }
            sawDoubleColon = true
            index = 2
            if index == text.count { return true }  // `::`
        }
        while index < text.count {
            // One group, or a trailing IPv4 address.
            var end = index
            while end < text.count, text[end].isHexDigit { end += 1 }
            if end < text.count, text[end] == UInt8(ascii: ".") {
                guard isIPv4(UnsafeBufferPointer(rebasing: text[index...])) else { return false }
                groups += 2
                index = text.count
                break
            }
            guard end > index, end - index <= 4 else { return false }
            groups += 1
            index = end
            if index == text.count { break }
            guard text[index] == UInt8(ascii: ":") else { return false }
            index += 1
            if index < text.count, text[index] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return false }
                sawDoubleColon = true
                index += 1
                if index == text.count { break }
            } else if index == text.count {
                return false  // a single trailing colon
            }
        }
        return sawDoubleColon ? groups < 8 : groups == 8
    }

    /// `dec-octet "." dec-octet "." dec-octet "." dec-octet`, no leading zeros (RFC 3986).
    static func isIPv4(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var octets = 0
        var index = 0
        while index <= text.count {
            var end = index
            while end < text.count, text[end].isDigit { end += 1 }
            let length = end - index
            guard (1...3).contains(length), length == 1 || text[index] != UInt8(ascii: "0") else { return false }
            var value = 0
            for position in index..<end { value = value * 10 + Int(text[position] - 0x30) }
            guard value <= 255 else { return false }
            octets += 1
            if end == text.count { break }
            guard text[end] == UInt8(ascii: "."), octets < 4 else { return false }
            index = end + 1
        }
        return octets == 4
    }
}

extension UInt8 {
    /// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
    var isUnreserved: Bool {
        switch self {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: return true
        default: return false
        }
    }

    /// `sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="` (RFC 3986 §2.2).
    var isSubDelimiter: Bool {
        switch self {
        case 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D: return true
        default: return false
        }
    }

    var isHexDigit: Bool { hexValue != nil }
}
