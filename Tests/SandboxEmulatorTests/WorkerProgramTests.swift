import Foundation
import Testing

@testable import SandboxEmulator

/// The worker programs compiled into the binary are the files in Runtime/Workers.
@Suite struct WorkerProgramTests {
    static let workers = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/SandboxEmulator/Runtime/Workers").path

    @Test func embeddedProgramsMatchTheFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.workers).filter { !$0.hasPrefix(".") }.sorted()
        #expect(WorkerPrograms.all.map(\.name) == names, "run scripts/embed-workers")
        for (name, source) in WorkerPrograms.all {
            let file = try String(contentsOfFile: Self.workers + "/" + name, encoding: .utf8)
            let same = source == file // compared apart, so a failure names the file rather than printing both texts
            #expect(same, "\(name) differs from the compiled-in copy: run scripts/embed-workers")
        }
    }
}
