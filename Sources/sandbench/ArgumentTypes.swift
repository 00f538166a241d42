// A conformance is as visible as its type: public for the emulator's, package for the harness's.
public import ArgumentParser
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
