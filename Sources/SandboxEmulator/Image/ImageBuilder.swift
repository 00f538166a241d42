import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Builds a runtime image from the compiled-in manifest: a virtual environment made with the
/// workers' Python, the manifest installed into it by pip (child processes whose output goes to
/// this process's stderr as progress), checked by importing the main libraries, then marked
/// complete. Idempotent: an image already built for the current manifest is left as it is.
///
/// ```swift
/// let outcome = try await ImageBuilder(store: ImageStore(directory: dir)) { print($0) }.build(.standard)
/// ```
package struct ImageBuilder: Sendable {
    /// Where the image goes.
    package var store: ImageStore
    /// The interpreter the image is built for: the one the workers run.
    package var python: String
    /// Receives one line per step (the pip output itself goes to stderr).
    package var report: @Sendable (String) -> Void

    package init(store: ImageStore, python: String = IsolationProfile.workerPython(), report: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.python = python
        self.report = report
    }

    /// What a build did.
    package struct Outcome: Sendable {
        /// The image, built now or before.
        package var image: RuntimeImage
        /// False when it was already built and nothing was done.
        package var built: Bool
    }

    /// A build that failed: which step, and what to do.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    /// The modules a build imports to prove the image works, per profile.
    static func checkedModules(_ profile: RuntimeImage.Profile) -> [String] {
        let standard = ["numpy", "pandas", "scipy", "sklearn", "matplotlib.pyplot", "pyarrow", "geopandas", "jinja2", "chess", "fpdf"]
        return profile == .full ? standard + ["tensorflow", "keras"] : standard
    }

    /// Builds `profile`'s image unless it is already built.
    package func build(_ profile: RuntimeImage.Profile) async throws(Failure) -> Outcome {
        let store = self.store
        if let image = store.installed(profile) { return Outcome(image: image, built: false) }
        let target = store.path(of: profile)
        let lock = try await Self.offPool { () throws(Failure) -> Int32 in try Self.prepare(store: store, target: target) }
        defer { close(lock) } // closing the descriptor releases the lock
        // Another build may have finished while this one waited for the store.
        if let image = store.installed(profile) { return Outcome(image: image, built: false) }
        do {
            return Outcome(image: try await install(profile, into: target), built: true)
        } catch {
            // A failed build leaves nothing behind (a later build would remove it anyway: it has no marker).
            _ = try? await Self.offPool { () throws(Failure) in try? FileManager.default.removeItem(atPath: target) }
            throw error
        }
    }

    /// Makes the environment at `target`, installs the manifest, checks it and writes the marker.
    private func install(_ profile: RuntimeImage.Profile, into target: String) async throws(Failure) -> RuntimeImage {
        let started = ContinuousClock.now
        let version = RuntimeImage.pythonVersion(of: python) ?? "?"
        report("image \(profile.directoryName): building in \(target) with \(python) (Python \(version))")
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        try await run(
            [python, "-m", "venv", target], environment: environment, step: "creating the virtual environment",
            hint: "on Debian install python3-venv (apt-get install python3-venv)")
        let manifest = target + "/manifest"
        try await Self.offPool { () throws(Failure) in
            do {
                try FileManager.default.createDirectory(atPath: manifest, withIntermediateDirectories: true)
                for (name, text) in ImageManifest.files { try text.write(toFile: manifest + "/" + name, atomically: true, encoding: .utf8) }
            } catch {
                throw Failure(message: "cannot write the manifest into \(manifest): \(error)")
            }
        }
        let pip = [target + "/bin/python", "-m", "pip"]
        let requirements = manifest + "/" + (profile.manifestFiles.last ?? "requirements-standard.txt")
        report("image \(profile.directoryName): installing \(profile.manifestFiles.joined(separator: " + ")) (pip's output follows)")
        try await run(
            pip + [
                "install", "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "--use-pep517",
                "--no-warn-script-location", "-r", requirements
            ], environment: environment,
            step: "pip install -r \(requirements)",
            hint: "see pip's message above; check that the package index is reachable "
                + "(pip config list) and that Python \(version) has wheels or can build every pinned version")
        // Users cannot extend the service's image: the installer itself is not part of what sandboxes see
        // (setuptools, which venv also brings, stays: tensorboard needs it at run time).
        try await run(
            pip + ["uninstall", "--disable-pip-version-check", "-y", "-q", "pip"], environment: environment,
            step: "removing pip from the image", hint: "remove \(target) and build again")
        let check = Self.checkedModules(profile).map { "import \($0)" }.joined(separator: "; ")
        report("image \(profile.directoryName): checking that it imports (\(Self.checkedModules(profile).joined(separator: ", ")))")
        try await run(
            [target + "/bin/python", "-I", "-c", check],
            environment: [
                "PATH=/usr/bin:/bin", "MPLBACKEND=Agg",
                "MPLCONFIGDIR=/tmp", "HOME=/nonexistent"
            ],
            step: "importing the installed libraries",
            hint: "remove \(target) and build again; if it fails again the "
                + "manifest pins versions that do not work together on Python \(version)")
        let image = try await Self.offPool { () throws(Failure) -> RuntimeImage in
            try Self.finish(target: target, profile: profile, pythonVersion: version)
        }
        let seconds = (ContinuousClock.now - started).components.seconds
        report("image \(profile.directoryName): built in \(seconds) s, \(RuntimeImage.megabytes(image.bytes)) on disk at \(target)")
        return image
    }

    /// Runs one step as a child process (its output on this process's stderr) and waits for it off the cooperative pool.
    private func run(_ argv: [String], environment: [String], step: String, hint: String) async throws(Failure) {
        let pid: pid_t
        do {
            pid = try await LauncherThread.shared.run { try ProcessSpawner.spawn(argv, fds: [-1, 2, 2], environment: environment) }
        } catch {
            throw Failure(message: "\(step) could not start: \(error)")
        }
        let status = await ProcessSpawner.exitStatus(of: pid)
        guard status == 0 else { throw Failure(message: "\(step) failed (exit \(status)): \(hint)") }
    }

    /// Creates the store, takes its build lock and removes an incomplete image at `target`.
    /// Returns the lock's descriptor. Blocking: runs off the cooperative pool.
    private static func prepare(store: ImageStore, target: String) throws(Failure) -> Int32 {
        do {
            try FileManager.default.createDirectory(
                atPath: store.directory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
        } catch {
            throw Failure(
                message: "cannot create the image store \(store.directory): \(error) "
                    + "(choose another with --dir or SANDBENCH_IMAGES)")
        }
        let lock = open(store.directory + "/.build.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw Failure(message: "cannot write to the image store \(store.directory): \(String(cString: strerror(errno)))")
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            close(lock)
            throw Failure(message: "another `sandbench image build` is running on \(store.directory): wait for it, then run this again")
        }
        // Left by a build that was interrupted: its marker was never written.
        if FileManager.default.fileExists(atPath: target), RuntimeImage.load(directory: target) == nil {
            do {
                try FileManager.default.removeItem(atPath: target)
            } catch {
                close(lock)
                throw Failure(message: "cannot remove the incomplete image \(target): \(error)")
            }
        }
        return lock
    }

    /// Makes the image readable by every sandbox uid, measures it and writes its marker (last).
    private static func finish(target: String, profile: RuntimeImage.Profile, pythonVersion: String) throws(Failure) -> RuntimeImage {
        let lib = (try? FileManager.default.contentsOfDirectory(atPath: target + "/lib")) ?? []
        guard let pythonDirectory = lib.filter({ $0.hasPrefix("python") }).sorted().last else {
            throw Failure(message: "\(target)/lib holds no python* folder: the virtual environment is not what Python's venv makes")
        }
        let bytes = Self.makeReadableAndMeasure(target)
        let image = RuntimeImage(
            profile: profile, directory: target, manifestHash: profile.manifestHash,
            sitePackages: "lib/\(pythonDirectory)/site-packages", pythonVersion: pythonVersion, bytes: bytes)
        let marker = target + "/" + RuntimeImage.markerName
        do {
            try image.markerJSON.write(to: URL(fileURLWithPath: marker), options: .atomic)
            chmod(marker, 0o644)
        } catch {
            throw Failure(message: "cannot write \(marker): \(error)")
        }
        return image
    }

    /// Adds read (and, for directories, search) permission for everyone where it is missing, and
    /// returns the bytes allocated under `root` (links are not followed).
    static func makeReadableAndMeasure(_ root: String) -> Int {
        var total = 0
        var pending = [root]
        while let directory = pending.popLast() {
            var info = stat()
            guard lstat(directory, &info) == 0 else { continue }
            total += Int(info.st_blocks) * 512
            if info.st_mode & 0o005 != 0o005 { chmod(directory, (info.st_mode & 0o7777) | 0o055) }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                let path = directory + "/" + name
                guard lstat(path, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: pending.append(path)
                case S_IFREG:
                    total += Int(info.st_blocks) * 512
                    if info.st_mode & 0o004 == 0 { chmod(path, (info.st_mode & 0o7777) | 0o044) }
                default: total += Int(info.st_blocks) * 512
                }
            }
        }
        return total
    }

    /// Runs blocking file work on a Dispatch thread.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
        let result: Result<T, Failure> = await withCheckedContinuation { done in
            DispatchQueue.global().async {
                done.resume(returning: Result { () throws(Failure) -> T in try body() })
            }
        }
        return try result.get()
    }
}
