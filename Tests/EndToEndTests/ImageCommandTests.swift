import Foundation
import Testing

/// `sandbench image build` and `image list` end to end, with the standard image the set-up built.
@Suite struct ImageCommandTests {
    @Test func buildingTheBuiltImageDoesNothingAndSaysSo() async throws {
        let out = try await CLI.run(["image", "build"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(
            out.stderr.contains("is already built at ") && out.stderr.contains("nothing to do"),
            "the standard image is not built: run scripts/test or `swift run sandbench image build`. \(out.stderr)")
        let path = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(path.contains("/standard-") && FileManager.default.fileExists(atPath: path + "/.sandbench-image"), "\(out.stdout)")
        let list = try await CLI.run(["image", "list"])
        #expect(list.status == 0 && list.stdout.contains("the emulator uses: "), "\(list.stdout)")
    }

    @Test func anEmptyFolderListsNothingBuilt() async throws {
        let empty = CLI.temporaryDirectory()
        let list = try await CLI.run(["image", "list", "--dir", empty])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("image folder: \(empty)"), "\(list.stdout)")
        #expect(list.stdout.contains("not built (sandbench image build --profile standard)"), "\(list.stdout)")
        #expect(list.stdout.contains("the emulator uses: none"), "\(list.stdout)")
    }

    @Test func badProfilesAndUnusableFoldersAreErrors() async throws {
        let bad = try await CLI.run(["image", "build", "--profile", "huge"])
        #expect(bad.status == 2, "\(bad.stderr)")
        // A folder that cannot be created: exit 1 with the reason, before anything is downloaded.
        let file = CLI.temporaryDirectory() + "/plain-file"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let unusable = try await CLI.run(["image", "build", "--dir", file + "/images"])
        #expect(unusable.status == 1, "\(unusable.stderr)")
        #expect(unusable.stderr.contains("cannot create the image store \(file)/images"), "\(unusable.stderr)")
    }
}
