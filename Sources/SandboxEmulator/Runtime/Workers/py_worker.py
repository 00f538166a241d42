"""Sandbox emulator Python worker: a long-lived, notebook-like interpreter driven over pipes.

Launched as `python3 -I py_worker.py` (or forked by py_zygote.py, which calls serve()) with
fd 0/1 = /dev/null, fd 2 = diagnostics pipe, fd 3 = protocol input (server -> worker),
fd 4 = protocol output (worker -> server).
Framing both ways: 4-byte big-endian length + UTF-8 JSON object.

  -> {"op":"ready","pid":N}                                     (once, at start)
  <- {"op":"exec","id":I,"code":S,"max_output":B,"timeout_ms":T}
  -> {"id":I,"stdout":S,"stderr":S,"stdout_truncated":b,"stderr_truncated":b,
      "stdout_bytes":N,"stderr_bytes":N,"interrupted":b,"duration_ms":F}
  <- {"op":"interrupt","id":I}   (no reply; ignored unless exec I is running)
  <- {"op":"ping","id":I}      -> {"id":I,"pong":true}   (answered by the reader thread)
  EOF on input -> exit(0).

Threads: a reader thread parses frames, answers pings, queues execs for the main thread and
turns interrupts into SIGINT aimed at the main thread. Cells run in the main thread because
only it runs Python signal handlers (KeyboardInterrupt) and gets EINTR out of blocking calls.
"""
import builtins
import codecs
import fcntl
import json
import os
import queue
import signal
import struct
import sys
import threading
import time
import traceback


def _high(fd):
    """Move fd to a close-on-exec descriptor >= 100 and close the original, so user code
    (and its children) don't find worker plumbing at small, guessable numbers."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(fd)
    return new


WORKER_FILE = _high.__code__.co_filename          # frames from this file are hidden in tracebacks
DEFAULT_MAX_OUTPUT = 1 << 20
# Set by serve(): the protocol and capture descriptors, the user's namespace, the main thread.
IN_FD = OUT_FD = SAVED_OUT = SAVED_ERR = MEM_OUT = MEM_ERR = MAIN_TID = None
USER_GLOBALS = None
_SELF = None


def _setup():
    """Moves the protocol off fds 3/4, makes the capture memfds and a fresh __main__ for user code.
    Runs in the process that serves (after the zygote's fork), never at import."""
    global IN_FD, OUT_FD, SAVED_OUT, SAVED_ERR, MEM_OUT, MEM_ERR, MAIN_TID, USER_GLOBALS, _SELF
    IN_FD, OUT_FD = _high(3), _high(4)
    SAVED_OUT = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 100)   # what fd 1/2 point at between calls
    SAVED_ERR = fcntl.fcntl(2, fcntl.F_DUPFD_CLOEXEC, 100)
    # Capture files. Capturing at the fd level (not just sys.stdout) also catches C-level writes
    # and child processes (os.system, subprocess) that inherit fd 1/2.
    MEM_OUT = _high(os.memfd_create("stdout", os.MFD_CLOEXEC))
    MEM_ERR = _high(os.memfd_create("stderr", os.MFD_CLOEXEC))
    MAIN_TID = threading.main_thread().ident
    # User code runs in a fresh module registered as __main__, so pickle/multiprocessing can find
    # classes and functions defined in cells. The process's own __main__ stays alive via _SELF.
    _SELF = sys.modules["__main__"]
    user_main = type(sys)("__main__")
    user_main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = user_main
    USER_GLOBALS = user_main.__dict__
    sys.argv = [""]
    sys.path.insert(0, "")   # like `python -c`: modules in the sandbox's cwd are importable (-I drops it)
    image = os.environ.pop("SANDBENCH_SITE", "")
    if image:  # the runtime image's libraries (read-only), after the standard library; imported by nothing here
        import site
        site.addsitedir(image)


_wlock = threading.Lock()     # the reader (pong) and main thread (replies) both write frames
_execs = queue.SimpleQueue()  # exec requests, reader -> main thread

