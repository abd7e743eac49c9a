"""Health checks behind `tutor doctor`: each says ok or fail, with a fix a user can run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from tutor.config import Settings, get_settings
from tutor.errors import TutorError


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def shipped_index_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "index"


def _python(_: Settings, __: bool) -> Check:
    ok = sys.version_info >= (3, 11)
    return Check("python", ok, sys.version.split()[0], "" if ok else "install Python 3.11 or newer")


TORCH_PIN = "2.13.0"


def _torch(_: Settings, __: bool) -> Check:
    import torch

    cuda = torch.version.cuda
    detail = f"torch {torch.__version__}, {'CUDA ' + cuda if cuda else 'CPU build'}, {torch.get_num_threads()} threads"
    # A CUDA build runs on CPU too, but it is the multi-GB download the project pins away from.
    ok = cuda is None and torch.__version__.startswith(TORCH_PIN)
    fix = "" if ok else f"pip install torch=={TORCH_PIN} --index-url https://download.pytorch.org/whl/cpu"
    return Check("torch", ok, detail, fix)


def _llama(_: Settings, __: bool) -> Check:
    import llama_cpp

    return Check("llama.cpp", True, f"llama-cpp-python {llama_cpp.__version__}")


def _config(_: Settings, __: bool) -> Check:
    from tutor.config import config_file, unknown_settings

    unknown = unknown_settings()
    if unknown:
        return Check("config", False, "; ".join(map(str, unknown)), "; ".join(u.fix for u in unknown))
    path = config_file()
    return Check("config", True, f"{path}{'' if path.is_file() else ' (not created yet)'}")


def _model(settings: Settings, verify_hash: bool) -> Check:
    from tutor.backends.models import DEFAULT_MODEL, chunk_paths, is_recorded_verified, verify_default_model

    if settings.backend != "llama_cpp":
        return Check("model", True, f"backend {settings.backend} ({settings.openai_base_url})")
    if settings.model is not None:
        if not settings.model.is_file():
            return Check(
                "model",
                False,
                f"{settings.model} not found",
                "fix TUTOR_MODEL or --model to point at a GGUF file",
            )
        return Check(
            "model",
            True,
            f"{settings.model} ({settings.model.stat().st_size / 1e6:.0f} MB, custom: hash not pinned)",
        )
    target = settings.models_dir / DEFAULT_MODEL.filename
    if target.is_file():
        if verify_hash:
            verify_default_model(target)  # raises ModelChecksumMismatch with the fix for a damaged file
            return Check("model", True, f"{target} (SHA-256 verified)")
        if is_recorded_verified(target):
            return Check("model", True, f"{target} (SHA-256 verified, unchanged since)")
        return Check("model", True, f"{target} (hash not checked yet: the next start checks it)")
    chunk_paths()  # raises ModelNotFound with the install hint when the chunks are missing
    return Check("model", True, f"chunks installed; {DEFAULT_MODEL.filename} is assembled on first use")


# llama.cpp compiles for the build machine's CPU; some VMs list AMX in /proc/cpuinfo but do not enable it, and the
# k-quant kernels then die with SIGILL on the first batch. Building for AVX-512/AVX2 without AMX avoids it.
PORTABLE_BUILD = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON" '
    "pip install --force-reinstall --no-deps --no-cache-dir llama-cpp-python"
)
# The same thread settings as the llama.cpp backend: the kernels llama.cpp picks depend on them. The context is
# smaller than the app's (at least 4096) on purpose: the probe evaluates a 50-token prompt and decodes 2 tokens, so
# a bigger KV cache would only cost allocation time and memory in the child, not exercise any other kernel.
_PROBE = (
    "import os, sys; from llama_cpp import Llama; n = os.cpu_count() or 1; "
    "Llama(sys.argv[1], n_ctx=512, n_threads=n, n_threads_batch=n, verbose=False)('a b c ' * 16, max_tokens=2)"
)


def _generation(settings: Settings, _: bool) -> Check:
    """Decode two tokens in a child process: a crash there must not take the doctor down with it."""
    from tutor.backends.models import DEFAULT_MODEL, damaged_model_hint, is_recorded_verified

    path = settings.model or settings.models_dir / DEFAULT_MODEL.filename
    if settings.backend != "llama_cpp" or not path.is_file():
        return Check("generation", True, "skipped (no local model file yet)")
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, timeout=300)
    if proc.returncode == -signal.SIGILL:
        return Check(
            "generation",
            False,
            "llama.cpp died with an illegal instruction: it was compiled for CPU features this machine does not enable",
            PORTABLE_BUILD,
        )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        if settings.model is not None:
            fix = f"check that TUTOR_MODEL / --model ({path}) is a GGUF file this llama.cpp can load"
        elif is_recorded_verified(path):  # the file is intact, so the llama.cpp build is what fails
            fix = f"the model file is intact (SHA-256 verified); reinstall llama.cpp: {PORTABLE_BUILD}"
        else:
            fix = damaged_model_hint(path)
        return Check("generation", False, tail, fix)
    return Check("generation", True, f"{path.name} decodes")


def _embedder(_: Settings, __: bool) -> Check:
    from tutor.backends.embedder import shared_embedder

    embedder = shared_embedder()
    vec = embedder.encode(["doctor check"])
    return Check("embedder", vec.shape == (1, 384), f"all-MiniLM-L6-v2, dim {vec.shape[1]}, {embedder.runtime}")


def _entailment(_: Settings, __: bool) -> Check:
    from tutor.backends.nli import EntailmentModel

    (paraphrase, contradiction) = EntailmentModel().not_entailed(
        [("Ice is frozen water.", "Ice is water that has frozen."), ("Ice is frozen water.", "Ice is never water.")]
    )
    return Check(
        "entailment",
        contradiction > paraphrase,
        f"DeBERTa-v3-xsmall int8 (SHA-256 verified): paraphrase {paraphrase:.2f}, contradiction {contradiction:.2f}",
    )


def _index(settings: Settings, _: bool) -> Check:
    for folder in (shipped_index_dir(), settings.user_index_dir):
        if (folder / "manifest.json").is_file():
            return Check("index", True, f"{folder}")
    return Check("index", False, "no built index found", "run `tutor index build`")


def _data_dir(settings: Settings, _: bool) -> Check:
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.home):
            pass
    except OSError as exc:
        return Check(
            "data dir", False, f"{settings.home}: {exc.strerror or exc}", "set TUTOR_HOME to a writable directory"
        )
    return Check("data dir", True, f"{settings.home} (writable)")


CHECKS: list[tuple[str, Callable[[Settings, bool], Check]]] = [
    ("python", _python),
    ("config", _config),
    ("torch", _torch),
    ("llama.cpp", _llama),
    ("model", _model),
    ("generation", _generation),
    ("embedder", _embedder),
    ("entailment", _entailment),
    ("index", _index),
    ("data dir", _data_dir),
]


def run_checks(settings: Settings | None = None, *, verify_hash: bool = True) -> list[Check]:
    settings = settings or get_settings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    results: list[Check] = []
    for name, check in CHECKS:
        try:
            results.append(check(settings, verify_hash))
        except TutorError as exc:
            results.append(Check(name, False, str(exc), exc.hint))
        except (ImportError, OSError) as exc:
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}", "reinstall with `pip install -e .`"))
        except Exception as exc:  # one broken check must not hide the others' results
            results.append(
                Check(
                    name,
                    False,
                    f"{type(exc).__name__}: {exc}",
                    "a bug in this check: please report it with this message",
                )
            )
    return results
