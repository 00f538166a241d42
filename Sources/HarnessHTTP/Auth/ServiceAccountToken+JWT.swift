import Foundation
import SandboxAPI

extension ServiceAccountToken {
    /// Lifetime requested for each token; Google's maximum for the JWT bearer grant.
    static let assertionLifetime: TimeInterval = 3600

    /// The signed JWT (`header.claims.signature`, each base64url) that the token endpoint trades
    /// for an access token.
    /// - Throws: ``CredentialError`` naming `source` and the `private_key` field when the key is unusable.
    static func assertion(key: ServiceAccountKey, scope: String, issuedAt: Date, source: String) throws(CredentialError) -> String {
        var header: [String: JSONValue] = ["alg": "RS256", "typ": "JWT"]
        if let keyID = key.privateKeyID { header["kid"] = .string(keyID) }
        let issued = issuedAt.timeIntervalSince1970.rounded(.down)
        let claims: JSONValue = [
            "iss": .string(key.clientEmail),
            "scope": .string(scope),
            "aud": .string(key.tokenURI),
            "iat": .number(issued),
            "exp": .number(issued + assertionLifetime)
        ]
        let signingInput = base64URL(JSONValue.object(header).serialized()) + "." + base64URL(claims.serialized())
        let signature: [UInt8]
        do {
            signature = try RS256Signer(pem: key.privateKeyPEM).sign(Array(signingInput.utf8))
        } catch {
            throw CredentialError(
                "field \"private_key\" cannot sign: \(error); download a new JSON key for \(key.clientEmail)", source: source)
        }
        return signingInput + "." + base64URL(signature)
    }

    /// Base64 with the URL-safe alphabet and no padding (RFC 7515 §2).
    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