# Interrupt bookkeeping. Plain assignments are atomic under the GIL; no lock is taken because
# the SIGINT handler runs in the main thread and must never block on a lock held there.
_running = None  # id of the exec whose user code is running right now (main thread sets/clears)
_target = None   # id the most recent interrupt was aimed at (reader / watchdog set it)


def _diag(text):
    try:
        os.write(SAVED_ERR, ("[py_worker] %s\n" % text).encode("utf-8", "replace"))
    except OSError:
        pass


def send(obj):
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    view = memoryview(struct.pack(">I", len(body)) + body)
    with _wlock:
        try:
            while view:  # a signal can cut a pipe write short; keep going
                view = view[os.write(OUT_FD, view):]
        except OSError:  # server went away
            os._exit(0)


def _interrupt(eid):
    """Called from the reader/watchdog thread. SIGINT is sent to the main thread specifically
    (pthread_kill) so its blocking syscall (time.sleep, read, waitpid...) returns EINTR."""
    global _target
    if eid is not None and eid == _running:
        _target = eid
        signal.pthread_kill(MAIN_TID, signal.SIGINT)


def _on_sigint(signum, frame):
    # Python runs this handler later than the signal arrives (at the next bytecode boundary
    # of the main thread). Requiring the target to match the running id makes an interrupt
    # that lands after its exec finished (or during the next exec) a no-op. A SIGINT that
    # did not come from an interrupt message (e.g. kill -INT from outside) is ignored too.
    if _running is not None and _running == _target:
        raise KeyboardInterrupt


def _reader():
    f = os.fdopen(IN_FD, "rb", closefd=False)  # BufferedReader.read(n) loops until n bytes or EOF
    while True:
        head = f.read(4)
        if len(head) < 4:
            os._exit(0)
        (n,) = struct.unpack(">I", head)
        body = f.read(n)
        if len(body) < n:
            os._exit(0)
        try:
            msg = json.loads(body)
            op = msg.get("op")
        except (ValueError, AttributeError):
            _diag("bad frame ignored")
            continue
        if op == "exec":
            _execs.put(msg)
        elif op == "interrupt":
            _interrupt(msg.get("id"))
        elif op == "ping":
            send({"id": msg.get("id"), "pong": True})
        else:
            _diag("unknown op %r ignored" % (op,))


# --- optional timeout_ms safety net (the server normally enforces deadlines itself) ---------
_wd_cv = threading.Condition()
_wd = None                 # (exec id, monotonic deadline) while a timed exec runs
_wd_until = float("inf")   # when the watchdog thread will next wake up on its own
_wd_thread = None


def _watchdog():
    global _wd, _wd_until
    with _wd_cv:
        while True:
            job = _wd
            now = time.monotonic()
            if job is not None and job[1] <= now:
                _wd = None
                _interrupt(job[0])  # no-op if that exec already finished
                job = None
            _wd_until = job[1] if job else float("inf")
            _wd_cv.wait(None if job is None else job[1] - now)


def _arm(eid, timeout_ms):
    global _wd, _wd_thread
    if _wd_thread is None:  # started lazily: no extra thread unless timeouts are used
        _wd_thread = threading.Thread(target=_watchdog, name="watchdog", daemon=True)
        _wd_thread.start()
    deadline = time.monotonic() + timeout_ms / 1000.0
    with _wd_cv:
        _wd = (eid, deadline)
        # Only wake the watchdog if it would otherwise sleep past this deadline. For a stream
        # of quick execs it is already asleep until an earlier (equal-length) deadline, so this
        # costs no thread switch per call; on waking it just re-reads _wd.
        if deadline < _wd_until:
            _wd_cv.notify()


# --- running a cell --------------------------------------------------------------------------
def _strip(te, seen):
    """Remove this file's frames (the exec() caller, the SIGINT handler) from a
    TracebackException and its chained/grouped exceptions."""
    if te is None or id(te) in seen:
        return
    seen.add(id(te))
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if f.filename != WORKER_FILE])
    _strip(te.__cause__, seen)
    _strip(te.__context__, seen)
    for sub in getattr(te, "exceptions", None) or ():
        _strip(sub, seen)


