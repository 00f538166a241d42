import Foundation
import NIOCore
import SandboxAPI

#if canImport(Glibc)
    import Glibc
#endif

/// A sandbox's working directory on the host, handled without ever following a link the
/// sandbox's code may have planted (every path is walked with `openat(O_NOFOLLOW)`).
///
/// Every operation takes the execute's deadline and stops at it with `DEADLINE_EXCEEDED`, checking
/// it between entries and between chunks of at most ``chunkBytes``: a thread of the blocking pool is
/// never held much past a deadline, however many entries or bytes a sandbox left in its workdir.
struct Workdir: Sendable {
    /// Host path of the directory.
    let path: String
    /// Owner of files placed into it.
    let uid: uid_t

    /// One entry of a snapshot: enough to tell that a file was created or modified.
    struct Stamp: Equatable {
        var size: Int64
        // Seconds and nanoseconds apart: sandbox code sets any mtime (utime), and seconds × 10⁹ overflows past 2262.
        var mtimeSeconds: Int64
        var mtimeNanoseconds: Int64
        var inode: UInt64
    }

    /// Folders whose files are the interpreter's or its libraries' own byproducts, never returned as
    /// output: `__pycache__` at any depth, and at the top of the workdir (HOME in every isolation mode)
    /// the per-user cache and configuration folders (matplotlib's font cache, pip's, IPython's, npm's, …).
    static let byproductFolders: Set<String> = ["__pycache__"]
    static let byproductFoldersAtTop: Set<String> = [".cache", ".config", ".local", ".matplotlib", ".ipython", ".keras", ".npm"]

    /// Limits on what a snapshot walks.
    static let maxEntries = 10_000
    static let maxDepth = 16
    /// Largest single read or write between two looks at the deadline.
    static let chunkBytes = 1 << 20

    /// Throws `DEADLINE_EXCEEDED` once `deadline` has passed.
    static func check(_ deadline: NIODeadline) throws(GoogleError) {
        if NIODeadline.now() >= deadline { throw GoogleError(.deadlineExceeded, "the execute deadline passed during file work") }
    }

