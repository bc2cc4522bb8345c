"""Starting, watching and ending a sandboxed process: the parent's side of every sandbox run.

- Namespaces: when `unshare` works here (probed once per process) runs start in new network
  and PID namespaces (see `sandbox.unit_tests` for what each gives); `sandbox_isolation` says
  which isolation runs get.
- Wall clock: `watch` drains stderr into a bounded tail until the process exits or its
  deadline passes, then kills the whole process group (SIGKILL) and reaps it.
- Environment: `minimal_env` is all a sandboxed process sees (PATH, HOME, LANG,
  PYTHONHASHSEED, PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

NPROC_MARGIN = 64
STDERR_TAIL_BYTES = 4096
_POLL_S = 0.01  # only where pidfd_open is missing
_PROBE_TIMEOUT_S = 10.0

# Tried in order; the first that yields a process seeing only "lo" (and PID 1 where a PID
# namespace is asked for) is used for every run of this process.
_NAMESPACE_OPTIONS: tuple[tuple[str, ...], ...] = (
    ("--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"),
    ("--net", "--pid", "--fork", "--kill-child"),
    ("--user", "--map-root-user", "--net"),
    ("--net",),
)


# --------------------------------------------------------------------------- isolation probe

_probe_lock = threading.Lock()
_probe_done = False
_namespace_prefix: tuple[str, ...] | None = None
_PROBE_SOURCE = (
    "import os, socket\n"
    "names = [name for _, name in socket.if_nameindex()]\n"
    "print('isolated' if names == ['lo'] else 'shared', os.getpid())\n"
)


def minimal_env(home: str) -> dict[str, str]:
    bin_dir = os.path.dirname(sys.executable)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _probe(prefix: tuple[str, ...]) -> bool:
    try:
        completed = subprocess.run(
            [*prefix, sys.executable, "-s", "-B", "-c", _PROBE_SOURCE],
            env=minimal_env(tempfile.gettempdir()),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    words = completed.stdout.decode("ascii", "replace").split()
    if completed.returncode != 0 or len(words) != 2 or words[0] != "isolated":
        return False
    return "--pid" not in prefix or words[1] == "1"


def namespaces() -> tuple[str, ...] | None:
    """The `unshare ...` prefix that isolates the network here, or None (probed once)."""
    global _probe_done, _namespace_prefix
    with _probe_lock:
        if not _probe_done:
            unshare = shutil.which("unshare")
            if unshare and sys.platform.startswith("linux"):
                for options in _NAMESPACE_OPTIONS:
                    prefix = (unshare, *options, "--")
                    if _probe(prefix):
                        _namespace_prefix = prefix
                        break
            _probe_done = True
        return _namespace_prefix


def sandbox_isolation(use_netns: bool = True) -> str:
    """The isolation runs get here: "netns+python" or "python"."""
    return "netns+python" if use_netns and namespaces() else "python"


_tasks_lock = threading.Lock()
_tasks_cache: tuple[float, int] = (-1e9, 0)
_TASKS_TTL_S = 5.0


def nproc_limit() -> int:
    """RLIMIT_NPROC for a run: our user's tasks now (recounted every few seconds) + a margin."""
    global _tasks_cache
    with _tasks_lock:
        counted_at, count = _tasks_cache
        if time.monotonic() - counted_at > _TASKS_TTL_S:
            count = _user_tasks()
            _tasks_cache = (time.monotonic(), count)
    return count + NPROC_MARGIN


def _user_tasks() -> int:
    """Tasks (threads included) whose real uid is ours: what RLIMIT_NPROC counts."""
    uid, total = os.getuid(), 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as handle:
                fields = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        try:
            if int(fields["Uid"].split()[0]) == uid:
                total += int(fields.get("Threads", "1").strip() or 1)
        except (KeyError, ValueError, IndexError):
            continue
    return total


