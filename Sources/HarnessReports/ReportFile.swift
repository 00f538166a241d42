internal import Glibc

/// Writes rendered report bytes to disk.
enum ReportFile {
    /// Writes `bytes` to `path` through a temporary file and a rename, creating missing parent directories.
    static func write(_ bytes: [UInt8], to path: String) throws(ReportError) {
        try createParentDirectories(of: path)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create the report file", path: temporary) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let error = failure("cannot write the report file", path: temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            written += n
        }
        guard close(fd) == 0, rename(temporary, path) == 0 else {
            let error = failure("cannot finish writing the report file", path: path)
            unlink(temporary)
            throw error
        }
    }

    /// Creates every missing directory above `path` (like `mkdir -p` of its parent).
    private static func createParentDirectories(of path: String) throws(ReportError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        guard !components.isEmpty else { return }
        var current = path.hasPrefix("/") ? "/" : ""
        for component in components where !component.isEmpty {
            current += (current.isEmpty || current.hasSuffix("/") ? "" : "/") + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw failure("cannot create the report directory", path: current)
            }
        }
    }

    private static func failure(_ what: String, path: String) -> ReportError {
        let reason = String(cString: strerror(errno))
        return ReportError(code: .fileWrite, message: "\(what) (\(reason)); check that the directory is writable", path: path)
    }
}
