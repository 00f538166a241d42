import Foundation

/// An emulator started as a child process of this binary (`sandbench emulator --port 0 …`), so that
/// benchmarks and external load generators hit a server that does not share this process.
final class ChildEmulator: @unchecked Sendable {
    let process = Process()
    let baseURL: String

    /// Starts `sandbench emulator` with `arguments` and waits for its `listening on` line.
    init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["emulator", "--port", "0"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = ""
        let handle = out.fileHandleForReading
        while !line.hasSuffix("\n") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = line.range(of: "listening on ") else {
            process.terminate()
            throw ChildError(message: "the child emulator did not start: \(line)")
        }
        baseURL = String(line[range.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends SIGTERM and waits for the emulator to remove its sandboxes and exit.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }

    struct ChildError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// Resident memory of processes, from /proc.
enum ResidentMemory {
    /// VmRSS of `pid` in bytes ("self" for this process).
    static func of(_ pid: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }

    /// Total VmRSS of every descendant of `root` (the emulator's sandboxes), their count, and the
    /// distinct uids among them (one per sandbox when the emulator runs as root).
    static func ofDescendants(of root: Int32) -> (bytes: Int, processes: Int, uids: Set<Int>) {
        var parent: [Int32: Int32] = [:]
        var uid: [Int32: Int] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
            guard let pid = Int32(entry), let text = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
                if line.hasPrefix("PPid:"), fields.count > 1 { parent[pid] = Int32(fields[1]) }
                if line.hasPrefix("Uid:"), fields.count > 1 { uid[pid] = Int(fields[1]) }
            }
        }
        func descends(_ pid: Int32) -> Bool {
            var p = parent[pid]
            for _ in 0..<64 {
                guard let current = p, current > 1 else { return false }
                if current == root { return true }
                p = parent[current]
            }
            return false
        }
        var total = 0, count = 0
        var uids: Set<Int> = []
        for pid in parent.keys where descends(pid) {
            total += of(String(pid))
            count += 1
            if let u = uid[pid] { uids.insert(u) }
        }
        return (total, count, uids)
    }
}
