"""Each way a solution can misbehave gets a clear verdict, gains nothing, and leaves the tutor responsive."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import tutor
from tutor.exercises.sandbox import Limits, RunResult, launch, run_solution

FAST = Limits(wall_seconds=4.0, cpu_seconds=2, memory_mb=1024)
CASE = [{"args": [np.array([1.0, 2.0])]}]
README = Path(tutor.__file__).resolve().parents[1] / "README.md"


def run(body: str, limits: Limits = FAST) -> RunResult:
    return run_solution(body, "f", CASE, limits)


def sandbox_processes(marker: bytes = b"harness.py") -> list[str]:
    """Live processes whose command line mentions marker (a stray sandbox child would)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue  # exited while we looked
        if marker in cmdline and pid != str(os.getpid()):
            found.append(pid)
    return found


@pytest.fixture(autouse=True)
def no_strays() -> Iterator[None]:
    yield
    assert sandbox_processes() == [], "a sandboxed process outlived its run"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1: a solution that reaches it would show up in accept()."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.settimeout(0.3)
        yield srv


def assert_nothing_connected(srv: socket.socket) -> None:
    with pytest.raises(TimeoutError):
        srv.accept()


def test_good_solution_runs_and_reports_its_isolation() -> None:
    out = run("import numpy as np\ndef f(x):\n    return np.exp(x) / np.exp(x).sum()\n")
    assert out.status == "ok" and out.cases[0]["output"] == pytest.approx([0.2689414, 0.7310586])
    assert out.isolation["network"] in ("namespace", "socket-blocked")
    assert set(out.isolation) == {"network", "filesystem", "processes", "user"}


def test_infinite_cpu_loop_is_killed_by_the_cpu_limit() -> None:
    start = time.monotonic()
    out = run("def f(x):\n    while True:\n        pass\n")
    assert out.status == "killed" and "CPU" in out.message and time.monotonic() - start < 4


def test_sleeping_forever_hits_the_wall_clock_timeout() -> None:
    start = time.monotonic()
    out = run("import time\ndef f(x):\n    time.sleep(60)\n")
    assert out.status == "timeout" and time.monotonic() - start < 6


def test_allocating_50_gb_is_a_memory_verdict() -> None:
    out = run("import numpy as np\ndef f(x):\n    return np.ones(50 * 2**30 // 8)\n")
    assert out.status == "killed" and "memory" in out.message


def test_fork_is_blocked() -> None:
    out = run("import os\ndef f(x):\n    os.fork()\n    return x\n")
    assert "os.fork is not allowed" in out.cases[0]["error"]


def test_subprocess_and_sockets_are_blocked(listener: socket.socket) -> None:
    assert "not allowed" in run("import subprocess\ndef f(x):\n    return x\n").message
    port = listener.getsockname()[1]
    out = run(f"def f(x):\n    import socket\n    return socket.create_connection(('127.0.0.1', {port}))\n")
    assert "not allowed" in out.cases[0]["error"]
    assert_nothing_connected(listener)


def test_reading_the_tutors_files_is_blocked(isolated_home: Path) -> None:
    secret = isolated_home / "progress.sqlite3"
    secret.write_text("attempts")
    out = run(f"def f(x):\n    return open({str(secret)!r}).read()\n")
    assert "off limits" in out.cases[0]["error"]
    out = run(f"import os\ndef f(x):\n    return os.listdir({str(isolated_home)!r})\n")
    assert "not allowed" in out.cases[0]["error"]


def test_printing_megabytes_is_capped() -> None:
    out = run("def f(x):\n    print('x' * 5_000_000)\n    return x\n")
    assert out.status == "ok" and len(out.stdout) < 100_000 and "dropped" in out.stdout
    out = run("import os\ndef f(x):\n    os.write(1, b'x' * 20_000_000)\n    return x\n")  # past sys.stdout
    assert out.status == "ok" and len(out.stdout) < 100_000


def test_only_numpy_beyond_the_standard_library() -> None:
    out = run("import torch\ndef f(x):\n    return x\n")
    assert out.status == "error" and "only the standard library and numpy" in out.message


def test_common_standard_library_modules_still_work() -> None:
    # They touch sys._getframe, __code__ or optional imports at import time; the guard must fail them softly.
    body = (
        "import collections, copy, dataclasses, fractions, logging, statistics, typing\n"
        "P = collections.namedtuple('P', 'a b')\n@dataclasses.dataclass\nclass Q:\n    a: float\n"
        "def f(x):\n    return statistics.mean([Q(1.0).a, P(2.0, 0).a, float(fractions.Fraction(3))])\n"
    )
    out = run(body)
    assert out.status == "ok" and out.cases[0]["output"] == 2.0, out


