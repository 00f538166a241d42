import Foundation

/// A throwaway RSA key made with the openssl CLI for this test run, and signature checks with it.
struct TestRSAKey: Sendable {
    let privateKeyPEM: String
    let publicKeyPath: String

    /// One key per test run, shared by every test that asks (generating one takes a while).
    static func shared() async throws -> TestRSAKey {
        try await cache.key()
    }

    private static let cache = KeyCache()

    /// Makes the key once; later and concurrent callers wait for that one.
    private actor KeyCache {
        private var making: Task<TestRSAKey, any Error>?

        func key() async throws -> TestRSAKey {
            if let making { return try await making.value }
            let task = Task { try await TestRSAKey.make() }
            making = task
            return try await task.value
        }
    }

    private static func make() async throws -> TestRSAKey {
        let directory = try temporaryDirectory("rsa")
        let privatePath = directory.appendingPathComponent("key.pem").path
        let publicPath = directory.appendingPathComponent("pub.pem").path
        try await runChecked("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privatePath])
        try await runChecked("openssl", ["pkey", "-in", privatePath, "-pubout", "-out", publicPath])
        return TestRSAKey(privateKeyPEM: try String(contentsOfFile: privatePath, encoding: .utf8), publicKeyPath: publicPath)
    }

    /// Whether `openssl dgst -sha256 -verify` accepts `signature` over `data` (RS256).
    func verifies(signature: [UInt8], over data: [UInt8]) async throws -> Bool {
        let scratch = try temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dataPath = scratch.appendingPathComponent("data").path
        let signaturePath = scratch.appendingPathComponent("sig").path
        try Data(data).write(to: URL(fileURLWithPath: dataPath))
        try Data(signature).write(to: URL(fileURLWithPath: signaturePath))
        let result = try await run("openssl", ["dgst", "-sha256", "-verify", publicKeyPath, "-signature", signaturePath, dataPath])
        return result.status == 0 && result.output.contains("Verified OK")
    }
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sandbench-http-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `program` (looked up on PATH) and returns its exit status and combined output, waiting on
/// a dispatch thread so the test's cooperative threads stay free for other tests.
func run(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    return await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self)))
        }
    }
}

struct CommandFailed: Error, CustomStringConvertible {
    var description: String
}

func runChecked(_ program: String, _ arguments: [String]) async throws {
    let result = try await run(program, arguments)
    guard result.status == 0 else { throw CommandFailed(description: "\(program) \(arguments.joined(separator: " ")): \(result.output)") }
}
