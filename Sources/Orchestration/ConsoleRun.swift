import Foundation
package import HarnessCore
package import HarnessReports

/// Where a command's text goes: standard output and standard error, or a test's buffers.
package struct CommandOutput: Sendable {
    package var standardOutput: @Sendable (String) -> Void
    package var standardError: @Sendable (String) -> Void

    package init(standardOutput: @escaping @Sendable (String) -> Void, standardError: @escaping @Sendable (String) -> Void) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// The process's standard output and standard error.
    package static let process = CommandOutput(
        standardOutput: { FileHandle.standardOutput.write(Data($0.utf8)) },
        standardError: { FileHandle.standardError.write(Data($0.utf8)) }
    )
}

/// A command's exit status: 0 passed, 1 a failure or error in the run, 2 usage, configuration or report errors.
package enum ExitStatus: Int32, Sendable {
    case passed = 0
    case failed = 1
    case usage = 2
}

extension RunFailure {
    /// The exit status for this failure: 2 for usage, configuration and report errors, 1 when the target failed.
    package var exitStatus: ExitStatus { code == .target ? .failed : .usage }
}

extension Orchestrator {
    /// Runs a suite (`run`, `replay`) with console output: each scenario as it ends, then the
    /// summary; leaks and failures to standard error.
    /// - Parameter body: the run, given the orchestrator and the console's events.
    /// - Returns: `.passed`, `.failed` when a scenario did not pass or a sandbox leaked, or the
    ///   failure's status when the run could not be carried out.
    package func runWithConsole(
        _ console: ConsoleReporter, output: CommandOutput,
        _ body: (Orchestrator, SuiteEvents) async throws(RunFailure) -> RunResult
    ) async -> ExitStatus {
        let events = SuiteEvents(
            scenarioFinished: { output.standardOutput(console.render($0)) },
            finished: { output.standardOutput(console.renderSummary($0)) }
        )
        let result: RunResult
        do {
            result = try await body(self, events)
        } catch {
            output.standardError("\(error)\n")
            return error.exitStatus
        }
        if !result.leaks.isEmpty {
            output.standardError("leaked sandboxes (still alive after clean-up; now deleted):\n\(result.leaks.joined(separator: "\n"))\n")
        }
        return result.passed ? .passed : .failed
    }
}

extension LoadEvents {
    /// A load run's console: on a terminal one live progress line, rewritten in place; warnings to
    /// standard error; the summary table at the end.
    package static func console(isTTY: Bool, color: Bool, output: CommandOutput) -> LoadEvents {
        LoadEvents(
            progress: { snapshot, elapsed, total in
                guard isTTY else { return }
                output.standardOutput("\r\u{1B}[2K" + LoadProgress.line(snapshot, elapsed: elapsed, total: total))
            },
            sessionsEnded: { if isTTY { output.standardOutput("\r\u{1B}[2K") } },
            warning: { output.standardError("\($0)\n") },
            finished: { output.standardOutput(LoadTable.render($0, color: color) + "\n") }
        )
    }
}

extension Orchestrator {
    /// Runs `request` as ``load(_:reports:events:)`` does, with failures to standard error.
    /// - Returns: `.passed`, `.failed` when a threshold was breached, the run aborted or a sandbox
    ///   leaked, or the failure's status when the run could not be carried out.
    package func loadWithConsole(
        _ request: LoadRequest, reports: LoadReports, events: LoadEvents,
        output: CommandOutput
    ) async -> ExitStatus {
        do {
            let result = try await load(request, reports: reports, events: events)
            if let html = reports.html { output.standardOutput("HTML report: \(html)\n") }
            return result.passed && result.aborted == nil ? .passed : .failed
        } catch {
            output.standardError("\(error)\n")
            return error.exitStatus
        }
    }
}
