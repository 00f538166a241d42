// A conformance is as visible as its type: public for the emulator's, package for the harness's.
public import ArgumentParser
import Foundation
import HarnessBench
package import Orchestration
import SandboxAPI
public import SandboxEmulator

/// A duration flag (`250ms`, `1.5s`, `2m`; at most 100 years): ArgumentParser rejects anything else
/// with its usual error naming the flag (exit 2).
struct FlagDuration: ExpressibleByArgument, Sendable {
    var duration: Duration
    /// As the user wrote it, for `--help`'s defaults.
    var text: String

    init(_ duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    init?(argument: String) {
        guard let duration = HumanDuration.parse(argument) else { return nil }
        self.duration = duration
        text = argument
    }

    var defaultValueDescription: String { text }
}

extension TargetName: ExpressibleByArgument {
    package init?(argument: String) { self.init(parsing: argument) }

    package var defaultValueDescription: String { description }

    package static var allValueStrings: [String] { valueHelp }
}

extension BenchSuite: ExpressibleByArgument {}

extension IsolationProfile.Method: ExpressibleByArgument {
    // Listed by hand: the emulator's enum is not CaseIterable.
    public static var allValueStrings: [String] { ["bubblewrap", "unshare", "none"] }
}

/// `--http-client`: which client sends plain `http://` requests to IP literals.
enum HTTPClientChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case builtin, curl
}

/// `--start-at`: a wall-clock time, RFC 3339 (`2026-12-01T09:30:00Z`, fractions and offsets allowed)
/// or Unix seconds, no more than 24 hours ahead of now.
struct StartTime: Sendable {
    var unixSeconds: Double

    init?(argument: String) {
        let seconds: Double
        if let number = Double(argument), argument.allSatisfy({ $0.isNumber || $0 == "." }) {
            seconds = number
        } else {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = formatter.date(from: argument) ?? ISO8601DateFormatter().date(from: argument) else { return nil }
            seconds = date.timeIntervalSince1970
        }
        guard seconds.isFinite, seconds > 0, seconds - Date().timeIntervalSince1970 <= 86_400 else { return nil }
        unixSeconds = seconds
    }
}