def _exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it (its id stays ours until we wait)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _drain(fd: int, tail: bytearray) -> bool:
    """Read what is available into the bounded tail; True at end of file."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
        tail += chunk
        if len(tail) > STDERR_TAIL_BYTES:
            del tail[: len(tail) - STDERR_TAIL_BYTES]


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when the process exits (Linux 5.3+), or None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def watch(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bool]:
    """Drain stderr until the process exits or the deadline passes; kill the group; reap."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    os.set_blocking(fd, False)
    pidfd = _pidfd(proc.pid)
    tail, eof, exited, timed_out = bytearray(), False, False, False
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            if pidfd is not None:
                selector.register(pidfd, selectors.EVENT_READ)
            while not exited:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                wait = remaining if pidfd is not None else min(remaining, _POLL_S)
                for key, _ in selector.select(wait):
                    if key.fd == pidfd:
                        exited = True
                    elif _drain(fd, tail):
                        eof = True
                        selector.unregister(fd)
                if pidfd is None:
                    exited = _exited(proc.pid)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    kill_group(proc.pid)  # stragglers too; the leader is not reaped yet, so the id is ours
    proc.wait()
    if not eof:
        _drain(fd, tail)  # what is buffered; never wait on a straggler that escaped the kill
    proc.stderr.close()
    return bytes(tail), timed_out


def remove_tree(path: str) -> None:
    def make_writable_and_retry(function, target, _exc):  # noqa: ANN001 - rmtree's hook
        try:
            os.chmod(os.path.dirname(target), 0o700)
            if os.path.isdir(target) and not os.path.islink(target):
                os.chmod(target, 0o700)
            function(target)
        except OSError:
            pass

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:
        shutil.rmtree(path, onerror=make_writable_and_retry)
    if os.path.exists(path):
        shutil.rmtree(path, ignore_errors=True)


def write_file(path: str, text: object) -> None:
    with open(path, "w", encoding="utf-8", errors="replace") as handle:
        handle.write(text if isinstance(text, str) else "")


# --------------------------------------------------------------------------- bubblewrap

_bwrap_lock = threading.Lock()
_bwrap_checked = False
_bwrap_path: str | None = None
# Hidden behind an empty tmpfs: homes, temporary files, services' state (the PostgreSQL data
# directory, the store's own folder under /var or a home), sockets.
_HIDDEN = ("/tmp", "/root", "/home", "/var", "/run", "/srv", "/mnt", "/media")
_SECRET_FILES = ("/etc/shadow", "/etc/gshadow")


def bwrap_prefix(workdir: str, hide: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """bubblewrap's command confining a run to `workdir`: a read-only view of the system, an
    empty /tmp and homes, `hide` (the project and its data) replaced by empty folders, the
    interpreter's own folders back read-only, no network and its own PID namespace; or None
    where bubblewrap is missing or does not work here (probed once per process)."""
    binary = _bwrap()
    if binary is None:
        return None
    return _bwrap_command(binary, workdir, hide)


def _bwrap_command(binary: str, workdir: str, hide: tuple[str, ...]) -> tuple[str, ...]:
    command = [binary, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for path in (*_HIDDEN, *hide):
        if os.path.isdir(path):
            command += ["--tmpfs", path]
    for path in _SECRET_FILES:
        if os.path.exists(path):
            command += ["--ro-bind", "/dev/null", path]
    # The interpreter and its packages, wherever the hiding above put them out of sight.
    for path in sorted({sys.prefix, sys.base_prefix, os.path.realpath(sys.base_prefix)}):
        command += ["--ro-bind", path, path]
    command += [
        "--bind", workdir, workdir, "--chdir", workdir,
        "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--",
    ]  # fmt: skip
    return tuple(command)


def _bwrap() -> str | None:
    global _bwrap_checked, _bwrap_path
    with _bwrap_lock:
        if not _bwrap_checked:
            _bwrap_checked = True
            binary = shutil.which("bwrap")
            if binary and sys.platform.startswith("linux"):
                probe_dir = tempfile.mkdtemp(prefix="flywheel-bwrap-probe-")
                try:
                    prefix = _bwrap_command(binary, probe_dir, ())
                    if _probe(prefix):
                        _bwrap_path = binary
                finally:
                    shutil.rmtree(probe_dir, ignore_errors=True)
        return _bwrap_path
