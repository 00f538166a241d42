import Foundation

/// A local nginx (one worker, `return 200`) on a free loopback port: a server that is not ours,
/// for the harness's request-rate figures. Its config, pid file and logs live in a temporary
/// directory that ``stop()`` removes with the server.
final class NginxServer: @unchecked Sendable {
    /// Where Debian's `nginx-light` (or `nginx`) installs the binary.
    static let binary = "/usr/sbin/nginx"

    let process = Process()
    let baseURL: String
    private let directory: String

    /// Starts nginx, or returns nil when it is not installed; throws when it is but does not start.
    static func startIfInstalled() throws -> NginxServer? {
        guard FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        return try NginxServer()
    }

    private init() throws {
        directory = NSTemporaryDirectory() + "sandbench-nginx-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let port = LoopbackPort.free() else {
            try? FileManager.default.removeItem(atPath: directory)
            throw BenchError("no free loopback port for nginx")
        }
        baseURL = "http://127.0.0.1:\(port)"
        // The temp paths keep nginx away from /var/lib/nginx; keepalive_requests is raised so
        // neither wrk nor sandbench reconnects during a run.
        let config = """
            worker_processes 1;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                keepalive_requests 100000000;
                server {
                    listen 127.0.0.1:\(port);
                    location / { return 200 "ok\\n"; }
                }
            }

            """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-p", directory, "-c", directory + "/nginx.conf", "-e", directory + "/error.log"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        // Ready when the port accepts a connection: polled, bounded at 5 s.
        let deadline = ContinuousClock.now + .seconds(5)
        while !LoopbackPort.accepts(port) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let log = (try? String(contentsOfFile: directory + "/error.log", encoding: .utf8)) ?? ""
                stop()
                throw BenchError("nginx did not start on port \(port): \(log)")
            }
            usleep(10_000)
        }
    }

    /// Stops nginx (SIGTERM: its fast shutdown), waits for it and removes its directory.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }
}

/// Loopback TCP ports for servers the bench starts.
enum LoopbackPort {
    /// A port the kernel just handed out on 127.0.0.1 and that is free again (nil if none).
    static func free() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(_ port: Int) -> Bool {
        guard let port16 = UInt16(exactly: port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port16)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