def test_syntax_error_is_reported() -> None:
    out = run("def f(x)\n    return x\n")
    assert out.status == "error" and "SyntaxError" in out.message and "line 1" in out.message


def test_errors_name_the_line_of_the_solution() -> None:
    out = run("def f(x):\n    y = 1\n    return x / undefined\n")
    assert "NameError" in out.cases[0]["error"] and "line 3 of your solution" in out.cases[0]["error"]


def test_huge_source_is_refused() -> None:
    assert run("x = 1\n" * 50_000).status == "error"


def test_forged_results_cannot_crash_the_tutor() -> None:
    # The solution can write to the results descriptor itself; the tutor must treat what it reads as hostile.
    garbage = "import os, sys\nos.write(int(sys.argv[1]), b'{not json')\nos._exit(0)\n"
    assert run(garbage).status == "error"
    forged = {"load_error": None, "cases": [{"output": "abc", "error": None}], "stdout": 5}
    out = run(f"import os, sys\nos.write(int(sys.argv[1]), {json.dumps(forged).encode()!r})\nos._exit(0)\n")
    assert out.status == "ok" and out.cases[0]["output"] is None and "number" in out.cases[0]["error"]


# Tampering with the in-process guard ----------------------------------------------------------------------------
# Every solution below first tampers, then tries six things. f returns, for each, 1.0 if it worked, 0.5 if only the
# OS boundary stopped it (the hook was defeated), 0.0 if the guard refused it. Reads count as working only if they
# return the real content.
ATTEMPTS = """
import os
PATH, NAME = str, str
def restore():
    pass
def read_project():
    assert open(PATH({readme!r})).read(100) == {readme_head!r}
def read_progress():
    assert open(PATH({secret!r})).read() == 'attempts'
def list_home():
    assert 'progress.sqlite3' in os.listdir(PATH({home!r}))
def run_id():
    assert __import__(NAME('subprocess')).run(['id'], capture_output=True).stdout
def connect():
    __import__(NAME('socket')).create_connection(('127.0.0.1', {port}), timeout=1).close()
def fork_child():
    if os.fork() == 0:
        os.setsid()
        __import__('time').sleep(30)
        os._exit(0)
"""
CALL = """
def f(x):
    flags = []
    for attempt in (read_project, read_progress, list_home, run_id, connect, fork_child):
        try:
            attempt()
            flags.append(1.0)
        except BaseException as exc:
            flags.append(0.0 if 'not allowed' in repr(exc) else 0.5)
    restore()
    return flags
"""
TAMPER = {
    # The audit's escape: rebind the guard's globals in the harness's __main__.
    "__main__ globals": """
import __main__, sys
__main__._inside = lambda p, r: True
__main__.BLOCKED_EVENTS = ()
__main__.ALLOWED_TOP = set(sys.stdlib_module_names) | {'socket', 'subprocess'}
for _name, _value in list(vars(__main__).items()):
    if isinstance(_value, (set, dict)) and not _name.startswith('__'):
        _value.clear()
""",
    # gc.get_objects() would find the hook and let us rewrite its closure cells.
    "gc": """
import sys
try:
    import gc
except ImportError:
    gc = sys.modules.get('gc')
for _obj in gc.get_objects() if gc else []:
    for _cell in getattr(_obj, '__closure__', None) or ():
        if isinstance(_cell.cell_contents, frozenset):
            _cell.cell_contents = frozenset(sys.stdlib_module_names) | {'socket', 'subprocess'}
""",
    # Stack frames would lead to the hook's closure; every way to get one.
    "frames": """
import sys
def _frames():
    try:
        yield sys._getframe(0)
    except Exception:
        pass
    try:
        raise RuntimeError
    except RuntimeError as exc:
        try:
            yield exc.__traceback__.tb_frame
        except Exception:
            pass
    try:
        yield (lambda: (yield))().gi_frame
    except Exception:
        pass
for _frame in _frames():
    while _frame is not None:
        for _v in list(_frame.f_globals.values()):
            if isinstance(_v, (set, dict)) and _v is not _frame.f_globals:
                _v.clear()
        _frame = _frame.f_back
""",
    # Builtins the guard might call at run time.
    "builtins": """
import builtins, sys
_saved = dict(vars(builtins))
def restore():
    vars(builtins).update(_saved)
class _Yes(Exception):
    def __init__(self, *a):
        pass
builtins.type = lambda *a: str
builtins.isinstance = lambda *a: True
builtins.any = builtins.all = lambda *a: False
builtins.frozenset = lambda *a: set(sys.stdlib_module_names) | {'socket', 'subprocess'}
builtins.str = builtins.bytes = builtins.int = object
for _name in ('PermissionError', 'ModuleNotFoundError', 'ValueError', 'AttributeError', 'ImportError'):
    setattr(builtins, _name, _Yes)
""",
    # Modules the guard might use for paths, and sys.modules entries.
    "sys.modules and os.path": """
import os, posixpath, sys
_saved = (os.path.realpath, os.path.abspath, os.fspath, sys.modules['os'], sys.modules['posixpath'])
def restore():
    os.path.realpath, os.path.abspath, os.fspath, sys.modules['os'], sys.modules['posixpath'] = _saved
os.path.realpath = os.path.abspath = lambda p, **k: os.getcwd() + '/cases.json'
os.fspath = lambda p: 'cases.json'
class _Anything:
    def __getattr__(self, name):
        return lambda *a, **k: True
sys.modules['os'] = sys.modules['posixpath'] = _Anything()
""",
    # A str subclass whose methods lie, and a path that changes between the check and the use.
    "lying strings": """
class _Evil(str):
    def startswith(self, *a):
        return True
    def split(self, *a, **k):
        return ['numpy']
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
class _Flip:
    def __init__(self, path):
        self.path, self.calls = path, 0
    def __fspath__(self):
        self.calls += 1
        return self.path if self.calls % 2 else 'cases.json'
PATH, NAME = (lambda p: _Flip(_Evil(p))), _Evil
""",
}


