import CCurl
import HarnessCore

extension TransportError {
    /// The transport error for a transfer that libcurl ended with `code`, with libcurl's detail
    /// (`CURLOPT_ERRORBUFFER`) and a hint of what to check.
    init(curlCode code: CURLcode, detail: String?, url: String) {
        // libcurl says "unsupported protocol" for a server that answers without an HTTP status line.
        let notHTTP = code == CURLE_UNSUPPORTED_PROTOCOL && detail?.contains("HTTP/0.9") == true
        let kind = notHTTP ? .protocolError : Self.kind(forCurlCode: code)
        let summary = String(cString: curl_easy_strerror(code))
        var message = "curl error \(code.rawValue) (\(summary))"
        if let detail, !detail.isEmpty { message += ": \(detail)" }
        if let hint = Self.hint(for: notHTTP ? CURLE_WEIRD_SERVER_REPLY : code, kind: kind) { message += "; \(hint)" }
        self.init(kind, message, url: url)
    }

    /// Sorts libcurl's result codes into the harness's failure kinds.
    static func kind(forCurlCode code: CURLcode) -> Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_USE_SSL_FAILED,
            CURLE_SSL_CLIENTCERT:
            return .tls
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3,
            CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_BAD_CONTENT_ENCODING, CURLE_TOO_MANY_REDIRECTS,
            CURLE_FILESIZE_EXCEEDED:
            return .protocolError
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        default:
            return .other
        }
    }

    private static func hint(for code: CURLcode, kind: Kind) -> String? {
        if code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT {
            return "use an absolute http:// or https:// URL"
        }
        if code == CURLE_PARTIAL_FILE || code == CURLE_GOT_NOTHING {
            return "the server closed the connection before its answer was complete"
        }
        return switch kind {
        case .connect: "check that the server is running and the host and port are right"
        case .timeout: "the server did not answer in time; raise the timeout or check the server's load"
        case .tls: "check the server's certificate and that the URL's scheme matches what the port speaks"
        case .protocolError: "the server's answer was not valid HTTP; check the URL points at an HTTP server"
        case .cancelled, .other: nil
        }
    }
}
