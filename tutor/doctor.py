"""Health checks behind `tutor doctor`: each says ok or fail, with a fix a user can run."""

from __future__ import annotations

import os
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


def _torch(_: Settings, __: bool) -> Check:
    import torch

    cuda = torch.version.cuda
    detail = f"torch {torch.__version__}, {'CUDA ' + cuda if cuda else 'CPU build'}, {torch.get_num_threads()} threads"
    return Check("torch", True, detail)


def _llama(_: Settings, __: bool) -> Check:
    import llama_cpp

    return Check("llama.cpp", True, f"llama-cpp-python {llama_cpp.__version__}")


def _model(settings: Settings, verify_hash: bool) -> Check:
    from tutor.backends.models import DEFAULT_MODEL, chunk_paths, verify_default_model

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
            verify_default_model(target)
            return Check("model", True, f"{target} (SHA-256 verified)")
        return Check("model", True, f"{target} (size ok; hash not checked)")
    chunk_paths()  # raises ModelNotFound with the install hint when the chunks are missing
    return Check("model", True, f"chunks installed; {DEFAULT_MODEL.filename} is assembled on first use")


def _embedder(_: Settings, __: bool) -> Check:
    from tutor.backends.embedder import Embedder

    vec = Embedder().encode(["doctor check"])
    return Check("embedder", vec.shape == (1, 384), f"all-MiniLM-L6-v2, dim {vec.shape[1]}")


def _index(settings: Settings, _: bool) -> Check:
    for folder in (shipped_index_dir(), settings.user_index_dir):
        if (folder / "manifest.json").is_file():
            return Check("index", True, f"{folder}")
    return Check("index", False, "no built index found", "run `tutor index build`")


def _data_dir(settings: Settings, _: bool) -> Check:
    settings.home.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.home):
        pass
    return Check("data dir", True, f"{settings.home} (writable)")


CHECKS: list[Callable[[Settings, bool], Check]] = [
    _python,
    _torch,
    _llama,
    _model,
    _embedder,
    _index,
    _data_dir,
]


def run_checks(settings: Settings | None = None, *, verify_hash: bool = True) -> list[Check]:
    settings = settings or get_settings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    results: list[Check] = []
    for check in CHECKS:
        name = check.__name__.strip("_").replace("_", " ")
        try:
            results.append(check(settings, verify_hash))
        except TutorError as exc:
            results.append(Check(name, False, str(exc), exc.hint))
        except (ImportError, OSError) as exc:
            results.append(Check(name, False, f"{type(exc).__name__}: {exc}", "reinstall with `pip install -e .`"))
    return results
