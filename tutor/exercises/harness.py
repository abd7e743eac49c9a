"""Runs inside the sandbox subprocess (copied into an empty temp dir; never imported by the tutor).

Usage: ``python -I -B harness.py RESULTS_FD``. It reads cases.json, installs an audit hook, runs solution.py in a
fresh module namespace and calls the exercise function on each case; results go to RESULTS_FD as plain JSON.

The audit hook blocks sockets, processes, threads, ctypes, frame and gc introspection, imports beyond the standard
library and numpy, and file access outside the work dir. It is a courtesy layer that turns misbehaviour into a clear
message; the boundary that matters is outside this process (see sandbox.py): a private filesystem root, no network
interfaces, a pid namespace and, when the tutor runs as root, the `nobody` user.
"""

import io
import json
import os
import sys
import types

import numpy as np

SOLUTION = "solution.py"
OUTPUT_CAP = 64 * 1024
MAX_OUTPUT_SIZE = 100_000  # elements in one returned array


def _make_guard(workdir, stdlib_dir, site_dir, numpy_dir):
    """Build the audit hook. Everything it consults lives in this closure, bound once to immutable values.

    Learner code can rebind module globals (``import __main__``), builtins and sys.modules entries, so the hook never
    looks a name up at call time: builtins and constants are closure cells, and it only calls methods of builtin
    types, which cannot be patched. No learner code runs inside the hook (str subclasses are copied to plain str
    first). The hook function is referenced only by the interpreter: gc and stack frames, the ways to reach it or its
    closure, are blocked. Module names must be exact str, since the import system would call a subclass's methods.
    """
    type_, str_, bytes_, int_, isinstance_ = type, str, bytes, int, isinstance
    # Builtin exception types (learner code cannot patch them) of the kind library code expects: optional imports
    # catch ImportError, and namedtuple, typing and hasattr() fall back quietly on ValueError and AttributeError.
    denied, no_module, no_frame, no_attr = PermissionError, ModuleNotFoundError, ValueError, AttributeError
    frame_events = frozenset({"sys._getframe", "sys._current_frames", "sys._current_exceptions"})
    frame_attributes = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})  # audited as object.__getattr__
    blocked_modules = frozenset(
        {
            "socket", "_socket", "ssl", "_ssl", "select", "selectors", "subprocess", "_posixsubprocess",
            "multiprocessing", "_multiprocessing", "_posixshmem", "concurrent", "asyncio",
            "signal", "resource", "mmap", "pty", "tty", "termios", "fcntl", "ctypes", "_ctypes", "gc",
            "faulthandler", "tracemalloc", "_tracemalloc", "_lsprof", "cProfile", "profile", "trace", "bdb", "pdb",
            "http", "urllib", "ftplib", "smtplib", "imaplib", "poplib", "nntplib", "telnetlib", "xmlrpc",
            "socketserver", "webbrowser", "_testcapi", "_testinternalcapi", "_testbuffer", "_testmultiphase",
            "_testimportmultiple", "_xxsubinterpreters", "_xxtestfuzz",
        }
    )  # fmt: skip
    allowed_top = frozenset(sys.stdlib_module_names | {"numpy"}) - blocked_modules
    blocked_events = frozenset(
        {
            "subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.kill", "os.killpg", "os.putenv",
            "os.unsetenv", "os.chdir", "os.symlink", "os.link", "os.startfile", "_thread.start_new_thread",
            "sys.settrace", "sys.setprofile", "sys.addaudithook", "cpython.PyInterpreterState_New", "mmap.__new__",
        }
    )  # fmt: skip
    blocked_prefixes = ("socket.", "os.exec", "os.posix_spawn", "os.spawn", "ctypes.", "pty.", "fcntl.")
    write_events = frozenset(
        {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.utime"}
    )
    list_events = frozenset({"os.listdir", "os.scandir"})
    write_modes = ("w", "a", "x", "+")
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    numpy_libs = numpy_dir + ".libs"  # the wheel's bundled OpenBLAS

    def plain(path):
        """The exact text the OS will see, as a plain str (None for anything else, such as an fd)."""
        if isinstance_(path, str_):
            return str_.__str__(path)
        if isinstance_(path, bytes_):
            return bytes_.decode(path, "utf-8", "surrogateescape")
        return None

    def normalise(path):
        """Lexical absolute path. Symlinks cannot mislead it: none can be created, and chdir is blocked."""
        if not path.startswith("/"):
            path = workdir + "/" + path
        parts = []
        for part in path.split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        return "/" + "/".join(parts)

    def under(path, root):
        return path == root or path.startswith(root + "/")

    def writable(path):
        return under(normalise(path), workdir)

    def readable(path):
        path = normalise(path)
        if under(path, workdir) or under(path, numpy_dir) or under(path, numpy_libs):
            return True
        return under(path, stdlib_dir) and not under(path, site_dir)

    def is_write(mode, flags):
        if type_(mode) is str_:
            for m in write_modes:
                if m in mode:
                    return True
        return type_(flags) is int_ and flags & write_flags != 0

    def audit(event, args):
        if type_(event) is not str_:
            return
        if event in blocked_events or event.startswith(blocked_prefixes):
            raise denied(f"{event} is not allowed in exercises (no network, processes or threads)")
        if event in frame_events:
            raise no_frame(f"{event} is not allowed in exercises (no stack frames)")
        if event == "object.__getattr__" and (type_(args[1]) is not str_ or args[1] in frame_attributes):
            raise no_attr(f"{plain(args[1])} is not available in exercises (no stack frames)")
        if event == "import":
            name = args[0]
            if type_(name) is not str_ or name.split(".")[0] not in allowed_top:
                raise no_module(f"import of {plain(name)!r} is not allowed: only the standard library and numpy")
        elif event == "open":
            if type_(args[0]) is int_:
                return
            path = plain(args[0])
            allowed = writable if is_write(args[1], args[2]) else readable
            if path is None or not allowed(path):
                raise denied(f"opening {path!r} is not allowed: files outside the exercise folder are off limits")
        elif event in list_events or event in write_events:
            allowed = readable if event in list_events else writable
            for target in args[:2] if event == "os.rename" else args[:1]:
                path = "." if target is None else plain(target)
                if type_(target) is not int_ and (path is None or not allowed(path)):
                    raise denied(f"{event} outside the exercise folder is not allowed")

    return audit


def install_guard():
    workdir = os.path.realpath(os.getcwd())
    stdlib_dir = os.path.realpath(os.path.dirname(os.__file__))
    numpy_dir = os.path.realpath(os.path.dirname(np.__file__))
    sys.addaudithook(_make_guard(workdir, stdlib_dir, os.path.dirname(numpy_dir), numpy_dir))


class CappedWriter(io.TextIOBase):
    """Keeps the first OUTPUT_CAP characters of what the solution prints and drops the rest."""

    def __init__(self):
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


def to_plain(value):
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.size > MAX_OUTPUT_SIZE:  # bool, int or float: what JSON carries
        raise TypeError(f"the function must return real numbers or arrays (got {type(value).__name__} {arr.dtype})")
    return arr.tolist()


def decode(value):
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=float)
    return value


