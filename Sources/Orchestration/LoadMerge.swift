import Foundation
package import HarnessCore
import HarnessReports

/// `sandbench merge`: the results of a plan's shards (`load --shard i/n --json …`) as one result,
/// judged and reported as `load` judges and reports a run.
///
/// ```swift
/// let result = try LoadMerge.merge(paths: ["s0.json", "s1.json"])
/// try LoadReports(json: "merged.json").write(result)
/// ```
package enum LoadMerge {
    /// Largest result file read: far above a long run's (histograms are sparse, the timeline at
    /// most 1800 points), small enough that a wrong file is refused before it fills memory.
    package static let maxFileBytes = 256 << 20

    /// Reads every file, checks it, and merges them into the whole plan's result.
    /// - Throws: ``RunFailure`` `.configuration` naming the file (and the field) that is unreadable,
    ///   malformed, of another scenario or plan, a shard given twice; or the shards missing.
    package static func merge(paths: [String]) throws(RunFailure) -> LoadResult {
        guard !paths.isEmpty else { throw RunFailure(.configuration, "merge needs the JSON result of every shard") }
        var parts: [LoadResult] = []
        for path in paths {
            let bytes = try read(path)
            do {
                parts.append(try LoadJSONReport.decode(bytes))
            } catch {
                throw RunFailure(.configuration, "\(path): \(error)")
            }
        }
        do {
            return try LoadResult(merging: parts)
        } catch {
            guard let part = error.part else { throw RunFailure(.configuration, "cannot merge: \(error.message)") }
            throw RunFailure(.configuration, "\(paths[part]): \(error.message)")
        }
    }

    /// Merges `paths`, prints the summary table, writes `reports` (HTML, as `load`, to
    /// `reports/NAME.html` when no path is given); `thresholds` are judged on the merged result
    /// beside the plan's own.
    /// - Returns: `.passed`; `.failed` when a threshold is breached, a shard aborted or leaked a
    ///   sandbox; `.usage` when the files cannot be merged or a report cannot be written.
    package static func mergeWithConsole(
        paths: [String], thresholds: [String] = [], reports: LoadReports, color: Bool, output: CommandOutput
    ) -> ExitStatus {
        do {
            var result = try merge(paths: paths)
            // Judged with the plan's own and kept in the merged plan, so the merged JSON says what was judged.
            result.addThresholds(thresholds)
            output.standardOutput(LoadTable.render(result, color: color) + "\n")
            var reports = reports
            if reports.html == nil { reports.html = LoadReports.defaultHTMLPath(scenario: result.scenario) }
            try reports.write(result)
            if let html = reports.html { output.standardOutput("HTML report: \(html)\n") }
            if !result.leaks.isEmpty {
                output.standardError("leaked sandboxes (reported by the shards):\n\(result.leaks.joined(separator: "\n"))\n")
            }
            return result.passed && result.aborted == nil ? .passed : .failed
        } catch {
            output.standardError("\(error)\n")
            return error.exitStatus
        }
    }

    private static func read(_ path: String) throws(RunFailure) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw RunFailure(.configuration, "\(path): cannot be read") }
        defer { try? handle.close() }
        let data: Data?
        do { data = try handle.read(upToCount: maxFileBytes + 1) } catch {
            throw RunFailure(.configuration, "\(path): cannot be read: \(error.localizedDescription)")
        }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= maxFileBytes else {
            throw RunFailure(.configuration, "\(path): larger than \(maxFileBytes >> 20) MiB: not a load result")
        }
        return bytes
    }
}
