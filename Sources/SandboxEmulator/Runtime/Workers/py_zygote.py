"""Sandbox emulator fork server ("zygote") for Python sandboxes.

Started once by the emulator, as root, as `python3 -I py_zygote.py` in the emulator's runtime
folder, with fd 0/1 = /dev/null, fd 2 = the emulator's zygote log and fd 3 = one end of an
AF_UNIX SOCK_SEQPACKET socket pair whose other end only the emulator holds. It imports the
worker (py_worker.py, compiled under the name it has inside a sandbox) and the modules the worker
uses, then forks one process per sandbox on request. Nothing a sandbox can write ever reaches it:
it reads only its socket, and every process it forks drops into the sandbox's uid and namespaces
before any sandbox code runs.

  emulator -> zygote: one datagram, JSON {"uid","workdir","root","runtime","cgroups":[...],
                      "nofile","fsize","nproc","tmp_bytes","etc":[...],"image","site","env":{...}}
                      with 3 descriptors attached (SCM_RIGHTS): the worker's request pipe (read
                      end), its reply pipe (write end) and its diagnostics log.
  zygote -> emulator: {"pid":N} with a pidfd of that process attached, or {"error":S}.
  once at start:      {"op":"ready","pid":N,"imported":[...]}.
  EOF on the socket -> exit.

Each sandbox is three processes, as under bubblewrap:
  A (host pid namespace): joins the sandbox's cgroups, sets its rlimits, drops to the sandbox's
    uid, makes new user/mount/net/ipc/uts/pid/cgroup namespaces, forks B and waits for it. The
    emulator holds A's pidfd: SIGKILL to A takes the rest along (parent-death signals, pid ns).
  B (pid 1 of the new pid namespace): builds the filesystem view bwrap would (a new tmpfs root,
    read-only /usr and a few /etc entries, fresh /proc, minimal /dev, private /tmp, the workdir at
    /home/user, the worker at /opt/sandbench, the image at /opt/image), pivots into it, drops
    every capability, forks C and reaps orphans until C exits.
  C (pid 2): new session, clean environment, fresh random state, then py_worker.serve().
"""
import ctypes
import fcntl
import gc
import json
import os
import random
import resource
import select
import signal
import socket
import sys

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x02000000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER = 1, 4, 24, 36
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(os.uname().machine)
LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)
for _name, _args in {"mount": [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p],
                     "umount2": [ctypes.c_char_p, ctypes.c_int], "unshare": [ctypes.c_int],
                     "prctl": [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong],
                     "capset": [ctypes.c_void_p, ctypes.c_void_p]}.items():
    getattr(_libc, _name).argtypes = _args
    getattr(_libc, _name).restype = ctypes.c_int
_libc.syscall.restype = ctypes.c_long


def _check(result, what):
    if result < 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def _prctl(option, arg=0):
    _check(_libc.prctl(option, arg, 0, 0, 0), "prctl(%d)" % option)


def _mount(source, target, fstype, flags, data=None):
    enc = lambda s: None if s is None else s.encode()
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), "mount %s on %s" % (source or fstype, target))


def _write(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# The worker, compiled under the path it has inside a sandbox (tracebacks and frame filters use it).
_HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_HERE, "py_worker.py"), encoding="utf-8") as _f:
    _WORKER_CODE = compile(_f.read(), "/opt/sandbench/py_worker.py", "exec", dont_inherit=True)
worker = type(sys)("py_worker")
worker.__file__ = "/opt/sandbench/py_worker.py"
exec(_WORKER_CODE, worker.__dict__)
del _f

_CTL = None        # the socket to the emulator (fd 3)
_NULL = None       # /dev/null, for the children's fds 0 and 1
_ME = os.getpid()