def describe(exc):
    """``Type: message (line N of your solution)`` without touching frames (the audit hook forbids them).

    The first traceback entry is the harness's frame that called into the solution; the next is the solution's.
    """
    where = ""
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = f" (line {exc.lineno} of your solution)"
    else:
        tb = exc.__traceback__
        if tb is not None and tb.tb_next is not None:
            where = f" (line {tb.tb_next.tb_lineno} of your solution)"
    return f"{type(exc).__name__}: {exc}{where}"


def run_cases(spec, source):
    results = {"load_error": None, "cases": []}
    module = types.ModuleType("solution")
    module.__file__ = SOLUTION
    sys.modules["solution"] = module  # dataclasses and pickling look classes' modules up here
    try:
        exec(compile(source, SOLUTION, "exec"), module.__dict__)
        func = getattr(module, spec["function"])
    except BaseException as exc:  # the learner's module may raise anything at import time
        results["load_error"] = describe(exc)
        return results
    for case in spec["cases"]:
        args = [decode(a) for a in case["args"]]
        kwargs = {k: decode(v) for k, v in case.get("kwargs", {}).items()}
        try:
            value = func(*args, **kwargs)
        except MemoryError:
            results["cases"].append({"output": None, "error": "MemoryError: memory limit exceeded"})
            break
        except BaseException as exc:
            results["cases"].append({"output": None, "error": describe(exc)})
            continue
        try:
            results["cases"].append({"output": to_plain(value), "error": None})
        except BaseException as exc:  # converting a learner's object runs its code, which may raise anything
            results["cases"].append({"output": None, "error": f"{type(exc).__name__}: {exc}"})
    return results


def main():
    results_fd = int(sys.argv[1])
    with open("cases.json", encoding="utf-8") as fh:
        spec = json.load(fh)
    with open(SOLUTION, encoding="utf-8") as fh:
        source = fh.read()
    out, err = CappedWriter(), CappedWriter()
    sys.stdout, sys.stderr = out, err
    results = run_cases(spec, source)
    results["stdout"] = "".join(out.parts)
    results["stdout_dropped"] = out.dropped + err.dropped
    with os.fdopen(results_fd, "w", encoding="utf-8") as fh:
        json.dump(results, fh, allow_nan=True)


if __name__ == "__main__":
    install_guard()
    del install_guard, _make_guard  # learner code can read this module; leave it nothing that builds a hook
    main()
