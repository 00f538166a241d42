import Foundation
import SandboxAPI
import Synchronization
import Testing

@testable import SandboxEmulator

#if canImport(Glibc)
    import Glibc
#endif

/// The standard runtime image the tests need, from the default image folder (`$SANDBENCH_IMAGES`,
/// else `/var/lib/sandbench/images` as root). A missing image fails the test that needs it, with
/// what to run: these tests are never skipped.
enum StandardImage {
    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            """
            the standard runtime image \(path) is not built. Run `scripts/test` (its set-up builds it), \
            `scripts/setup test`, or `swift run sandbench image build`; set SANDBENCH_IMAGES to use an image folder elsewhere.
            """
        }
    }

    static func require() throws -> RuntimeImage {
        let store = ImageStore(directory: ImageStore.defaultDirectory())
        guard let image = store.installed(.standard) else { throw Missing(path: store.path(of: .standard)) }
        return image
    }
}

/// Issue 9 §1 and §4: the runtime image in sandboxes, matplotlib headless, and which files an execute returns.
extension EmulatorTests {
    @Suite struct RuntimeImages {
        /// An emulator whose Python sandboxes see the standard image, under `isolation` (default: the strongest).
        static func withImageEmulator(
            isolation: IsolationProfile.Method? = nil,
            _ body: @Sendable (TestClient) async throws -> Void
        ) async throws {
            let image = try StandardImage.require()
            try await withTestEmulator({
                $0.image = .directory(image.directory)
                $0.isolation = isolation
            }) { client in try await body(client) }
        }

        /// Both ways the image reaches a sandbox: bind-mounted read-only (bubblewrap), or read in
        /// place under the sandbox's own uid (unshare).
        static let isolations: [IsolationProfile.Method] = geteuid() == 0 ? [.bubblewrap, .unshare] : [.bubblewrap]

        @Test(arguments: isolations)
        func pandasAndNumpyImportWithTheNetworkClosed(isolation: IsolationProfile.Method) async throws {
            try await Self.withImageEmulator(isolation: isolation) { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                // A fresh worker has imported nothing from the image: its start-up cost is the bare interpreter's.
                let fresh = try await client.execute(
                    sb,
                    code: "import sys\n"
                        + "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib') if m in sys.modules))")
                #expect(fresh.stdout == "[]\n", "\(fresh)")
                let code = """
                    import socket, os
                    import numpy as np, pandas as pd, matplotlib, scipy, sklearn
                    print(np.__version__, pd.__version__, scipy.__version__, sklearn.__version__)
                    print(pd.DataFrame({'a': [1, 2, 3]})['a'].sum())
                    print([name for _, name in socket.if_nameindex()])
                    print('SANDBENCH_SITE' in os.environ)
                    """
                let r = try await client.execute(sb, code: code)
                #expect(r.stderr == "", "\(r)")
                #expect(r.stdout == "2.1.3 2.2.3 1.15.2 1.6.1\n6\n['lo']\nFalse\n", "\(r)")
            }
        }

        @Test(arguments: isolations)
        func theImageIsReadOnly(isolation: IsolationProfile.Method) async throws {
            try await Self.withImageEmulator(isolation: isolation) { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let code = """
                    import os, errno, pandas
                    site = os.path.dirname(os.path.dirname(pandas.__file__))
                    for path in (os.path.join(site, 'planted.py'), os.path.join(os.path.dirname(pandas.__file__), '__init__.py')):
                        try:
                            with open(path, 'a') as f:
                                f.write('# changed')
                            print('WROTE', path)
                        except OSError as e:
                            print(errno.errorcode[e.errno])
                    """
                let r = try await client.execute(sb, code: code)
                #expect(r.stderr == "", "\(r)")
                let lines = r.stdout.split(separator: "\n").map(String.init)
                #expect(lines.count == 2 && lines.allSatisfy { ["EROFS", "EACCES", "EPERM"].contains($0) }, "\(r)")
            }
        }

        @Test(arguments: isolations)
        func savefigComesBackAsPNG(isolation: IsolationProfile.Method) async throws {
            try await Self.withImageEmulator(isolation: isolation) { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let code = """
                    import matplotlib.pyplot as plt
                    plt.plot([1, 2, 3], [2, 4, 1])
                    plt.title('chart')
                    plt.savefig('chart.png')
                    print(plt.get_backend())
                    """
                let r = try await client.execute(sb, code: code)
                #expect(r.stdout.lowercased() == "agg\n", "\(r)")
                #expect(r.stderr == "", "matplotlib warned (a cache folder it cannot write?): \(r)")
                // Only the chart: matplotlib's font cache and configuration are not output files.
                #expect(r.files.map(\.name) == ["chart.png"], "\(r)")
                let chart = try #require(r.file("chart.png"))
                #expect(chart.mimeType == "image/png")
                #expect(Array(chart.content.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                #expect(chart.content.count > 5_000, "a 640×480 line chart is larger than \(chart.content.count) bytes")
                // A second figure in the same sandbox: the font cache is already there, still only the chart comes back.
                let again = try await client.execute(
                    sb,
                    code: "import os\nos.makedirs('plots')\nplt.figure()\n"
                        + "plt.bar(['a', 'b'], [3, 5])\nplt.savefig('plots/bar.png')")
                #expect(again.files.map(\.name) == ["plots/bar.png"] && again.file("plots/bar.png")?.mimeType == "image/png", "\(again)")
            }
        }

