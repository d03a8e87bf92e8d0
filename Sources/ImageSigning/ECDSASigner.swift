import CCrypto
import Foundation

/// Why a key cannot sign. Never carries the key or its password.
public enum SigningError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadableKey(path: String, reason: String)
    case unreadablePublicKey(path: String, reason: String)
    case signingFailed(String)

    public var description: String {
        switch self {
        case let .unreadableKey(path, reason):
            return "cannot use the signing key \(path): \(reason). Give a PEM private key (openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt), encrypted ones with CONTAINERIZE_SIGNING_KEY_PASSWORD"
        case let .unreadablePublicKey(path, reason):
            return "cannot use the public key \(path): \(reason). Give the PEM public key of the signing key (containertool sign --public-key-out, cosign public-key, or openssl pkey -pubout)"
        case let .signingFailed(reason):
            return "signing failed: \(reason)"
        }
    }
}

/// A key file's bytes (at most 1 MiB), read as a stream so that a pipe works too (`--key <(vault read …)`).
func readKeyFile(_ path: String) -> Data? {
    guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? handle.close() }
    do { return try handle.read(upToCount: 1 << 20) ?? Data() } catch { return nil }  // nil from read: at the end, an empty file
}

/// An ECDSA P-256 private key from a PEM file (PKCS#8 or SEC1, optionally encrypted), signing
/// SHA-256 digests as cosign does: the signature is DER, verifiable with `openssl dgst -sha256 -verify`.
public final class ECDSASigner: @unchecked Sendable {  // the EVP_PKEY is only read after init
    private let key: OpaquePointer

    public init(pemFile path: String, password: String? = nil) throws {
        guard let data = readKeyFile(path) else { throw SigningError.unreadableKey(path: path, reason: "no such readable file") }
        let bio = data.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw SigningError.unreadableKey(path: path, reason: "out of memory") }
        defer { BIO_free(bio) }
        ERR_clear_error()
        let loaded: OpaquePointer? = password.map { secret in
            secret.withCString { PEM_read_bio_PrivateKey(bio, nil, nil, UnsafeMutableRawPointer(mutating: $0)) }
        } ?? PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)  // no password: an encrypted key fails, never prompts
        guard let loaded else {
            let encrypted = String(decoding: data.prefix(4096), as: UTF8.self).contains("ENCRYPTED")
            throw SigningError.unreadableKey(path: path, reason: encrypted && password == nil ? "it is encrypted and no password was given"
                                                 : "it is not a PEM private key OpenSSL can read (or the password is wrong)")
        }
        guard EVP_PKEY_get_base_id(loaded) == EVP_PKEY_EC else {
            EVP_PKEY_free(loaded)
            throw SigningError.unreadableKey(path: path, reason: "it is not an elliptic-curve key (cosign keys are ECDSA P-256)")
        }
        key = loaded
    }

    deinit { EVP_PKEY_free(key) }

    /// The DER-encoded ECDSA signature of SHA-256(`message`).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SigningError.signingFailed("out of memory") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw SigningError.signingFailed("EVP_DigestSignInit") }
        var length = 0
        guard message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }) == 1 else {
            throw SigningError.signingFailed("EVP_DigestSign (size)")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let status = signature.withUnsafeMutableBufferPointer { out in
            message.withUnsafeBufferPointer { EVP_DigestSign(context, out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard status == 1 else { throw SigningError.signingFailed("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` (DER) is this key's signature of SHA-256(`message`).
    public func verifies(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { EVP_DigestVerify(context, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        } == 1
    }

    /// The public key, PEM (SubjectPublicKeyInfo): what a verifier is given (`cosign verify --key`).
    public func publicKeyPEM() throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw SigningError.signingFailed("out of memory") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PUBKEY(bio, key) == 1 else { throw SigningError.signingFailed("PEM_write_bio_PUBKEY") }
        var pointer: UnsafeMutablePointer<CChar>?
        let count = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &pointer)
        guard let pointer, count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(count)), as: UTF8.self)
    }
}
