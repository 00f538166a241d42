import Foundation

/// The interpreter worker programs shipped as package resources (`Runtime/Workers`).
enum WorkerPrograms {
    static let files = ["py_worker.py", "js_worker.js"]

    /// File name → source text.
    static var all: [(String, String)] {
        get throws {
            try files.map { name in
                let parts = name.split(separator: ".")
                guard let path = Bundle.module.path(forResource: String(parts[0]), ofType: String(parts[1]), inDirectory: "Workers")
                    ?? Bundle.module.path(forResource: String(parts[0]), ofType: String(parts[1])) else {
                    throw SandboxFactory.FactoryError(message: "worker program \(name) is missing from the sandbench resources")
                }
                return (name, try String(contentsOfFile: path, encoding: .utf8))
            }
        }
    }
}