        @Test func outputFilesAreNewOrChangedFilesWithoutByproducts() async throws {
            try await withTestEmulator { client in
                let engine = try await client.createEngine()
                let sb = try await client.createSandbox(engine: engine)
                let names = [
                    "new.txt", "sub/dir/deep.csv", "report.md", "data.csv.gz", "archive.tgz", "blob.gz", "table.xlsx",
                    "page.HTML", "notes.unknownext", "noextension", ".hidden.json", "settings.yaml", "changed.txt"
                ]
                let code = """
                    import json, mimetypes, os, pathlib
                    with open('helper.py', 'w') as f:
                        f.write('VALUE = 7\\n')
                    import helper                      # leaves __pycache__/helper.cpython-*.pyc
                    for name in [\(names.filter { $0 != "changed.txt" }.map { "'\($0)'" }.joined(separator: ", "))]:
                        pathlib.Path(name).parent.mkdir(parents=True, exist_ok=True)
                        pathlib.Path(name).write_bytes(b'x')
                    with open('changed.txt', 'a') as f:
                        f.write(' and more')
                    for cache in ('.cache/pip/x', '.config/matplotlib/y', '.local/share/z', 'sub/__pycache__/m.pyc'):
                        pathlib.Path(cache).parent.mkdir(parents=True, exist_ok=True)
                        pathlib.Path(cache).write_bytes(b'c')
                    print(json.dumps({n: mimetypes.guess_type(n)[0] for n in [\(names.map { "'\($0)'" }.joined(separator: ", "))]}))
                    """
                let r = try await client.execute(
                    sb, code: code,
                    files: [
                        InputFile(name: "changed.txt", content: Array("original".utf8)),
                        InputFile(name: "unchanged.txt", content: Array("left alone".utf8))
                    ])
                #expect(r.stderr == "", "\(r)")
                // New and changed files, subfolders included; never input files left alone, __pycache__ or caches under HOME.
                #expect(r.files.map(\.name).sorted() == (names + ["helper.py"]).sorted(), "\(r)")
                // The same MIME type as Python's mimetypes.guess_type (the SDK's guess) in the sandbox's own Python.
                let guesses = try #require(try JSONValue.parse(Array(r.stdout.utf8)).objectValue, "\(r)")
                for file in r.files where file.name != "helper.py" {
                    #expect(file.mimeType == guesses[file.name]?.stringValue, "\(file.name): \(file.mimeType ?? "none") vs Python's guess")
                }
                #expect(r.file("helper.py")?.mimeType == "text/x-python")
                #expect(r.file("changed.txt")?.content == Array("original and more".utf8))
                // A second call returns nothing it did not change.
                let quiet = try await client.execute(sb, code: "import helper; print(helper.VALUE)")
                #expect(quiet.stdout == "7\n" && quiet.files.isEmpty, "\(quiet)")
            }
        }
    }
}

