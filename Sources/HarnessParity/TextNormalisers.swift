import HarnessCore

/// The built-in rules for text that differs between runs whatever the objects involved: those
/// `replay` uses for console output (``TextNormalizer``: escape sequences, traceback file names,
/// temporary paths, memory addresses, PIDs, timestamps, host names), then measured durations,
/// `process N` and network addresses. `Regex` is not `Sendable`, so each normalising pass makes its
/// own (the patterns are compiled with the code).
struct TextNormalisers {
    /// Measured durations: a fraction with any unit (`0.25s`, `12.5 ms`), or whole sub-second units
    /// (`250ms`, `40µs`). Whole seconds (`3600s`) are kept: they are settings, such as a TTL.
    let duration = #/\b\d+\.\d+ ?(?:ns|us|µs|ms|s)\b|\b\d+ ?(?:ns|us|µs|ms)\b/#
    /// `process 4242` (``TextNormalizer`` does `pid 4242`).
    let process = #/(?i)\b(process)([ =:#]+)\d+/#
    /// IPv4 addresses with an optional port, and `localhost:PORT`.
    let address = #/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b|\blocalhost:\d{1,5}\b/#

    /// `text` with every volatile part replaced by its placeholder (`<timestamp>`, `<tmp>`, `<pid>`,
    /// `<host>`, `File "<file>"`, `0x<addr>`, `<duration>`, `<address>`).
    func normalise(_ text: String) -> String {
        var out = TextNormalizer.normalize(text)
        guard out.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) else { return out }
        out = out.replacing(address, with: "<address>")
        out = out.replacing(duration, with: "<duration>")
        out = out.replacing(process) { match in "\(match.output.1)\(match.output.2)<pid>" }
        return out
    }
}

/// Resource names of the API (`projects/P/locations/L/reasoningEngines/E/sandboxEnvironments/S/operations/O`)
/// and their reference numbering.
struct ResourceNames {
    let name =
        #/
        projects/([A-Za-z0-9_~%-]+)/locations/([A-Za-z0-9_~%-]+)
        (?:/reasoningEngines/([A-Za-z0-9_~%-]+)
            (?:/sandboxEnvironments/([A-Za-z0-9_~%-]+))?
            (?:/operations/([A-Za-z0-9_~%-]+))?
        )?
        /#

    /// `text` with each ID in each resource name replaced by `<project:N>`, `<location:N>`,
    /// `<engine:N>`, `<sandbox:N>`, `<operation:N>`.
    func replace(in text: String, numbering: inout Numbering, masking: Bool) -> String {
        guard text.contains("projects/") else { return text }
        var out = ""
        var last = text.startIndex
        for match in text.matches(of: name) {
            out += text[last..<match.range.lowerBound]
            let (_, project, location, engine, sandbox, operation) = match.output
            out += "projects/" + numbering.placeholder(kind: "project", value: String(project), masking: masking)
            out += "/locations/" + numbering.placeholder(kind: "location", value: String(location), masking: masking)
            if let engine {
                out += "/reasoningEngines/" + numbering.placeholder(kind: "engine", value: String(engine), masking: masking, bare: true)
            }
            if let sandbox {
                out += "/sandboxEnvironments/"
                out += numbering.placeholder(kind: "sandbox", value: String(sandbox), masking: masking, bare: true)
            }
            if let operation {
                out += "/operations/" + numbering.placeholder(kind: "operation", value: String(operation), masking: masking, bare: true)
            }
            last = match.range.upperBound
        }
        return last == text.startIndex ? text : out + text[last...]
    }
}
