import Foundation
import SandboxAPI

/// The parts of a Google service-account key file (JSON) needed to mint access tokens.
package struct ServiceAccountKey: Sendable {
    /// Google's OAuth 2.0 token endpoint, used when the key names none.
    package static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// The account, e.g. `runner@project.iam.gserviceaccount.com` (`client_email`).
    package var clientEmail: String
    /// The PEM-encoded RSA private key (`private_key`).
    package var privateKeyPEM: String
    /// Where signed assertions are exchanged for tokens (`token_uri`).
    package var tokenURI: String
    /// The key's id, sent as the JWT `kid` (`private_key_id`, optional).
    package var privateKeyID: String?

    /// Makes a key from its parts.
    package init(clientEmail: String, privateKeyPEM: String, tokenURI: String = defaultTokenURI, privateKeyID: String? = nil) {
        self.clientEmail = clientEmail
        self.privateKeyPEM = privateKeyPEM
        self.tokenURI = tokenURI
        self.privateKeyID = privateKeyID
    }

    /// Reads and parses the key file at `path`.
    /// - Throws: ``CredentialError`` naming the file and, for a bad field, the field.
    package static func load(path: String) throws(CredentialError) -> ServiceAccountKey {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CredentialError(
                "the service-account key file cannot be read (\(error.localizedDescription)); "
                    + "check GOOGLE_APPLICATION_CREDENTIALS points at a readable JSON key",
                source: path)
        }
        return try ServiceAccountKey(json: Array(data), source: path)
    }

    /// Parses key-file JSON; `source` names the file in errors.
    /// - Throws: ``CredentialError`` naming `source` and the missing or malformed field.
    package init(json: [UInt8], source: String) throws(CredentialError) {
        let document: JSONValue
        do {
            document = try JSONValue.parse(json)
        } catch {
            throw CredentialError(
                "the service-account key is not valid JSON (\(error)); download a new key from the Cloud console", source: source)
        }
        guard document.objectValue != nil else {
            throw CredentialError("the service-account key must be a JSON object, not \(document.kindName)", source: source)
        }
        if let type = document["type"]?.stringValue, type != "service_account" {
            throw CredentialError(
                "field \"type\" is \"\(type)\", not \"service_account\"; "
                    + "point GOOGLE_APPLICATION_CREDENTIALS at a service-account key, or unset it to use gcloud",
                source: source)
        }
        func field(_ name: String, required: Bool) throws(CredentialError) -> String? {
            guard let value = document[name], value != .null else {
                guard !required else {
                    throw CredentialError("field \"\(name)\" is missing; download a new JSON key for the service account", source: source)
                }
                return nil
            }
            guard let string = value.stringValue else {
                throw CredentialError("field \"\(name)\" must be a string, not \(value.kindName)", source: source)
            }
            guard !string.isEmpty else {
                throw CredentialError("field \"\(name)\" is empty; download a new JSON key for the service account", source: source)
            }
            return string
        }
        clientEmail = try field("client_email", required: true)!
        privateKeyPEM = try field("private_key", required: true)!
        tokenURI = try field("token_uri", required: false) ?? Self.defaultTokenURI
        privateKeyID = try field("private_key_id", required: false)
        guard privateKeyPEM.contains("-----BEGIN") else {
            throw CredentialError("field \"private_key\" is not a PEM key (no -----BEGIN line); download a new JSON key", source: source)
        }
    }
}
