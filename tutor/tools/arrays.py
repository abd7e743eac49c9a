"""Input checks shared by the tools: finite numbers, expected ranks and matching shapes, or a clear ToolError."""

from __future__ import annotations

from typing import Any

import numpy as np

from tutor.errors import ToolError


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


def stable_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def fmt(a: Any) -> str:
    return np.array2string(np.asarray(a), precision=4, suppress_small=True, threshold=30)
