"""Runs inside the sandbox subprocess (copied into an empty temp dir; never imported by the tutor).

It imports numpy and the standard library it needs, then installs an audit hook that blocks sockets, process
creation, ctypes, imports beyond the standard library and numpy, and file access outside the temp dir, and only
then imports the learner's solution and calls it on each case. Results go to results.json as plain lists.
"""

import io
import json
import os
import sys
import time
import traceback

import numpy as np

WORKDIR = os.path.realpath(os.getcwd())
OUTPUT_CAP = 64 * 1024
ALLOWED_READ_ROOTS = tuple(
    os.path.realpath(p)
    for p in {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(np.__file__)), os.path.dirname(os.__file__)}
)
BLOCKED_MODULES = {
    "socket",
    "_socket",
    "ssl",
    "_ssl",
    "subprocess",
    "_posixsubprocess",
    "multiprocessing",
    "_multiprocessing",
    "ctypes",
    "_ctypes",
    "asyncio",
    "pty",
    "concurrent",
    "threading",
    "_thread",
    "signal",
    "resource",
    "mmap",
}
ALLOWED_TOP = (set(sys.stdlib_module_names) | {"numpy", "solution"}) - BLOCKED_MODULES
BLOCKED_EVENTS = (
    "socket.",
    "subprocess.",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.kill",
    "os.killpg",
    "ctypes.",
    "pty.",
    "os.putenv",
    "os.unsetenv",
    "sys.setrecursionlimit",
)
WRITE_EVENTS = (
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.utime",
    "shutil.",
)


class Blocked(PermissionError):
    pass


class CappedWriter(io.TextIOBase):
    """Keeps the first OUTPUT_CAP characters of what the solution prints and drops the rest."""

    def __init__(self) -> None:
        self.parts = []
        self.size = 0
        self.dropped = 0

    def write(self, text):
        room = OUTPUT_CAP - self.size
        if room > 0:
            self.parts.append(text[:room])
        self.size += min(len(text), max(room, 0))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)


def _inside(path, roots):
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return any(real == r or real.startswith(r + os.sep) for r in roots)


def audit(event, args):
    if event.startswith(BLOCKED_EVENTS):
        raise Blocked(f"{event} is not allowed in exercises (no network, processes or native code)")
    if event == "import":
        top = str(args[0]).split(".")[0]
        if top not in ALLOWED_TOP:
            raise Blocked(f"import of {args[0]!r} is not allowed: only the standard library and numpy")
    elif event == "open":
        path, mode = args[0], args[1]
        if isinstance(path, int):
            return
        writing = isinstance(mode, str) and any(c in mode for c in "wax+")
        if isinstance(mode, int):
            writing = bool(mode & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        roots = (WORKDIR,) if writing else (WORKDIR, *ALLOWED_READ_ROOTS)
        if not _inside(path, roots):
            raise Blocked(
                f"opening {os.fsdecode(path)!r} is not allowed: files outside the exercise folder are off limits"
            )
    elif event.startswith(WRITE_EVENTS) or event in ("os.listdir", "os.scandir", "os.chdir"):
        path = args[0] if args else WORKDIR
        if isinstance(path, (str, bytes, os.PathLike)) and not _inside(path, (WORKDIR,)):
            raise Blocked(f"{event} outside the exercise folder is not allowed")


def to_plain(value):
    arr = np.asarray(value)
    if arr.dtype == object or arr.size > 100_000:
        raise TypeError(f"the function must return numbers or arrays (got {type(value).__name__} of size {arr.size})")
    plain = arr.tolist()
    return plain


def decode(value):
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=float)
    return value


def main():
    with open("cases.json", encoding="utf-8") as fh:
        spec = json.load(fh)
    out, err = CappedWriter(), CappedWriter()
    sys.stdout, sys.stderr = out, err
    results = {"load_error": None, "cases": []}
    sys.path.insert(0, WORKDIR)  # -I leaves the script's folder off sys.path
    sys.addaudithook(audit)
    try:
        import solution

        func = getattr(solution, spec["function"])
    except BaseException as exc:  # the learner's module may raise anything at import time
        results["load_error"] = _describe(exc)
        func = None
    if func is not None:
        for case in spec["cases"]:
            args = [decode(a) for a in case["args"]]
            kwargs = {k: decode(v) for k, v in case.get("kwargs", {}).items()}
            start = time.perf_counter()
            try:
                value = func(*args, **kwargs)
                results["cases"].append(
                    {"output": to_plain(value), "error": None, "seconds": time.perf_counter() - start}
                )
            except MemoryError:
                results["cases"].append(
                    {
                        "output": None,
                        "error": "MemoryError: memory limit exceeded",
                        "seconds": time.perf_counter() - start,
                    }
                )
                break
            except BaseException as exc:
                results["cases"].append(
                    {"output": None, "error": _describe(exc), "seconds": time.perf_counter() - start}
                )
    results["stdout"] = "".join(out.parts)
    results["stdout_dropped"] = out.dropped + err.dropped
    with open("results.json", "w", encoding="utf-8") as fh:
        json.dump(results, fh, allow_nan=True)


def _describe(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    where = next((f"line {f.lineno}" for f in reversed(tb) if f.filename.endswith("solution.py")), "")
    return f"{type(exc).__name__}: {exc}" + (f" ({where} of your solution)" if where else "")


if __name__ == "__main__":
    main()