def _flush(*streams):
    for s in streams:
        try:
            s.flush()
        except Exception:  # user may have closed or replaced it with something odd
            pass


def _collect(fd, limit):
    size = os.fstat(fd).st_size  # total bytes produced (by us and by child processes)
    data = os.pread(fd, min(size, limit), 0) if size and limit > 0 else b""
    truncated = size > limit
    if size > 1 << 20:
        os.ftruncate(fd, 0)  # give back a big capture's memory now rather than at the next exec
    # final=False on truncation drops a UTF-8 sequence cut in half instead of emitting U+FFFD.
    return codecs.utf_8_decode(data, "replace", not truncated)[0], truncated, size


def run(msg):
    global _running, _wd
    eid = msg.get("id")
    code = msg.get("code") or ""
    limit = msg.get("max_output")
    limit = DEFAULT_MAX_OUTPUT if not isinstance(limit, int) or limit < 0 else limit
    timeout_ms = msg.get("timeout_ms") or 0
    t0 = time.perf_counter()

    _flush(sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    for m in (MEM_OUT, MEM_ERR):
        os.lseek(m, 0, os.SEEK_SET)  # the offset is shared with fd 1/2; truncate alone leaves it
        os.ftruncate(m, 0)
    os.dup2(MEM_OUT, 1)
    os.dup2(MEM_ERR, 2)
    # Fresh line-buffered wrappers each call: the user may have closed/replaced the old ones, and
    # line buffering keeps print() ordered with output of child processes.
    out = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # buffering=1: line-buffered
    err = open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stdout, sys.stderr = out, err
    if signal.getsignal(signal.SIGINT) is not _on_sigint:  # a previous cell replaced it
        signal.signal(signal.SIGINT, _on_sigint)
    if isinstance(timeout_ms, (int, float)) and timeout_ms > 0:
        _arm(eid, timeout_ms)

    _running = eid
    try:
        exec(compile(code, "<cell>", "exec", dont_inherit=True), USER_GLOBALS)
        _running = None
    except BaseException as e:  # includes SyntaxError, KeyboardInterrupt, SystemExit
        # Cleared before any call: Python runs the SIGINT handler only at call/loop boundaries,
        # so a second, late interrupt can't raise inside this handler.
        _running = None
        _flush(sys.stdout)  # keep the traceback after anything already printed
        te = traceback.TracebackException(type(e), e, e.__traceback__, compact=True)
        _strip(te, set())
        try:
            err.write("".join(te.format()))
        except Exception:
            pass
    _wd = None  # disarm; a watchdog that fires late finds _running != eid and does nothing
    interrupted = _target == eid

    _flush(sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__, out, err)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    os.dup2(SAVED_OUT, 1)
    os.dup2(SAVED_ERR, 2)
    so, so_t, so_n = _collect(MEM_OUT, limit)
    se, se_t, se_n = _collect(MEM_ERR, limit)
    return {"id": eid, "stdout": so, "stderr": se, "stdout_truncated": so_t,
            "stderr_truncated": se_t, "stdout_bytes": so_n, "stderr_bytes": se_n,
            "interrupted": interrupted, "duration_ms": (time.perf_counter() - t0) * 1000.0}


def serve():
    """Serves execs on fds 3/4 until the server closes the pipe; never returns."""
    _setup()
    signal.signal(signal.SIGINT, _on_sigint)
    threading.Thread(target=_reader, name="reader", daemon=True).start()
    send({"op": "ready", "pid": os.getpid()})
    while True:
        msg = _execs.get()
        try:
            reply = run(msg)
        except BaseException as e:  # worker bug or a badly timed signal: still answer
            os.dup2(SAVED_OUT, 1)
            os.dup2(SAVED_ERR, 2)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            _diag("internal error: %r" % (e,))
            reply = {"id": msg.get("id"), "stdout": "", "stderr": "worker internal error: %r\n" % (e,),
                     "stdout_truncated": False, "stderr_truncated": False, "stdout_bytes": 0,
                     "stderr_bytes": 0, "interrupted": False, "duration_ms": 0.0}
        send(reply)


if __name__ == "__main__":
    serve()