    /// Validates a file name from a request: relative, no `..`, no empty or NUL components.
    static func validate(_ name: String) -> String? {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\0"), name.utf8.count <= 4096 else {
            return "file name \"\(name)\" must be a non-empty relative path"
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) {
            return "file name \"\(name)\" must not contain empty, '.' or '..' components"
        }
        return nil
    }

    /// Writes `file` into the workdir, creating parent directories, replacing any link in its place,
    /// owned by the sandbox's uid. At `deadline` it stops and leaves no part of the file behind.
    func place(_ file: SandboxFile, until deadline: NIODeadline) throws(GoogleError) {
        if let problem = Self.validate(file.name) { throw GoogleError(.invalidArgument, problem) }
        try Self.check(deadline)
        let parts = file.name.split(separator: "/").map(String.init)
        var dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { throw GoogleError(.internal, "workdir is gone") }
        defer { close(dir) }
        for component in parts.dropLast() {
            var next = openat(dir, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                unlinkat(dir, component, 0)
                guard mkdirat(dir, component, 0o755) == 0 || errno == EEXIST else {
                    throw GoogleError(.invalidArgument, "cannot create directory for \"\(file.name)\": \(String(cString: strerror(errno)))")
                }
                next = openat(dir, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard next >= 0 else { throw GoogleError(.invalidArgument, "\"\(file.name)\": a path component is not a directory") }
                fchown(next, uid, uid)
            }
            close(dir)
            dir = next
        }
        guard let leaf = parts.last else { throw GoogleError(.invalidArgument, "file name \"\(file.name)\" is empty") }
        // Written to a new file, then renamed over the name: whatever the sandbox planted there (a
        // FIFO that would block an open, a hard link to another file, a symlink) is replaced, never
        // opened or written through.
        var generator = SystemRandomNumberGenerator()
        let temporary = ".sandbench-upload-\(String(generator.next(), radix: 36))"
        let fd = openat(dir, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o644)
        guard fd >= 0 else { throw GoogleError(.invalidArgument, "cannot write \"\(file.name)\": \(String(cString: strerror(errno)))") }
        fchown(fd, uid, uid)
        var offset = 0
        var timedOut = false
        let written: Bool = file.content.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            while offset < raw.count {
                if NIODeadline.now() >= deadline {
                    timedOut = true
                    return false
                }
                let n = write(fd, base + offset, min(raw.count - offset, Self.chunkBytes))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        let writeError = errno
        close(fd)
        guard written else {
            unlinkat(dir, temporary, 0)
            if timedOut { throw GoogleError(.deadlineExceeded, "the execute deadline passed while \"\(file.name)\" was being written") }
            throw GoogleError(.internal, "cannot write \"\(file.name)\": \(String(cString: strerror(writeError)))")
        }
        guard renameat(dir, temporary, dir, leaf) == 0 else {
            let renameError = errno
            unlinkat(dir, temporary, 0)
            throw GoogleError(.invalidArgument, "cannot write \"\(file.name)\": \(String(cString: strerror(renameError)))")
        }
    }

    /// Relative path → stamp for every regular file under the workdir (links are not followed), but
    /// for those in ``byproductFolders`` and ``byproductFoldersAtTop``.
    func snapshot(until deadline: NIODeadline) throws(GoogleError) -> [String: Stamp] {
        var result: [String: Stamp] = [:]
        let root = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard root >= 0 else { return result }
        var visited = 0
        try walk(root, prefix: "", depth: 0, until: deadline, visited: &visited, into: &result)
        return result
    }

    /// Every entry counts towards ``maxEntries`` (directories, FIFOs and the rest too), so a sandbox
    /// that makes millions of entries cannot make a snapshot slow.
    private func walk(
        _ dirFD: Int32, prefix: String, depth: Int, until deadline: NIODeadline, visited: inout Int,
        into result: inout [String: Stamp]
    ) throws(GoogleError) {
        guard let dir = fdopendir(dirFD) else {
            close(dirFD)
            return
        }
        defer { closedir(dir) }
        while visited < Self.maxEntries, let entry = readdir(dir) {
            try Self.check(deadline)
            visited += 1
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var st = stat()
            guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let mode = st.st_mode & S_IFMT
            if mode == S_IFREG {
                result[prefix + name] = Stamp(
                    size: Int64(st.st_size), mtimeSeconds: Int64(st.st_mtim.tv_sec),
                    mtimeNanoseconds: Int64(st.st_mtim.tv_nsec), inode: UInt64(st.st_ino))
            } else if mode == S_IFDIR, depth < Self.maxDepth, !Self.byproductFolders.contains(name),
                depth > 0 || !Self.byproductFoldersAtTop.contains(name)
            {
                let child = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 {
                    try walk(child, prefix: prefix + name + "/", depth: depth + 1, until: deadline, visited: &visited, into: &result)
                }
            }
        }
    }

    /// Names created or modified between two snapshots, sorted.
    static func changes(before: [String: Stamp], after: [String: Stamp]) -> [String] {
        after.compactMap { name, stamp in before[name] == stamp ? nil : name }.sorted()
    }

    /// Reads a file by relative name without following links; nil if it is gone or not a regular file.
    func contents(of name: String, limit: Int, until deadline: NIODeadline) throws(GoogleError) -> [UInt8]? {
        try Self.check(deadline)
        var dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { return nil }
        let parts = name.split(separator: "/").map(String.init)
        for component in parts.dropLast() {
            let next = openat(dir, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            close(dir)
            guard next >= 0 else { return nil }
            dir = next
        }
        guard let leaf = parts.last else {
            close(dir)
            return nil
        }
        let fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        close(dir)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int(st.st_size) <= limit else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var offset = 0
        while offset < bytes.count {
            try Self.check(deadline)
            let n = bytes.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { read(fd, $0 + offset, min(raw.count - offset, Self.chunkBytes)) } ?? 0
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        return offset == bytes.count ? bytes : Array(bytes.prefix(offset))
    }
}
