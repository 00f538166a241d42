import Foundation
import Testing

/// `sandbench emulator` states on stderr, before it listens, what a probe sandbox showed to be in force.
@Suite struct EmulatorBannerTests {
    @Test func theBannerStatesWhatWasMeasured() async throws {
        let emulator = Process()
        emulator.executableURL = URL(fileURLWithPath: CLI.binary)
        emulator.arguments = ["emulator", "--port", "0", "--warm-python", "0", "--warm-javascript", "0"]
        let out = Pipe()
        let err = Pipe()
        emulator.standardOutput = out
        emulator.standardError = err
        try emulator.run()
        // Read on a Dispatch thread: a blocked thread of the cooperative pool would starve other tests.
        let line = await withCheckedContinuation { (done: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async { done.resume(returning: String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)) }
        }
        kill(emulator.processIdentifier, SIGTERM)
        let banner = String(decoding: await CLI.readToEnd(err), as: UTF8.self)
        #expect(line.hasPrefix("listening on http://127.0.0.1:"), "\(line)")
        let measured = try #require(
            banner.split(separator: "\n").first { $0.hasPrefix("in force (measured in a probe sandbox): ") },
            "\(banner)")
        #expect(!measured.contains("NOT MEASURED"), "\(measured)")
        // Once, which runtime image is in force (the set-up builds the standard one), or none and how to build one.
        let images = banner.split(separator: "\n").filter { $0.hasPrefix("image: ") }
        let image = images.first ?? ""
        #expect(images.count == 1 && (image.contains("standard (manifest ") || image.contains("sandbench image build")), "\(banner)")
        // Once, how sandboxes are started: as root with bubblewrap, Python forked by the zygote.
        let starts = banner.split(separator: "\n").filter { $0.hasPrefix("sandbox start: ") }
        #expect(starts.count == 1, "\(banner)")
        if geteuid() == 0, banner.contains("isolation: bubblewrap") {
            #expect(starts.first?.hasPrefix("sandbox start: python forked by a zygote (pid ") == true, "\(banner)")
        }
        if geteuid() == 0 {
            // As root on this project's hosts: the default machine shape's limits, a uid of its own, no network.
            let figures = [
                "memory 1536 MiB", "pids 128", "cpu 2 CPUs", "own namespaces: ", "net",
                "fsize 100 MiB", "nofile 1024", "core 0,"
            ]
            for figure in figures {
                #expect(measured.contains(figure), "\(measured) lacks \(figure)")
            }
        }
    }

    @Test func aNamedImageThatIsNotBuiltExitsTwo() async throws {
        let empty = CLI.temporaryDirectory()
        let out = try await CLI.run(
            ["emulator", "--port", "0", "--warm-python", "0", "--warm-javascript", "0", "--image", "full"],
            environment: ["SANDBENCH_IMAGES": empty])
        #expect(out.status == 2, "\(out.stderr)")
        #expect(
            out.stderr.contains("no full image is built at \(empty)/full-") && out.stderr.contains("sandbench image build --profile full"),
            "\(out.stderr)")
        let bad = try await CLI.run(["emulator", "--port", "0", "--image", "latest"])
        #expect(bad.status == 2 && bad.stderr.contains("--image must be auto, none, standard, full"), "\(bad.stderr)")
    }
}
