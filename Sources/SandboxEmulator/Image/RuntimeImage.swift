import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A built runtime image: a Python environment with the libraries the real service preinstalls
/// (pandas, numpy, matplotlib, …), which every Python sandbox sees read-only.
///
/// Built by `sandbench image build` (``ImageBuilder``) from the pinned manifest in `image/`
/// (compiled in as ``ImageManifest``) into a directory named by profile and manifest hash, for
/// example `/var/lib/sandbench/images/standard-0123456789ab`, which holds a marker file
/// (``markerName``) written last: a directory without it is not an image.
///
/// ```swift
/// let store = ImageStore(directory: ImageStore.defaultDirectory())
/// if let image = store.installed(.standard) { print(image.summary) }
/// ```
public struct RuntimeImage: Sendable, Hashable {
    /// Which set of libraries an image holds.
    public enum Profile: String, Sendable, CaseIterable {
        /// The service's documented libraries without tensorflow and keras.
        case standard
        /// The standard profile plus tensorflow and keras (tensorflow's wheel alone is a 620 MB download).
        case full

        /// The manifest files whose lines are installed, in order; the last one is given to pip.
        var manifestFiles: [String] {
            switch self {
            case .standard: ["requirements-standard.txt"]
            case .full: ["requirements-standard.txt", "requirements-full.txt"]
            }
        }

        /// The first 12 hex digits of the SHA-256 of the profile's manifest files, concatenated.
        package var manifestHash: String { ImageManifest.hashes[rawValue] ?? "unknown" }

        /// The image's directory name in a store: profile and manifest hash.
        package var directoryName: String { "\(rawValue)-\(manifestHash)" }
    }

    /// The marker file at the top of an image, written last by a build: a small JSON object.
    package static let markerName = ".sandbench-image"
    /// Where the image appears inside a bubblewrap sandbox.
    static let sandboxPath = "/opt/image"

    package var profile: Profile
    /// The image's directory on the host.
    package var directory: String
    /// The hash of the manifest it was built from.
    package var manifestHash: String
    /// The site-packages folder, relative to ``directory`` (for example `lib/python3.11/site-packages`).
    package var sitePackages: String
    /// The Python version it was built for, `major.minor`.
    package var pythonVersion: String
    /// Bytes on disk when it was built (allocated blocks, as `du` counts).
    package var bytes: Int

    /// One line for the emulator's start-up banner.
    package var summary: String {
        "\(profile.rawValue) (manifest \(manifestHash), Python \(pythonVersion), \(megabytesText)) at \(directory), read-only"
    }

    /// The size on disk, for example `301 MB`.
    package var megabytesText: String { Self.megabytes(bytes) }

    /// The site-packages folder as a sandbox sees it: under ``sandboxPath`` with bubblewrap, the host path otherwise.
    func sitePackages(insideBubblewrap: Bool) -> String {
        (insideBubblewrap ? Self.sandboxPath : directory) + "/" + sitePackages
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.0f MB", Double(bytes) / 1_000_000)
    }

