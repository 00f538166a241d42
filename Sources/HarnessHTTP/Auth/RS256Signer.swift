import COpenSSL

/// Signs bytes with RSASSA-PKCS1-v1_5 over SHA-256 (JWT's "RS256") using libcrypto.
final class RS256Signer: @unchecked Sendable {
    /// The parsed private key; immutable after init, and OpenSSL allows concurrent signing with it.
    private let key: OpaquePointer

    /// Parses a PEM private key (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    /// - Throws: a description of what OpenSSL disliked, for the caller to put in context.
    init(pem: String) throws(SigningError) {
        let parsed: OpaquePointer? = pem.utf8CString.withUnsafeBufferPointer { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count - 1)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else {
            throw SigningError("the PEM private key could not be read (\(Self.openSSLError()))")
        }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA else {
            EVP_PKEY_free(parsed)
            throw SigningError("the private key is not an RSA key, which RS256 needs")
        }
        key = parsed
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// The signature of `data`.
    func sign(_ data: [UInt8]) throws(SigningError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SigningError("OpenSSL could not allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            throw SigningError("OpenSSL could not start signing (\(Self.openSSLError()))")
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, data, data.count) == 1 else {
            throw SigningError("OpenSSL could not size the signature (\(Self.openSSLError()))")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, data, data.count) == 1 else {
            throw SigningError("OpenSSL could not sign (\(Self.openSSLError()))")
        }
        return Array(signature.prefix(length))
    }

    /// The oldest queued OpenSSL error as text, clearing the queue.
    private static func openSSLError() -> String {
        let code = ERR_get_error()
        defer { ERR_clear_error() }
        guard code != 0 else { return "no detail from OpenSSL" }
        var buffer = [UInt8](repeating: 0, count: 256)
        buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { ERR_error_string_n(code, $0.baseAddress, $0.count) }
        }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Why a key could not be parsed or used; ``ServiceAccountToken`` names the key file around it.
struct SigningError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