@pytest.mark.parametrize("tamper", sorted(TAMPER))
def test_tampering_with_the_guard_gains_nothing(tamper: str, isolated_home: Path, listener: socket.socket) -> None:
    secret = isolated_home / "progress.sqlite3"
    secret.write_text("attempts")
    port = listener.getsockname()[1]
    head = README.read_text()[:100]
    prelude = ATTEMPTS.format(
        readme=str(README), readme_head=head, secret=str(secret), home=str(isolated_home), port=port
    )
    out = run(prelude + TAMPER[tamper] + CALL)
    assert out.status == "ok" and out.cases[0]["output"] == [0.0] * 6, out
    assert_nothing_connected(listener)


# The OS boundary on its own: a probe with no audit hook at all ---------------------------------------------------
PROBE = """
import json, os, socket, subprocess, sys, time
def worked(fn):
    try:
        fn()
        return True
    except Exception:
        return False
def child():
    if os.fork() == 0:
        os.setsid()  # leaves the process group: only the pid namespace can still reach it
        time.sleep(30)
        os._exit(0)
print(json.dumps({
    "read_project": worked(lambda: open(%(readme)r).read()),
    "read_progress": worked(lambda: open(%(secret)r).read()),
    "list_home": worked(lambda: os.listdir(%(home)r)),
    "run_id": worked(lambda: subprocess.run(["id"], check=True)),
    "connect": worked(lambda: socket.create_connection(("127.0.0.1", %(port)d), timeout=1)),
    "fork": worked(child),
    "uid": os.getuid(),
}))
"""


def test_the_os_boundary_holds_without_the_audit_hook(
    tmp_path: Path, isolated_home: Path, listener: socket.socket
) -> None:
    """What a solution that defeated the hook could do: nothing outside its namespaces and private root."""
    secret = isolated_home / "progress.sqlite3"
    secret.write_text("attempts")
    workdir = tmp_path / "work"
    workdir.mkdir()
    marker = f"probe-{os.getpid()}-{time.monotonic_ns()}"
    port = listener.getsockname()[1]
    (workdir / "probe.py").write_text(
        PROBE % {"readme": str(README), "secret": str(secret), "home": str(isolated_home), "port": port}
    )
    with (tmp_path / "out.txt").open("w+b") as out:
        start = time.monotonic()
        done = launch([sys.executable, "-I", "probe.py", marker], workdir, FAST, stdout=out.fileno(), stderr=2)
        took = time.monotonic() - start
        out.seek(0)
        seen = json.loads(out.read())
    assert sandbox_processes(marker.encode()) == [], "the forked child outlived the run"
    assert_nothing_connected(listener)
    if done.isolation.get("filesystem") != "private-root" or done.isolation.get("processes") != "pid-namespace":
        pytest.skip(f"this OS grants no namespaces here: {done.isolation}")
    assert done.code == 0 and not done.timed_out and took < 3
    assert seen["fork"], "fork should work here: the probe has no audit hook"
    assert not any(seen[k] for k in ("read_project", "read_progress", "list_home", "run_id", "connect")), seen
    if os.geteuid() == 0:
        assert done.isolation["user"] == "nobody" and seen["uid"] != 0