    /// Reads the image at `directory` from its marker; nil when there is no complete image there.
    static func load(directory: String) -> RuntimeImage? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + markerName),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let profile = (object["profile"] as? String).flatMap(Profile.init(rawValue:)),
            let hash = object["manifest"] as? String,
            let site = object["site"] as? String, Self.isPlainRelative(site),
            let python = object["python"] as? String,
            FileManager.default.fileExists(atPath: directory + "/" + site)
        else { return nil }
        let bytes = (object["bytes"] as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } ?? 0
        return RuntimeImage(
            profile: profile, directory: directory, manifestHash: hash, sitePackages: site,
            pythonVersion: python, bytes: bytes)
    }

    /// The marker's JSON for this image.
    var markerJSON: Data {
        let object: [String: Any] = [
            "profile": profile.rawValue, "manifest": manifestHash, "site": sitePackages,
            "python": pythonVersion, "bytes": bytes
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// A relative path without `..`, `.` or empty components (a marker is a file on disk: outside input).
    private static func isPlainRelative(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/")
            && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// `major.minor` of the Python at `path`, from the name its symlinks resolve to (`python3.11`); nil if unknown.
    static func pythonVersion(of path: String) -> String? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().lastPathComponent
        guard resolved.hasPrefix("python") else { return nil }
        let version = resolved.dropFirst("python".count)
        let parts = version.split(separator: ".")
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        return String(version)
    }
}

/// Which image an emulator gives its Python sandboxes.
public enum ImageSelection: Sendable, Hashable {
    /// The current manifest's image from the store if one is built (full before standard), else none.
    case automatic
    /// No image: sandboxes have Python's standard library only.
    case none
    /// That profile's image from the store; the emulator does not start without it.
    case profile(RuntimeImage.Profile)
    /// The image in that directory; the emulator does not start without it.
    case directory(String)
}

/// The image asked for cannot be used; the emulator does not start.
public struct ImageUnavailable: Error, Sendable, CustomStringConvertible {
    /// Why, and what to do.
    public var reason: String
    /// The reason, for logs and the console.
    public var description: String { reason }
}

/// The folder that holds built images, one directory per profile and manifest hash.
package struct ImageStore: Sendable {
    /// The store's directory.
    package var directory: String

    package init(directory: String) {
        self.directory = directory
    }

    /// `$SANDBENCH_IMAGES`; else `/var/lib/sandbench/images` for root (world-readable, so sandboxes
    /// running under their own uids can read it); else `$XDG_DATA_HOME/sandbench/images` (by default
    /// `~/.local/share/sandbench/images`).
    package static func defaultDirectory(environment: [String: String]? = nil) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        if let set = environment["SANDBENCH_IMAGES"], !set.isEmpty { return set }
        if geteuid() == 0 { return "/var/lib/sandbench/images" }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/sandbench/images" }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        return home + "/.local/share/sandbench/images"
    }

    /// Where `profile`'s image for the current manifest lives (or would).
    package func path(of profile: RuntimeImage.Profile) -> String {
        directory + "/" + profile.directoryName
    }

    /// `profile`'s image for the current manifest, if it is completely built.
    package func installed(_ profile: RuntimeImage.Profile) -> RuntimeImage? {
        guard let image = RuntimeImage.load(directory: path(of: profile)), image.profile == profile,
            image.manifestHash == profile.manifestHash
        else { return nil }
        return image
    }

    /// Resolves a selection to an image (nil: none) for workers running `python`.
    /// Reads a few small files: call it off the cooperative pool.
    func resolve(_ selection: ImageSelection, python: String) throws(ImageUnavailable) -> RuntimeImage? {
        let image: RuntimeImage?
        switch selection {
        case .none: return nil
        case .automatic:
            image = installed(.full) ?? installed(.standard)
        case .profile(let profile):
            guard let found = installed(profile) else {
                throw ImageUnavailable(
                    reason: "no \(profile.rawValue) image is built at \(path(of: profile)): "
                        + "run `sandbench image build --profile \(profile.rawValue)` (or set SANDBENCH_IMAGES)")
            }
            image = found
        case .directory(let path):
            guard let found = RuntimeImage.load(directory: path) else {
                throw ImageUnavailable(
                    reason: "\(path) is not a built image (no complete \(RuntimeImage.markerName) marker): "
                        + "build one with `sandbench image build --dir DIR`, and name DIR/PROFILE-HASH")
            }
            image = found
        }
        if let image, let workers = RuntimeImage.pythonVersion(of: python), workers != image.pythonVersion {
            if selection == .automatic { return nil }
            throw ImageUnavailable(
                reason: "the image at \(image.directory) was built for Python \(image.pythonVersion), but the "
                    + "workers run Python \(workers) (\(python)): rebuild it with `sandbench image build`")
        }
        return image
    }
}
