public import ArgumentParser
import Foundation
import SandboxEmulator

// `--profile standard|full`: ArgumentParser lists the values in --help and rejects others.
extension RuntimeImage.Profile: ExpressibleByArgument {}

/// `sandbench image`: the emulator's runtime image (the libraries Python sandboxes see).
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Build and list the emulator's runtime image: the Python libraries its sandboxes see, read-only.",
        subcommands: [ImageBuildCommand.self, ImageListCommand.self]
    )
}

/// Where images are stored: `--dir`, else `$SANDBENCH_IMAGES`, else the default for this user.
struct ImageStoreOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The folder of built images (default: $SANDBENCH_IMAGES, else /var/lib/sandbench/images as root, "
                + "else $XDG_DATA_HOME/sandbench/images).", valueName: "path"))
    var dir: String?

    func store() throws -> ImageStore {
        guard let dir else { return ImageStore(directory: ImageStore.defaultDirectory()) }
        guard !dir.isEmpty, !dir.contains("\0") else { throw ValidationError("--dir must be a path") }
        let absolute = dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir
        return ImageStore(directory: URL(fileURLWithPath: absolute).standardizedFileURL.path)
    }
}

/// `sandbench image build`: installs a profile's image unless it is already built.
struct ImageBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Install the runtime image from the pinned manifest (image/requirements-*.txt) with the workers' Python.",
        discussion: """
            The image is a virtual environment named PROFILE-HASH (the manifest's hash) in the image folder; \
            a second run finds it built and does nothing. pip's progress goes to stderr. The emulator uses \
            the image it finds there (see `sandbench emulator --image`).
            """
    )

    @Option(
        help: ArgumentHelp(
            "standard: the service's documented libraries; full: those and tensorflow, keras "
                + "(tensorflow's wheel alone is a 620 MB download)."))
    var profile: RuntimeImage.Profile = .standard

    @OptionGroup var store: ImageStoreOptions

    func run() async throws {
        let builder = ImageBuilder(store: try store.store()) { line in
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
        do {
            let outcome = try await builder.build(profile)
            if !outcome.built {
                FileHandle.standardError.write(
                    Data(
                        ("image \(profile.directoryName) is already built at \(outcome.image.directory) "
                            + "(\(outcome.image.megabytesText)): nothing to do\n").utf8))
            }
            FileHandle.standardOutput.write(Data("\(outcome.image.directory)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `sandbench image list`: the image folder, what is built there, and what an emulator would use.
struct ImageListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the image folder, the images built for the current manifest, and the one the emulator would use."
    )

    @OptionGroup var store: ImageStoreOptions

    func run() async throws {
        let store = try store.store()
        var lines = ["image folder: \(store.directory)"]
        for profile in RuntimeImage.Profile.allCases {
            let state =
                store.installed(profile).map { "built, \($0.megabytesText)" }
                ?? "not built (sandbench image build --profile \(profile.rawValue))"
            lines.append("\(profile.directoryName): \(state)")
        }
        let used = store.installed(.full) ?? store.installed(.standard)
        lines.append("the emulator uses: " + (used.map(\.directory) ?? "none"))
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
