import Foundation
package import HarnessScenarios

extension ReplayPlan {
    /// The scenario as a hand-editable scenario file (`sandbench replay --emit`): a header naming the
    /// cassette and the exchanges not replayed, and above each step the exchange it came from.
    /// Byte files over 64 KiB go to `attachmentDirectory` (relative to the YAML) as `path:` inputs.
    package func emitted(attachmentDirectory: String) throws(ReplayError) -> ScenarioWriter.Output {
        var header = [
            "Replays the cassette \(path) (recorded \(cassette.recordedAt) against \(cassette.upstream)).",
            "Written by `sandbench replay --emit`; how exchanges become steps: docs/cassettes.md, \"Replaying\"."
        ]
        if !skipped.isEmpty { header.append("Exchanges not replayed:") }
        for skip in skipped.prefix(Self.maxListedSkips) {
            header.append("  \(skip.exchange + 1) (line \(skip.location.line)) \(describe(skip.exchange)): \(skip.reason)")
        }
        if skipped.count > Self.maxListedSkips { header.append("  … and \(skipped.count - Self.maxListedSkips) more") }
        let comments: [String?] = origins.map { origin in
            var text = "exchange \(origin.exchange + 1) (line \(origin.location.line)): \(describe(origin.exchange))"
            if let note = origin.note { text += " — \(note)" }
            if !origin.absorbed.isEmpty { text += " (+ \(origin.absorbed.count) operation poll\(origin.absorbed.count == 1 ? "" : "s"))" }
            return text
        }
        do {
            return try ScenarioWriter(attachmentDirectory: attachmentDirectory).write([scenario], header: header, stepComments: [comments])
        } catch {
            throw ReplayError(.unwritable, at: path, error.description)
        }
    }

    static let maxListedSkips = 40

    /// `METHOD …/last/two` segments of exchange `index`.
    func describe(_ index: Int) -> String {
        guard cassette.exchanges.indices.contains(index) else { return "?" }
        let exchange = cassette.exchanges[index]
        let segments = exchange.path.split(separator: "/")
        let shown = segments.count > 3 ? "…/" + segments.suffix(2).joined(separator: "/") : exchange.path
        return "\(exchange.method) \(shown.count > 120 ? String(shown.prefix(120)) + "…" : shown)"
    }

    /// Writes each plan's scenario file: to `path` itself when there is one plan and `path` is not a
    /// directory (nor ends in `/`), else into the directory `path` as `NAME.yaml`. Attachments go to
    /// `files/NAME/` beside each file.
    /// - Returns: the scenario files written.
    /// - Throws: ``ReplayError`` `.unwritable` when a file or directory cannot be written.
    package static func emit(_ plans: [ReplayPlan], to path: String) throws(ReplayError) -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        var targets: [(plan: ReplayPlan, file: String)] = []
        if plans.count == 1, !path.hasSuffix("/"), !(exists && isDirectory.boolValue) {
            targets = [(plans[0], path)]
        } else {
            var used: Set<String> = []
            for plan in plans {
                var name = plan.scenario.name
                var n = 1
                while !used.insert(name).inserted {
                    n += 1
                    name = "\(plan.scenario.name)-\(n)"
                }
                targets.append((plan, (path.hasSuffix("/") ? path : path + "/") + name + ".yaml"))
            }
        }
        var written: [String] = []
        for (plan, file) in targets {
            let url = URL(fileURLWithPath: file)
            let directory = url.deletingLastPathComponent()
            let stem = url.deletingPathExtension().lastPathComponent
            let output = try plan.emitted(attachmentDirectory: "files/\(stem)")
            do {
                try fm.createDirectory(at: directory, withIntermediateDirectories: true)
                for attachment in output.attachments {
                    let target = directory.appendingPathComponent(attachment.path)
                    try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(attachment.content).write(to: target, options: .atomic)
                }
                try Data(output.yaml.utf8).write(to: url, options: .atomic)
            } catch {
                throw ReplayError(.unwritable, at: file, "cannot write the scenario: \(error.localizedDescription)")
            }
            written.append(file)
        }
        return written
    }
}