# --- the zygote ------------------------------------------------------------------------------
def _reap(signum=None, frame=None):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    global _CTL, _NULL
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the emulator died before the line above
        os._exit(0)
    # Orphans (a sandbox's init, once its first process is killed) are reparented here and reaped,
    # not left to a host init that may not reap (the emulator as pid 1 of a container).
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    _CTL = socket.socket(fileno=3)
    _NULL = os.open("/dev/null", os.O_RDWR | os.O_CLOEXEC)
    signal.signal(signal.SIGCHLD, _reap)
    imported = sorted(m for m in sys.modules if not m.startswith("_") and "." not in m)
    # Everything imported so far is never collected: a collection in a sandbox then never writes to
    # these objects' pages, which stay shared with the zygote (less memory and fewer copy-on-write faults).
    gc.freeze()
    _CTL.send(json.dumps({"op": "ready", "pid": _ME, "imported": imported}).encode())
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(_CTL, 1 << 16, 3)
        except OSError:
            os._exit(0)
        if not data:
            os._exit(0)
        try:
            reply, pidfd = _start(data, fds)
        except Exception as e:
            reply, pidfd = {"error": "%s: %s" % (type(e).__name__, e)}, None
        finally:
            for fd in fds:
                os.close(fd)
        try:
            socket.send_fds(_CTL, [json.dumps(reply).encode()], [pidfd] if pidfd is not None else [])
        except OSError:
            os._exit(0)
        finally:
            if pidfd is not None:
                os.close(pidfd)


def _start(data, fds):
    request = json.loads(data)
    if len(fds) != 3:
        raise ValueError("expected 3 descriptors, got %d" % len(fds))
    # SIGCHLD stays blocked until the pidfd is open, so the reaper cannot free the pid first.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    try:
        pid = os.fork()
        if pid == 0:
            _sandbox(request, fds)  # never returns
        try:
            return {"pid": pid}, os.pidfd_open(pid)
        except OSError:
            os.kill(pid, signal.SIGKILL)  # not reaped yet (SIGCHLD is blocked): the pid is still this child's
            raise
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})


# --- A: cgroups, limits, uid, namespaces -----------------------------------------------------
def _sandbox(request, fds):
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        # Only these survive: 0/1 /dev/null, 2 the log, 3 requests, 4 replies. The socket to the
        # emulator and every other descriptor of the zygote are closed before anything else runs.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]  # the received fds may sit at 0..4
        _CTL.detach()
        for target, source in enumerate([_NULL, _NULL, high[2], high[0], high[1]]):
            os.dup2(source, target, inheritable=True)
        os.closerange(5, 1 << 20)
        uid = int(request["uid"])
        if uid <= 0:
            raise ValueError("refusing uid %d" % uid)
        os.setsid()
        for group in request["cgroups"]:
            # cgroup v1: moving only the calling thread ("0" to `tasks`; A has no other) skips the
            # global threadgroup lock whose RCU grace period makes a `cgroup.procs` write take
            # milliseconds (measured: 6.6 ms median for the memory controller, 0.14 ms this way).
            if os.path.exists(group + "/tasks"):
                _write(group + "/tasks", "0")
            else:
                _write(group + "/cgroup.procs", str(os.getpid()))
        for limit, value in [(resource.RLIMIT_NOFILE, request["nofile"]), (resource.RLIMIT_FSIZE, request["fsize"]),
                             (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, request["nproc"])]:
            resource.setrlimit(limit, (int(value), int(value)))
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # every capability in the host's user namespace is gone from here on
        # The uid change cleared both: dumpable (so /proc/self, owned by root again, could not be written
        # below) and the parent-death signal. An exec would have reset the first, as under bwrap.
        _prctl(PR_SET_DUMPABLE, 1)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != _ME:
            raise OSError("the zygote is gone")
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID
                             | CLONE_NEWCGROUP), "unshare")
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", "%d %d 1" % (uid, uid))
        _write("/proc/self/gid_map", "%d %d 1" % (uid, uid))
        # No user namespace may be made from inside (bwrap's --disable-userns): the limit is per
        # namespace, and the sandbox, left without capabilities in this one, cannot raise it.
        _write("/proc/sys/user/max_user_namespaces", "0")
        lifeline, keep = os.pipe()
        init = os.fork()
        if init == 0:
            os.close(keep)
            _init(request, lifeline)  # never returns
        os.close(lifeline)
        for fd in range(5):
            os.close(fd)
        _, status = os.waitpid(init, 0)
        _exit_like(status)
    except BaseException as e:
        _die("sandbox set-up failed", e)


def _exit_like(status):
    """Exits with a child's status: its exit code, or 128 + the signal that killed it."""
    code = os.waitstatus_to_exitcode(status)
    os._exit(min(255, code if code >= 0 else 128 - code))


