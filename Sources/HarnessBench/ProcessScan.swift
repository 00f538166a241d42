import Foundation

#if !os(Linux)
    #error("sandbench is Linux-only: it reads /proc, and its emulator needs Linux namespaces, cgroups and glibc")
#endif

/// Resident memory and process trees, from /proc (Linux only).
package enum ProcessScan {
    /// VmRSS of `pid` in bytes ("self" for this process), 0 when unreadable.
    package static func residentBytes(of pid: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        return residentBytes(status: text) ?? 0
    }

    /// The VmRSS line of a /proc/PID/status text, in bytes.
    package static func residentBytes(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? ""),
            case (let bytes, let overflow) = kb.multipliedReportingOverflow(by: 1024), !overflow
        else { return nil }
        return bytes
    }

    /// The fields after the command name of a /proc/PID/stat text: state first, then the parent pid.
    /// The command name is skipped up to its last `)`, since it may itself hold spaces and parentheses.
    package static func statFields(_ stat: String) -> [Substring]? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// Whether `pid` exists and is not a zombie.
    package static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let state = statFields(stat)?.first else {
            return false
        }
        return state != "Z"
    }

    /// Every live process's parent, from /proc/PID/stat.
    static func parents() -> [Int32: Int32] {
        var parent: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let fields = statFields(stat), fields.count > 1, let ppid = Int32(fields[1])
            else { continue }
            parent[pid] = ppid
        }
        return parent
    }

    /// The processes below `root` in the process tree (at most 64 levels down).
    package static func descendants(of root: Int32) -> [Int32] {
        let parent = parents()
        return parent.keys.filter { pid in
            var current = pid
            for _ in 0..<64 {
                guard let up = parent[current], up > 0 else { return false }
                if up == root { return true }
                current = up
            }
            return false
        }
    }

    /// Total VmRSS of every descendant of `root` (the emulator's sandboxes), their count, and the
    /// distinct uids among them (one per sandbox when the emulator runs as root).
    package static func residentBytes(ofDescendantsOf root: Int32) -> (bytes: Int, processes: Int, uids: Set<Int>) {
        var total = 0
        var count = 0
        var uids: Set<Int> = []
        for pid in descendants(of: root) {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { continue }
            total = total.addingReportingOverflow(residentBytes(status: status) ?? 0).partialValue
            count += 1
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                let uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap({ Int($0) })
            {
                uids.insert(uid)
            }
        }
        return (total, count, uids)
    }

    /// Memory of every descendant of `root` (the emulator's zygote and sandbox processes): summed
    /// PSS (each shared page split between the processes that map it) and RSS (each counted in
    /// every process), from /proc/PID/smaps_rollup; their count, and the distinct uids among them.
    package static func memory(ofDescendantsOf root: Int32) -> (pss: Int, rss: Int, processes: Int, uids: Set<Int>) {
        var pss = 0
        var rss = 0
        var count = 0
        var uids: Set<Int> = []
        for pid in descendants(of: root) {
            guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { continue }
            pss = pss.addingReportingOverflow(kilobytes(rollup, field: "Pss:") * 1024).partialValue
            rss = rss.addingReportingOverflow(kilobytes(rollup, field: "Rss:") * 1024).partialValue
            count += 1
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                let uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap({ Int($0) }), uid != 0
            {
                uids.insert(uid)
            }
        }
        return (pss, rss, count, uids)
    }

    /// The kB figure of the line starting with `field` in an smaps_rollup text, 0 when absent.
    package static func kilobytes(_ text: String, field: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
            let kb = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? ""), kb >= 0, kb < (1 << 40)
        else { return 0 }
        return kb
    }
}
