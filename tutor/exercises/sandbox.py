"""Run learner code in a separate, locked-down process; learner code never runs in the tutor's process.

The boundary is the operating system, so that it holds even if learner code defeats the in-process audit hook
(harness.py), which only turns misbehaviour into a clear message. Each layer degrades on its own where the OS
refuses it, and RunResult.isolation records what was in effect:

- network: a fresh network namespace, which has no usable interface (else only the hook's socket block);
- filesystem: a private root holding only the Python runtime, numpy, shared libraries and the empty work dir (no
  shell or other programs unless Python lives in /usr), so the tutor's data, the project and the home directory do
  not exist for the child (else only the hook);
- processes: a pid namespace whose init is our own reaper, so every process the solution starts dies with it
  (else only the process group, which a child can leave with setsid);
- user: `nobody` when the tutor runs as root, or an unprivileged user namespace otherwise;
- always: a new session killed as a whole after every run, a wall-clock timeout, rlimits on CPU time, address space,
  file size, open files and process count, no_new_privs, a minimal environment and HOME in the work dir.

Results come back through file descriptors the tutor opened outside the work dir, never by path, so a solution
cannot make the tutor read something else by replacing a file with a symlink.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import pwd
import resource
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HARNESS = Path(__file__).with_name("harness.py")
OUTPUT_CAP = 64 * 1024  # characters of printed output kept; the harness applies the same cap
RESULTS_CAP = 16 * 1024 * 1024  # bytes of results JSON read back (the child cannot write more than Limits.file_mb)

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38

_LIBC = ctypes.CDLL(None, use_errno=True)


def _libc_function(name: str, *argtypes: Any) -> Any:
    """Resolved here, in the tutor: looking a symbol up in the forked child could deadlock on a loader lock that
    another tutor thread held at fork time. None where libc lacks it (not Linux): those layers are then skipped."""
    fn = getattr(_LIBC, name, None)
    if fn is not None:
        fn.argtypes = list(argtypes)
    return fn


_unshare = _libc_function("unshare", ctypes.c_int)
_mount = _libc_function("mount", ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
_prctl_fn = _libc_function("prctl", ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 5
    memory_mb: int = 1024
    file_mb: int = 8
    processes: int = 32
    max_source_chars: int = 100_000


@dataclass
class RunResult:
    status: str  # "ok" | "timeout" | "killed" | "error"
    message: str = ""
    cases: list[dict[str, Any]] = field(default_factory=list)
    stdout: str = ""
    seconds: float = 0.0
    isolation: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Exit:
    """How a sandboxed process ended: its exit code (negative: killed by that signal), and what isolated it."""

    code: int
    timed_out: bool
    seconds: float
    isolation: dict[str, str]

    @property
    def killed_by(self) -> int:
        # Inside a pid namespace the reaper reports a signal death as 128 + signal.
        return -self.code if self.code < 0 else self.code - 128 if self.code > 128 else 0


@dataclass(frozen=True)
class _Step:
    """One step of building the private root: mount a tmpfs, bind a host path, or recreate a symlink."""

    kind: str  # "tmpfs" | "bind" | "symlink"
    target: str  # path inside the private root (the same as on the host)
    source: str = ""  # host path for "bind", link text for "symlink"
    flags: int = 0  # mount flags for "bind", on top of nosuid and whatever the host mount has


# Sandbox helpers, the jail plan and the child side -----------------------------------------------------------------
def _privileged() -> bool:
    return os.geteuid() == 0


def _prctl(option: int, value: int) -> None:
    if _prctl_fn is not None:
        _prctl_fn(option, value, 0, 0, 0)


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return 65534, 65534
    return entry.pw_uid, entry.pw_gid


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@functools.cache
def _system_steps() -> tuple[_Step, ...]:
    """Python, the stdlib, numpy and the shared libraries, read-only; every other site-packages entry hidden."""
    steps: list[_Step] = []
    bound: list[str] = []
    prefixes = {sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    # /usr/lib but not /usr/bin: the solution gets shared libraries, not a shell or other programs to run.
    system = ["/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache"]
    for path in sorted(prefixes) + system:
        if not os.path.lexists(path) or _under(path, bound):
            continue
        if os.path.islink(path) and path in system:
            steps.append(_Step("symlink", path, os.readlink(path)))
        else:
            steps.append(_Step("bind", path, path, _MS_RDONLY | _MS_NODEV))
            bound.append(path)
    numpy_dir = os.path.realpath(os.path.dirname(np.__file__))
    site_dirs = {os.path.dirname(numpy_dir)} | {os.path.realpath(p) for p in site.getsitepackages([*prefixes])}
    for site_dir in sorted(d for d in site_dirs if os.path.isdir(d) and _under(d, bound)):
        steps.append(_Step("tmpfs", site_dir))
    for path in (numpy_dir, numpy_dir + ".libs"):
        if os.path.isdir(path):
            steps.append(_Step("bind", path, path, _MS_RDONLY | _MS_NODEV))
    for dev in ("/dev/null", "/dev/zero", "/dev/urandom"):
        steps.append(_Step("bind", dev, dev, _MS_NOEXEC))
    return tuple(steps)


def _jail_steps(workdir: Path) -> tuple[_Step, ...]:
    return (*_system_steps(), _Step("bind", str(workdir), str(workdir), _MS_NOEXEC | _MS_NODEV))


def _check(result: int) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _mount_at(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = os.fsencode
    args = (enc(source) if source else None, enc(target), enc(fstype) if fstype else None)
    _check(_mount(*args, flags, enc(data) if data else None))


def _build_root(root: str, steps: tuple[_Step, ...], workdir: Path) -> None:
    """In the child's own mount namespace: assemble the private root, seal it read-only and chroot into it."""
    _mount_at(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing below propagates back to the host
    tmpfs = [root]
    _mount_at("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=755,size=1m")
    for step in steps:
        target = root + step.target
        if step.kind == "symlink":
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(step.source, target)
        elif step.kind == "tmpfs":
            _mount_at("tmpfs", target, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=755,size=1m")
            tmpfs.append(target)
        else:
            if os.path.isdir(step.source):
                os.makedirs(target, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount_at(step.source, target, None, _MS_BIND | _MS_REC)
            # Keep the flags the host mount already has: a user namespace may not clear them.
            kept = os.statvfs(step.source).f_flag & (_MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
            _mount_at(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_NOSUID | kept | step.flags)
    for target in reversed(tmpfs):
        _mount_at(None, target, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    os.chroot(root)
    os.chdir(workdir)


def _map_user() -> None:
    """Map our own uid and gid into the new user namespace (the only mapping an unprivileged process may write)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{os.getuid()} {os.getuid()} 1"), ("gid_map", None)):
        fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
        try:
            os.write(fd, (text or f"{os.getgid()} {os.getgid()} 1").encode())
        finally:
            os.close(fd)


def _isolate(root: str, steps: tuple[_Step, ...], workdir: Path) -> dict[str, str]:
    """Enter the namespaces the OS grants and build the private root; report what took effect."""
    user_ns = 0 if _privileged() else _CLONE_NEWUSER
    isolation = {"network": "socket-blocked", "filesystem": "audit-hook", "processes": "process-group", "user": "same"}
    if _unshare is None:
        return isolation
    for flags in (user_ns | _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWPID, user_ns | _CLONE_NEWNET):
        if _unshare(flags) == 0:
            break
    else:
        return isolation
    isolation["network"] = "namespace"
    if flags & _CLONE_NEWPID:
        isolation["processes"] = "pid-namespace"
    try:
        if user_ns:
            _map_user()
            isolation["user"] = "user-namespace"
        if flags & _CLONE_NEWNS:
            _build_root(root, steps, workdir)
            isolation["filesystem"] = "private-root"
            if _privileged():
                isolation["user"] = "nobody"
    except OSError:
        pass  # keep what already holds; the report says what does not
    return isolation


def _reap(pid: int) -> None:
    """In the parent after fork: wait for the child, then exit the same way (signal deaths as 128 + signal)."""
    if pid == 0:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        return
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # incl. Popen's error pipe, so it returns
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    os._exit(128 - code if code < 0 else code)


def _lower(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit without trying to raise a hard limit the tutor itself runs under (that would fail)."""
    current = resource.getrlimit(which)[1]
    hard = soft if hard is None else hard
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(which, (soft, hard))


def _enter_sandbox(
    root: str, steps: tuple[_Step, ...], workdir: Path, limits: Limits, nobody: tuple[int, int], status_fd: int
) -> None:
    """preexec_fn: runs in the forked child before exec, so every limit holds before any learner code exists."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the tutor dying takes the sandbox with it
    os.umask(0o022)
    isolation = _isolate(root, steps, workdir)
    os.write(status_fd, json.dumps(isolation).encode())
    os.close(status_fd)
    if isolation["processes"] == "pid-namespace":
        # unshare(CLONE_NEWPID) applies to children: the first becomes the namespace's init (pid 1), our reaper.
        # When it exits, the kernel kills everything left in the namespace, including setsid'd grandchildren.
        _reap(os.fork())
        _reap(os.fork())
    _lower(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)  # SIGXCPU, then SIGKILL 1 s later
    _lower(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
    _lower(resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024)
    _lower(resource.RLIMIT_NOFILE, 64)
    _lower(resource.RLIMIT_CORE, 0)
    _lower(resource.RLIMIT_NPROC, limits.processes)  # counted per real uid: binding once we run as nobody
    if isolation["user"] == "nobody":
        uid, gid = nobody
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)  # drops every capability too
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)


# The tutor side --------------------------------------------------------------------------------------------------
def _env(workdir: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "OPENBLAS_NUM_THREADS": "1",  # threads would count against RLIMIT_NPROC, and the hook forbids them anyway
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
    }


def _exited_within(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait without reaping where pidfds exist, so the group id stays reserved until the whole group is killed."""
    if not hasattr(os, "pidfd_open"):
        try:
            proc.wait(max(0.0, seconds))
        except subprocess.TimeoutExpired:
            return False
        return True
    fd = os.pidfd_open(proc.pid)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(max(0.0, seconds) * 1000))
    finally:
        os.close(fd)


def launch(
    argv: list[str], workdir: Path, limits: Limits, *, stdout: int, stderr: int, pass_fds: tuple[int, ...] = ()
) -> Exit:
    """Run argv (cwd workdir) in the sandbox until it exits or the wall clock runs out; then kill its whole group.

    workdir is the only writable place the child sees; its parent must be private to this run, since the private
    root is assembled in a sibling directory.
    """
    root = workdir.parent / "root"
    root.mkdir(exist_ok=True)
    nobody = _nobody()  # looked up here: the child's private root has no /etc/passwd
    if _privileged():  # the child runs as nobody, which must be able to use its work dir
        for path in (workdir, *workdir.iterdir()):
            os.chown(path, *nobody)
    steps = _jail_steps(workdir)
    status_r, status_w = os.pipe()
    start = time.perf_counter()
    with os.fdopen(status_r, "rb") as status:
        try:
            proc = subprocess.Popen(
                argv,
                cwd=workdir,
                env=_env(workdir),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                pass_fds=pass_fds,
                start_new_session=True,
                preexec_fn=functools.partial(_enter_sandbox, str(root), steps, workdir, limits, nobody, status_w),
            )
        finally:
            os.close(status_w)
        isolation = json.loads(status.read() or b"{}")  # written before the child forks on; EOF follows at once
    try:
        timed_out = not _exited_within(proc, limits.wall_seconds - (time.perf_counter() - start))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # always: stray children must not outlive the run
        code = proc.wait()
    return Exit(code, timed_out, time.perf_counter() - start, isolation)


def encode_arg(value: Any) -> Any:
    """Arrays travel as {"__array__": nested list} so the harness hands the solution a numpy array."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist()}
    return value


def run_solution(source: str, function: str, cases: list[dict[str, Any]], limits: Limits | None = None) -> RunResult:
    limits = limits or Limits()
    if len(source) > limits.max_source_chars:
        return RunResult(
            "error", f"the solution is {len(source):,} characters; the limit is {limits.max_source_chars:,}"
        )
    base = Path(tempfile.mkdtemp(prefix="tutor-exercise-"))
    try:
        workdir = base / "work"
        workdir.mkdir()
        (workdir / "solution.py").write_text(source, encoding="utf-8")
        shutil.copy(HARNESS, workdir / "harness.py")
        spec = {
            "function": function,
            "cases": [
                {
                    "args": [encode_arg(a) for a in c["args"]],
                    "kwargs": {k: encode_arg(v) for k, v in c.get("kwargs", {}).items()},
                }
                for c in cases
            ],
        }
        (workdir / "cases.json").write_text(json.dumps(spec), encoding="utf-8")
        # Outside the work dir, and read back through these handles: the child cannot swap them for other files.
        with (base / "results.json").open("w+b") as results, (base / "stderr.txt").open("w+b") as err:
            try:
                run = launch(
                    [sys.executable, "-I", "-B", "harness.py", str(results.fileno())],
                    workdir,
                    limits,
                    stdout=subprocess.DEVNULL,
                    stderr=err.fileno(),
                    pass_fds=(results.fileno(),),
                )
            except (OSError, subprocess.SubprocessError) as exc:
                return RunResult("error", f"the sandbox could not start: {exc}")
            results.seek(0)
            raw = results.read(RESULTS_CAP)
            err.seek(max(0, os.fstat(err.fileno()).st_size - 2000))
            stderr = err.read(2000).decode("utf-8", "replace")
        return _read_results(raw, stderr, run, limits, len(cases))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _read_results(raw: bytes, stderr: str, run: Exit, limits: Limits, n_cases: int) -> RunResult:
    common = {"seconds": run.seconds, "isolation": run.isolation}
    if run.timed_out:
        return RunResult(
            "timeout", f"stopped after {limits.wall_seconds:.0f} s of wall-clock time (an infinite loop?)", **common
        )
    sig = run.killed_by
    if sig:
        reasons = {
            signal.SIGXCPU: f"used more than {limits.cpu_seconds} s of CPU time",
            signal.SIGKILL: f"killed (CPU or memory limit: {limits.cpu_seconds} s, {limits.memory_mb} MB)",
            signal.SIGXFSZ: f"wrote more than {limits.file_mb} MB of output",
            signal.SIGSEGV: "crashed (segmentation fault)",
        }
        return RunResult("killed", reasons.get(sig, f"the sandbox was killed by signal {sig}"), **common)
    try:
        data = _parse(raw, n_cases)
    except ValueError:
        return RunResult("error", _last_line(stderr, run.code), **common)
    if data["load_error"]:
        return RunResult(
            "error", f"your solution could not be loaded: {data['load_error']}", stdout=data["stdout"], **common
        )
    cases = data["cases"]
    if any(c["error"] and c["error"].startswith("MemoryError") for c in cases):
        return RunResult(
            "killed", f"memory limit exceeded ({limits.memory_mb} MB)", cases=cases, stdout=data["stdout"], **common
        )
    return RunResult("ok", cases=cases, stdout=data["stdout"], **common)


def _parse(raw: bytes, n_cases: int) -> dict[str, Any]:
    """Results as the harness writes them. Learner code can write to the same descriptor, so trust nothing."""
    data = json.loads(raw) if raw else None
    if not isinstance(data, dict) or not isinstance(data.get("cases", []), list):
        raise ValueError("malformed results")
    cases = []
    for row in data.get("cases", [])[:n_cases]:
        row = row if isinstance(row, dict) else {}
        error, output = row.get("error"), row.get("output")
        if error is None and output is not None:
            try:
                output = np.asarray(output, dtype=float).tolist()
            except (ValueError, TypeError):
                output, error = None, "the function must return a number or an array of numbers"
        cases.append({"output": output, "error": str(error)[:500] if error is not None else None})
    stdout = str(data.get("stdout", ""))[:OUTPUT_CAP]
    dropped = data.get("stdout_dropped")
    if isinstance(dropped, int) and dropped > 0:
        stdout += f"\n[{dropped:,} more characters of output dropped]"
    load_error = data.get("load_error")
    return {"load_error": str(load_error)[:500] if load_error else None, "cases": cases, "stdout": stdout}


def _last_line(stderr: str, code: int) -> str:
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return (
        lines[-1][:300] if lines else f"the solution stopped the sandbox before it reported results (exit code {code})"
    )
