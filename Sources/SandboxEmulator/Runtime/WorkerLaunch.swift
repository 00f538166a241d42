import Foundation
import SandboxAPI

/// Builds the exec chain that starts one sandbox's interpreter worker under the host's isolation.
///
/// Chain (bubblewrap, as root): `sh` joins the sandbox's cgroups → `prlimit` → `setpriv` drops to
/// the sandbox's uid → `bwrap` with all namespaces, read-only `/usr`, private `/tmp`, the workdir
/// bound at `/home/user`, the worker program read-only at `/opt/sandbench` and the runtime image (if
/// any) read-only at `/opt/image` → the interpreter.
struct WorkerLaunch {
    /// First uid handed to sandboxes; slot `n` runs as `firstUID + n`.
    static let firstUID = 200_100
    /// Where the workdir appears inside a bubblewrap sandbox.
    static let sandboxHome = "/home/user"

    var profile: IsolationProfile
    var language: SandboxLanguage
    var uid: Int
    var workdir: String
    var runtimeDirectory: String
    /// The sandbox's cgroup directories; the chain's `sh` joins each before anything else runs.
    var cgroups: [String]
    var limits: SandboxLimits
    /// The runtime image Python workers add to their path (`SANDBENCH_SITE`), nil for none.
    var image: RuntimeImage?

