import Foundation

/// A throwaway RSA key made with the openssl CLI for this test run, and signature checks with it.
struct TestRSAKey: Sendable {
    let directory: URL
    let privateKeyPEM: String
    let publicKeyPath: String

    /// One key per test run: generating costs a few hundred milliseconds.
    static let shared: TestRSAKey = {
        do { return try make() } catch { fatalError("could not make a test RSA key with openssl: \(error)") }
    }()

    static func make() throws -> TestRSAKey {
        let directory = try temporaryDirectory("rsa")
        let privatePath = directory.appendingPathComponent("key.pem").path
        let publicPath = directory.appendingPathComponent("pub.pem").path
        try runChecked("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privatePath])
        try runChecked("openssl", ["pkey", "-in", privatePath, "-pubout", "-out", publicPath])
        return TestRSAKey(directory: directory, privateKeyPEM: try String(contentsOfFile: privatePath, encoding: .utf8), publicKeyPath: publicPath)
    }

    /// Whether `openssl dgst -sha256 -verify` accepts `signature` over `data` (RS256).
    func verifies(signature: [UInt8], over data: [UInt8]) throws -> Bool {
        let scratch = try temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dataPath = scratch.appendingPathComponent("data").path
        let signaturePath = scratch.appendingPathComponent("sig").path
        try Data(data).write(to: URL(fileURLWithPath: dataPath))
        try Data(signature).write(to: URL(fileURLWithPath: signaturePath))
        let result = try run("openssl", ["dgst", "-sha256", "-verify", publicKeyPath, "-signature", signaturePath, dataPath])
        return result.status == 0 && result.output.contains("Verified OK")
    }
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sandbench-http-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `program` (looked up on PATH) and returns its exit status and combined output.
@discardableResult
func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

struct CommandFailed: Error, CustomStringConvertible {
    var description: String
}

func runChecked(_ program: String, _ arguments: [String]) throws {
    let result = try run(program, arguments)
    guard result.status == 0 else { throw CommandFailed(description: "\(program) \(arguments.joined(separator: " ")): \(result.output)") }
}