/// The image's manifest, selection and store, without building anything.
@Suite struct RuntimeImageUnitTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func embeddedManifestMatchesTheFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/image").filter { $0.hasSuffix(".txt") }.sorted()
        #expect(ImageManifest.files.map(\.name) == names, "run scripts/embed-workers")
        for (name, text) in ImageManifest.files {
            let same = try String(contentsOfFile: Self.root + "/image/" + name, encoding: .utf8) == text
            #expect(same, "image/\(name) differs from the compiled-in copy: run scripts/embed-workers")
        }
        for profile in RuntimeImage.Profile.allCases {
            #expect(profile.manifestHash.count == 12 && profile.manifestHash.allSatisfy(\.isHexDigit))
        }
        #expect(RuntimeImage.Profile.standard.manifestHash != RuntimeImage.Profile.full.manifestHash)
    }

    @Test func theManifestPinsTheDocumentedVersions() throws {
        let standard = try #require(ImageManifest.files.first { $0.name == "requirements-standard.txt" }?.text)
        let pins = Set(
            standard.split(separator: "\n").map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0] }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        for pin in [
            "numpy==2.1.3", "pandas==2.2.3", "scipy==1.15.2", "scikit-learn==1.6.1", "pyarrow==18.1.0", "numexpr==2.14.1",
            "narwhals==2.19.0", "contourpy==1.3.1", "geopandas==1.0.1", "imageio==2.37.0", "jinja2==3.1.6", "joblib==1.4.2",
            "attrs==25.3.0", "chess==1.11.2", "fpdf==1.7.2"
        ] {
            #expect(pins.contains(pin), "\(pin) is not in image/requirements-standard.txt")
        }
        #expect(pins.allSatisfy { $0.contains("==") }, "every line pins one version")
        let full = try #require(ImageManifest.files.first { $0.name == "requirements-full.txt" }?.text)
        #expect(full.contains("-r requirements-standard.txt") && full.contains("tensorflow==2.20.0") && full.contains("keras==3.14.0"))
    }

    @Test func aStoreWithoutImagesResolvesToNoneOrAClearError() throws {
        let directory = NSTemporaryDirectory() + "sandbench-images-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ImageStore(directory: directory)
        #expect(try store.resolve(.automatic, python: "/usr/bin/python3") == nil)
        #expect(try store.resolve(.none, python: "/usr/bin/python3") == nil)
        #expect {
            try store.resolve(.profile(.standard), python: "/usr/bin/python3")
        } throws: { error in
            "\(error)".contains(store.path(of: .standard)) && "\(error)".contains("sandbench image build")
        }
        // A directory without a complete marker, or whose marker names a path outside it, is no image.
        let fake = store.path(of: .standard)
        try FileManager.default.createDirectory(atPath: fake + "/lib/python3.11/site-packages", withIntermediateDirectories: true)
        #expect(store.installed(.standard) == nil)
        let hash = RuntimeImage.Profile.standard.manifestHash
        let hostile = #"{"profile":"standard","manifest":"\#(hash)","site":"../../etc","python":"3.11"}"#
        try hostile.write(toFile: fake + "/" + RuntimeImage.markerName, atomically: true, encoding: .utf8)
        #expect(store.installed(.standard) == nil)
        #expect(throws: ImageUnavailable.self) { try store.resolve(.directory(fake), python: "/usr/bin/python3") }
        let good = #"{"profile":"standard","manifest":"\#(hash)","site":"lib/python3.11/site-packages","python":"3.11","bytes":1000000}"#
        try good.write(toFile: fake + "/" + RuntimeImage.markerName, atomically: true, encoding: .utf8)
        let found = try #require(store.installed(.standard))
        #expect(found.sitePackages == "lib/python3.11/site-packages" && found.bytes == 1_000_000)
        #expect(try store.resolve(.automatic, python: "/usr/bin/python3") == found)
        // Built for another Python than the workers': automatic ignores it, a named one is an error.
        let other = #"{"profile":"standard","manifest":"\#(hash)","site":"lib/python3.11/site-packages","python":"2.7"}"#
        try other.write(toFile: fake + "/" + RuntimeImage.markerName, atomically: true, encoding: .utf8)
        if RuntimeImage.pythonVersion(of: "/usr/bin/python3") != nil {
            #expect(try store.resolve(.automatic, python: "/usr/bin/python3") == nil)
            #expect(throws: ImageUnavailable.self) { try store.resolve(.profile(.standard), python: "/usr/bin/python3") }
        }
    }

    @Test func anEmulatorAskedForAMissingImageDoesNotStart() async throws {
        let directory = NSTemporaryDirectory() + "sandbench-images-\(UUID().uuidString.prefix(8))"
        var configuration = EmulatorConfiguration()
        configuration.warmPool = [.python: 0, .javascript: 0]
        configuration.imageStore = directory
        configuration.image = .profile(.standard)
        await #expect(throws: ImageUnavailable.self) {
            try await Emulator.withEmulator(configuration: configuration, logger: quietLogger) { _ in }
        }
        // Without an image asked for, it starts and says so.
        configuration.image = .automatic
        let summary = try await Emulator.withRunningEmulator(configuration: configuration, logger: quietLogger) { $0.imageSummary }
        #expect(summary.hasPrefix("none") && summary.contains("sandbench image build") && summary.contains(directory))
    }

    @Test func buildingAnImageThatIsBuiltDoesNothing() async throws {
        let image = try StandardImage.require()
        let store = ImageStore(directory: (image.directory as NSString).deletingLastPathComponent)
        let lines = Lines()
        let outcome = try await ImageBuilder(store: store) { lines.append($0) }.build(.standard)
        #expect(!outcome.built && outcome.image == image && lines.all.isEmpty)
    }

    @Test(
        arguments: [
            ("a.png", "image/png"), ("A.PNG", "image/png"), ("data.csv.gz", "text/csv"), ("x.tgz", "application/x-tar"),
            ("blob.gz", nil), ("notes.yaml", nil), (".bashrc", nil), ("noext", nil), ("dir.d/noext", nil), ("a.", nil),
            ("archive.tar.GZ", "application/x-tar"), ("x.js", "text/javascript"), ("x.md", "text/markdown"), ("x.z", nil)
        ] as [(String, String?)])
    func mimeTypesFollowPythonsGuess(name: String, expected: String?) {
        #expect(MIMEType.forFile(name) == expected, "\(name)")
    }
}

/// Lines a builder reports, collected across threads.
final class Lines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