    /// The argv to spawn.
    var argv: [String] {
        var chain: [String] = []
        let joins = cgroups
        if !joins.isEmpty {
            let script =
                joins.indices.map { "echo $$ > \"$\($0 + 1)/cgroup.procs\"" }.joined(separator: " && ")
                + " && shift \(joins.count) && exec \"$@\""
            chain += ["/bin/sh", "-c", script, "sh"] + joins
        }
        if let prlimit = profile.prlimitPath {
            chain += [prlimit, "--nofile=1024", "--fsize=\(limits.maxFileBytes)", "--core=0"]
            if profile.uidPerSandbox { chain.append("--nproc=\(limits.maxProcesses)") }
            chain.append("--")
        }
        // The uid drop comes before bwrap (which makes its own user namespace) but after unshare
        // (which needs root to make its namespaces).
        let dropUID = profile.uidPerSandbox ? ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--no-new-privs"] : []
        if let setpriv = profile.setprivPath {
            // SIGKILL when the emulator dies, even by SIGKILL: setpriv sets it last, after the uid change
            // (which would clear it), and it survives the exec of bwrap/unshare, which pass it on to the
            // sandbox (--die-with-parent, --kill-child); their pid namespace takes every process in it along.
            chain += [setpriv, "--pdeathsig", "KILL"] + (profile.method == .unshare ? [] : dropUID) + ["--"]
        }
        let home: String
        switch profile.method {
        case .bubblewrap:
            home = Self.sandboxHome
            chain += [
                profile.bwrapPath ?? "/usr/bin/bwrap", "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                "--new-session",
                "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin"
            ]
            for etc in Self.etcEntries { chain += ["--ro-bind", etc, etc] }
            chain += [
                "--proc", "/proc", "--dev", "/dev", "--size", "\(limits.tmpBytes)", "--tmpfs", "/tmp",
                "--bind", workdir, home, "--chdir", home,
                "--ro-bind", runtimeDirectory, "/opt/sandbench"
            ]
            // bwrap applies --clearenv and --setenv in order, as it reads them: every --setenv comes after.
            // Matplotlib's font cache and configuration go to the private /tmp, not into the workdir.
            chain += ["--hostname", "sandbox", "--clearenv"]
            for (key, value) in Self.sandboxEnvironment { chain += ["--setenv", key, value] }
            if let image, language == .python {
                chain += [
                    "--ro-bind", image.directory, RuntimeImage.sandboxPath,
                    "--setenv", "SANDBENCH_SITE", image.sitePackages(insideBubblewrap: true)
                ]
            }
            chain.append("--")
        case .unshare:
            home = workdir
            chain += [
                profile.unsharePath ?? "/usr/bin/unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--ipc", "--uts",
                "--"
            ]
            if let setpriv = profile.setprivPath, !dropUID.isEmpty {
                chain += [setpriv] + dropUID + ["--bounding-set=-all", "--inh-caps=-all", "--"]
            }
            chain += ["/usr/bin/env", "-i", "HOME=\(home)", "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "MPLBACKEND=Agg"]
        case .none:
            home = workdir
            chain += ["/usr/bin/env", "-i", "HOME=\(home)", "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "MPLBACKEND=Agg"]
        }
        // Without bubblewrap the image is read where it lies (readable, not writable, by the sandbox's uid);
        // matplotlib's caches go under HOME (the workdir), whose cache folders are never returned as output.
        if profile.method != .bubblewrap, let image, language == .python {
            chain.append("SANDBENCH_SITE=" + image.sitePackages(insideBubblewrap: false))
        }
        let workerDir = profile.method == .bubblewrap ? "/opt/sandbench" : runtimeDirectory
        switch language {
        case .python: chain += [profile.pythonPath, "-I", "\(workerDir)/py_worker.py"]
        case .javascript: chain += [profile.nodePath ?? "/usr/bin/node", "\(workerDir)/js_worker.js"]
        }
        return chain
    }
}

extension WorkerLaunch {
    /// The host's `/etc` entries a bubblewrap sandbox sees read-only (those that exist).
    /// /etc/fonts: fontconfig's configuration, which matplotlib's font search (fc-list) reads.
    static let etcEntries: [String] = [
        "/etc/alternatives", "/etc/ssl", "/etc/localtime", "/etc/mime.types", "/etc/python3", "/etc/python3.11", "/etc/fonts"
    ].filter { FileManager.default.fileExists(atPath: $0) }

    /// The whole environment of a bubblewrap (or zygote) sandbox. Matplotlib's font cache and
    /// configuration go to the private /tmp, not into the workdir.
    static let sandboxEnvironment: KeyValuePairs<String, String> = [
        "MPLCONFIGDIR": "/tmp/matplotlib", "HOME": sandboxHome, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"
    ]

    /// What the zygote needs to fork this sandbox's Python worker with the view the bubblewrap chain
    /// gives it (see `py_zygote.py`): `root` is an empty directory the new root is mounted on.
    func zygoteRequest(root: String) -> JSONValue {
        var environment: [String: JSONValue] = [:]
        for (key, value) in Self.sandboxEnvironment { environment[key] = .string(value) }
        return [
            "uid": .number(Double(uid)), "workdir": .string(workdir), "root": .string(root), "runtime": .string(runtimeDirectory),
            "cgroups": .array(cgroups.map(JSONValue.string)), "nofile": 1024, "fsize": .number(Double(limits.maxFileBytes)),
            "nproc": .number(Double(limits.maxProcesses)), "tmp_bytes": .number(Double(limits.tmpBytes)),
            "etc": .array(Self.etcEntries.map(JSONValue.string)), "env": .object(environment),
            "image": image.map { .string($0.directory) } ?? .null,
            "site": image.map { .string($0.sitePackages(insideBubblewrap: true)) } ?? .null
        ]
    }
}

/// The interpreter a worker runs.
public enum SandboxLanguage: String, Sendable, Hashable, CaseIterable {
    case python
    case javascript
}

extension MachineConfig {
    /// The vCPUs of the shape, enforced as CPU bandwidth (that many CPUs' worth of time per period).
    var vcpus: Int {
        switch self {
        case .unspecified: 2
        case .vcpu4Ram4GiB: 4
        }
    }
}

/// Per-sandbox resource limits.
public struct SandboxLimits: Sendable, Hashable {
    /// Largest single file a sandbox may write (RLIMIT_FSIZE).
    public var maxFileBytes = 100 << 20
    /// Processes and threads per sandbox (pids cgroup, RLIMIT_NPROC per uid).
    public var maxProcesses = 128
    /// Size of the private /tmp (bubblewrap only).
    public var tmpBytes = 64 << 20

    /// The default limits.
    public init() {}
}
