/// One line a benchmark produces; the CLI decides how to print it.
package enum BenchLine: Sendable, Equatable {
    /// The start of a group of figures, with what it measures and how.
    case heading(String)
    /// A measured figure, with its goal and whether the goal is met when there is one.
    case figure(label: String, value: String, goal: String?, met: Bool?)
    /// A free-form detail (a failure's summary, say).
    case note(String)
}

/// Where benchmarks send their lines.
package struct BenchOutput: Sendable {
    let emit: @Sendable (BenchLine) -> Void

    package init(_ emit: @escaping @Sendable (BenchLine) -> Void) { self.emit = emit }

    func heading(_ text: String) { emit(.heading(text)) }

    func figure(_ label: String, _ value: String, goal: String? = nil, met: Bool? = nil) {
        emit(.figure(label: label, value: value, goal: goal, met: met))
    }

    func note(_ text: String) { emit(.note(text)) }
}

/// Milliseconds with microsecond digits, as every latency figure is printed.
func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }
