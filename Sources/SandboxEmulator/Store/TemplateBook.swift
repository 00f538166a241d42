import SandboxAPI

/// The sandbox templates the emulator holds, kept inside ``EmulatorStore``.
struct TemplateBook {
    struct Record {
        var resource: SandboxEnvironmentTemplate
        var engine: String
        var seq: Int
    }

    /// Templates kept at once.
    static let maxTemplates = 1000

    private(set) var records: [String: Record] = [:]

    subscript(name: String) -> Record? {
        get { records[name] }
        set { records[name] = newValue }
    }

    mutating func remove(_ name: String) { records.removeValue(forKey: name) }

    /// Templates of `engine`, oldest first.
    func templates(of engine: String) -> [Record] {
        records.values.filter { $0.engine == engine }.sorted { $0.seq < $1.seq }
    }
}
