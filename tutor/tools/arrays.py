"""Input checks shared by the tools: finite numbers, expected ranks and matching shapes, size caps, bounded integer
arguments, or a clear ToolError."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field

from tutor.errors import ToolError

# Attention-like tools return n×n score and weight matrices: 256 tokens keep a result near 3 MB of JSON and well
# under a second, where 9000 tokens once took gigabytes.
MAX_TOKENS = 256
# A returned matrix whose size is a product of the inputs (heads × tokens², steps × dims, ...) holds at most this many
# numbers; checked before computing, so an oversized call costs nothing.
MAX_RESULT = 65_536

# Bounds for the integer (and size) arguments of the arithmetic tools: generous, real-model scale, but finite so that
# no answer is absurd. Pydantic states the bound in the error message and the JSON schema shows it to the model.
Layers = Annotated[int, Field(ge=1, le=10_000)]
Width = Annotated[int, Field(ge=1, le=1_000_000)]  # d_model, d_ff, head_dim, LoRA dims and rank, conv channels
Heads = Annotated[int, Field(ge=1, le=10_000)]
Vocab = Annotated[int, Field(ge=1, le=10_000_000)]
SeqLen = Annotated[int, Field(ge=1, le=100_000_000)]
Count = Annotated[int, Field(ge=1, le=1_000_000)]  # batch size, number of adapted matrices
Experts = Annotated[int, Field(ge=1, le=100_000)]
TrainTokens = Annotated[int, Field(ge=1, le=10**15)]
Params = Annotated[float, Field(gt=0, le=1e14)]
BytesPerValue = Annotated[float, Field(gt=0, le=8)]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]  # NumPy seeds are non-negative; a negative one fails deep inside
Epsilon = Annotated[float, Field(ge=0, le=1)]  # a negative eps can make variance + eps negative: NaN or a wrong scale


def require_temperature(temperature: float, at_zero: str) -> None:
    """Temperature divides the logits: 0 and negative values are refused with what each would mean."""
    require(temperature != 0, f"temperature must be > 0, got 0: dividing by 0 is undefined ({at_zero})")
    require(temperature > 0, f"temperature must be > 0, got {temperature:g}: a negative one reverses the order")


def as_array(value: Any, name: str, *, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ToolError(f"{name} must be a number, a list of numbers or a rectangular list of lists") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ToolError(f"{name} must have {' or '.join(map(str, allowed))} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ToolError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise ToolError(f"{name} contains NaN or infinity")
    return arr


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ToolError(message)


def require_tokens(n: int, name: str) -> None:
    require(n <= MAX_TOKENS, f"{name} has {n:,} rows (tokens); at most {MAX_TOKENS}: attention grows as tokens²")


def require_result_size(count: int, what: str) -> None:
    require(count <= MAX_RESULT, f"{what} would hold {count:,} numbers; at most {MAX_RESULT:,}: use a smaller example")


def evenly_spaced(last: int, count: int, first: int = 0) -> list[int]:
    """At most ``count`` integers spread evenly from ``first`` to ``last``, both included (for thinned histories)."""
    return sorted({int(v) for v in np.rint(np.linspace(first, last, min(count, last - first + 1)))})


def stable_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def fmt(a: Any) -> str:
    return np.array2string(np.asarray(a), precision=4, suppress_small=True, threshold=30)