def _die(what, e):
    try:
        os.write(2, ("[py_zygote] %s: %s: %s\n" % (what, type(e).__name__, e)).encode("utf-8", "replace"))
    finally:
        os._exit(1)


# --- B: filesystem view, capabilities, init ---------------------------------------------------
def _bind(source, target, readonly, flags=MS_NOSUID | MS_NODEV):
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | flags | (MS_RDONLY if readonly else 0))


def _mountpoint(path, like):
    """An empty directory, or an empty file when `like` is not a directory, at `path`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.isdir(like):
        os.makedirs(path, exist_ok=True)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))


def _filesystem(request):
    root = request["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    os.mkdir(root + "/usr")
    _bind("/usr", root + "/usr", True)
    for name in ["lib", "lib64", "bin", "sbin"]:
        os.symlink("usr/" + name, root + "/" + name)
    for path in request["etc"]:
        _mountpoint(root + path, path)
        _bind(path, root + path, True)
    os.mkdir(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in ["sys", "sysrq-trigger", "irq", "bus"]:
        if os.path.exists(root + "/proc/" + name):
            _bind(root + "/proc/" + name, root + "/proc/" + name, True, MS_NOSUID | MS_NODEV | MS_NOEXEC)
    dev = root + "/dev"
    os.mkdir(dev)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for name in ["null", "zero", "full", "random", "urandom", "tty"]:
        _mountpoint(dev + "/" + name, "/dev/" + name)
        _mount("/dev/" + name, dev + "/" + name, None, MS_BIND)
    for name, target in [("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"),
                         ("fd", "/proc/self/fd"), ("core", "/proc/kcore"), ("ptmx", "pts/ptmx")]:
        os.symlink(target, dev + "/" + name)
    os.mkdir(dev + "/shm")
    os.mkdir(dev + "/pts")
    _mount("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620")
    os.mkdir(root + "/tmp")
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=%d" % int(request["tmp_bytes"]))
    os.makedirs(root + "/home/user")
    _bind(request["workdir"], root + "/home/user", False)
    os.makedirs(root + "/opt/sandbench")
    _bind(request["runtime"], root + "/opt/sandbench", True)
    if request.get("image"):
        os.makedirs(root + "/opt/image")
        _bind(request["image"], root + "/opt/image", True)
    os.mkdir(root + "/.oldroot")
    _check(_libc.syscall(SYS_PIVOT_ROOT, root.encode(), (root + "/.oldroot").encode()), "pivot_root")
    os.chdir("/")
    _check(_libc.umount2(b"/.oldroot", MNT_DETACH), "umount /.oldroot")
    os.rmdir("/.oldroot")
    # Unlike bwrap's, the root directory itself is read-only: a sandbox can write only its home and /tmp.
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _drop_capabilities():
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all zero, both 32-bit halves
    _check(_libc.capset(header, data), "capset")
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def _init(request, lifeline):
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if select.select([lifeline], [], [], 0)[0]:  # A is gone already (EOF): so must we
            raise OSError("the sandbox's first process is gone")
        os.close(lifeline)
        # As pid 1, signals without a handler are not delivered from inside the namespace; the
        # interpreter's SIGINT handler would be.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _filesystem(request)
        socket.sethostname("sandbox")
        _drop_capabilities()
        worker_pid = os.fork()
        if worker_pid == 0:
            _worker(request)  # never returns
        for fd in range(5):
            os.close(fd)
        while True:  # reap everything orphaned in the namespace; leave with the worker
            pid, status = os.wait()
            if pid == worker_pid:
                _exit_like(status)
    except BaseException as e:
        _die("sandbox init failed", e)


# --- C: the worker ---------------------------------------------------------------------------
def _worker(request):
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.setsid()
        os.chdir("/home/user")
        os.environ.clear()
        for key, value in request["env"].items():
            os.environ[key] = value
        if request.get("site"):
            os.environ["SANDBENCH_SITE"] = request["site"]
        random.seed()  # also done by random's own at-fork hook; a sandbox must never share the zygote's state
        sys.path[0] = "/opt/sandbench"
        sys.argv = ["/opt/sandbench/py_worker.py"]
    except BaseException as e:
        _die("worker set-up failed", e)
    try:
        worker.serve()
    finally:
        os._exit(1)


if __name__ == "__main__":
    main()
