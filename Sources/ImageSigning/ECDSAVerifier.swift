import CCrypto
import Foundation

/// An ECDSA P-256 public key from a PEM file (SubjectPublicKeyInfo, what `cosign public-key` and
/// `containertool sign --public-key-out` write), checking SHA-256 signatures in DER, as cosign does.
public final class ECDSAVerifier: @unchecked Sendable {  // the EVP_PKEY is only read after init
    private let key: OpaquePointer

    public init(publicKeyFile path: String) throws {
        guard let data = readKeyFile(path) else { throw SigningError.unreadablePublicKey(path: path, reason: "no such readable file") }
        let bio = data.withUnsafeBytes { BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }
        guard let bio else { throw SigningError.unreadablePublicKey(path: path, reason: "out of memory") }
        defer { BIO_free(bio) }
        ERR_clear_error()
        guard let loaded = PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in 0 }, nil) else {
            throw SigningError.unreadablePublicKey(path: path, reason: "it is not a PEM public key (-----BEGIN PUBLIC KEY-----)")
        }
        guard EVP_PKEY_get_base_id(loaded) == EVP_PKEY_EC else {
            EVP_PKEY_free(loaded)
            throw SigningError.unreadablePublicKey(path: path, reason: "it is not an elliptic-curve key (cosign keys are ECDSA P-256)")
        }
        key = loaded
    }

    deinit { EVP_PKEY_free(key) }

    /// Whether `signature` (DER) is this key's signature of SHA-256(`message`).
    public func verifies(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let status = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { EVP_DigestVerify(context, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        }
        ERR_clear_error()
        return status == 1
    }
}
