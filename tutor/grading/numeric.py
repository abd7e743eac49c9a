"""Numeric answers to compute questions: checked against the tool's result with a relative tolerance, never a model."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_NUMBER = re.compile(
    r"(?<![A-Za-z_\d.])(?P<sign>[-−–])?(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)"
    r"(?:\s*(?:[eE](?P<exp>[-+−]?\d+)|[x×*]\s*10\s*\^\s*\{?(?P<pow>[-+−]?\d+)\}?))?"
    r"\s*(?P<suffix>%|percent\b|thousand\b|million\b|billion\b|trillion\b|[kKMBGT](?:i?B)?\b|bn\b)?"
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?![\d.]))?"
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9, "g": 1e9}
_SCALE |= {"t": 1e12, "trillion": 1e12}
_BINARY = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_ABS_FLOOR = 1e-9


@dataclass(frozen=True)
class NumericResult:
    expected: int  # distinct expected values
    matched: int  # of those, how many the answer states within tolerance
    stated: int  # numbers in the answer

    @property
    def fraction(self) -> float:
        return self.matched / self.expected if self.expected else 0.0


def flatten_numbers(value: Any) -> Iterator[float]:
    """Every number in a tool result, however nested in lists and dicts (booleans are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        if math.isfinite(value):
            yield float(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from flatten_numbers(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from flatten_numbers(v)
    elif isinstance(value, str):
        for candidates in stated_numbers(value):
            yield candidates[0]


def stated_numbers(text: str) -> list[tuple[float, ...]]:
    """Each number written in ``text`` as the values it may mean (``14 GB`` is 14e9 or 14·2^30; ``27%`` is 0.27)."""
    out: list[tuple[float, ...]] = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        try:
            value = float(raw)
        except ValueError:
            continue
        if m.group("sign"):
            value = -value
        exp = m.group("exp") or m.group("pow")
        if exp:
            value *= 10.0 ** int(exp.replace("−", "-"))
        if m.group("den"):
            den = float(m.group("den"))
            out.append((value / den, value) if den else (value,))
            continue
        suffix = (m.group("suffix") or "").lower()
        if suffix in ("%", "percent"):
            out.append((value / 100, value))
            continue
        unit = suffix.rstrip("b").rstrip("i") if suffix not in ("b", "bn") else suffix
        if unit in _SCALE:
            candidates = [value * _SCALE[unit], value]
            if unit in _BINARY:
                candidates.insert(1, value * _BINARY[unit])
            out.append(tuple(candidates))
        else:
            out.append((value,))
    return out


def close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= max(tolerance * abs(b), _ABS_FLOOR)


def distinct(values: list[float], tolerance: float) -> list[float]:
    out: list[float] = []
    for value in values:
        if not any(close(value, t, tolerance) for t in out):
            out.append(value)
    return out


def match_numbers(answer: str, targets: list[float], tolerance: float) -> NumericResult:
    """How many of ``targets`` (distinct values) the answer states within ``tolerance`` (relative)."""
    stated = stated_numbers(answer)
    matched = sum(1 for t in targets if any(close(c, t, tolerance) for cands in stated for c in cands))
    return NumericResult(expected=len(targets), matched=matched, stated=len(stated))


def check_numbers(answer: str, expected: dict[str, Any], tolerance: float) -> NumericResult:
    """How many distinct values of the tool result the answer states within ``tolerance``."""
    return match_numbers(answer, distinct(list(flatten_numbers(expected)), tolerance), tolerance)


def foreign_share(answer: str, known: list[float], tolerance: float) -> float:
    """Share of the numbers in the answer that appear nowhere in the question or reference."""
    stated = stated_numbers(answer)
    if not stated:
        return 0.0
    foreign = sum(1 for cands in stated if not any(close(c, k, tolerance) for c in cands for k in known))
    return foreign / len(stated)
