/// What a `--target` (or `--reference`, `--candidate`, `--upstream`) flag names: the embedded
/// emulator, Vertex AI, or any server of the API at an http(s) URL.
package enum TargetName: Sendable, Hashable, CustomStringConvertible {
    case emulator
    case vertex
    case url(String)

    /// The words a flag accepts, for help texts.
    package static let valueHelp = ["emulator", "vertex", "http(s)://HOST:PORT"]

    /// `emulator`, `vertex` or an `http://` / `https://` URL; nil for anything else.
    package init?(parsing text: String) {
        switch text {
        case "emulator": self = .emulator
        case "vertex": self = .vertex
        default:
            let scheme = ["http://", "https://"].first { text.hasPrefix($0) }
            guard let scheme, text.count > scheme.count else { return nil }
            self = .url(text)
        }
    }

    package var description: String {
        switch self {
        case .emulator: "emulator"
        case .vertex: "vertex"
        case .url(let url): url
        }
    }

    /// The target kind, with the project that Vertex needs.
    /// - Throws: ``RunFailure`` `.configuration` for `vertex` without a project.
    package func kind(project: String?, flag: String) throws(RunFailure) -> TargetConfiguration.Kind {
        switch self {
        case .emulator: return .embedded
        case .url(let url): return .url(url)
        case .vertex:
            guard let project else { throw RunFailure(.configuration, "\(flag) vertex needs --project") }
            return .vertex(project: project)
        }
    }
}
