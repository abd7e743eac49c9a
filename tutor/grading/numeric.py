"""Numeric answers to compute questions: checked against the tool's result with a relative tolerance, never a model.

Each result field is compared in order: the expected values of a field (a matrix flattened row by row) must appear
in the answer as a subsequence of the numbers it states, so "[3, 3, 0, 3]" does not pass for [3, 2, 2, 2] just
because it contains a 3. A stated number also matches when it is the expected value correctly rounded to the
decimals the learner wrote (0.002 for 0.0020872), as long as they wrote at least three decimals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

_NUMBER = re.compile(
    r"(?<![A-Za-z_\d.])(?P<sign>[-−–])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?![\d])"
    r"(?:\s*(?:[eE](?P<exp>[-+−]?\d+)|(?:[x×*·]|\\times|\\cdot)\s*10\s*\^\s*\{?(?P<pow>[-+−]?\d+)\}?))?"
    r"\s*(?P<suffix>%|percent\b|thousand\b|million\b|billion\b|trillion\b|[kKMBGT](?:i?B)?\b|bn\b)?"
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?)(?![\d.]))?"
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9, "g": 1e9}
_SCALE |= {"t": 1e12, "trillion": 1e12}
_BINARY = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_ABS_FLOOR = 1e-9


@dataclass(frozen=True)
class Mention:
    """One number written in the text: the values it may mean, and the rounding slack its written digits allow."""

    values: tuple[float, ...]
    rounding: float = 0.0  # half a unit of the last written decimal, relative to the value (0 if < 3 decimals)


@dataclass(frozen=True)
class NumericResult:
    expected: int  # expected values
    matched: int  # of those, how many the answer states (in order, within tolerance)
    stated: int  # numbers in the answer

    @property
    def fraction(self) -> float:
        return self.matched / self.expected if self.expected else 0.0


def flatten_numbers(value: Any) -> Iterator[float]:
    """Every number in a tool result, in order, however nested in lists and dicts (booleans are not numbers here)."""
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


def mentions(text: str) -> list[Mention]:
    """Each number written in ``text`` with the values it may mean (``14 GB`` is 14e9 or 14·2^30; ``27%`` is 0.27)."""
    out: list[Mention] = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num").replace(",", "")
        value = float(raw)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        rounding = 0.5 * 10.0**-decimals / abs(value) if decimals >= 3 and value else 0.0
        if m.group("sign"):
            value = -value
        exp = m.group("exp") or m.group("pow")
        if exp:
            value *= 10.0 ** int(exp.replace("−", "-"))
        if m.group("den"):
            den = float(m.group("den"))
            out.append(Mention((value / den, value) if den else (value,)))
            continue
        suffix = (m.group("suffix") or "").lower()
        if suffix in ("%", "percent"):
            out.append(Mention((value / 100, value), rounding))
            continue
        unit = suffix.rstrip("b").rstrip("i") if suffix not in ("b", "bn") else suffix
        if unit in _SCALE:
            candidates = [value * _SCALE[unit], value]
            if unit in _BINARY:
                candidates.insert(1, value * _BINARY[unit])
            out.append(Mention(tuple(candidates), rounding))
        else:
            out.append(Mention((value,), rounding))
    return out


def stated_numbers(text: str) -> list[tuple[float, ...]]:
    """The candidate values of every number in ``text``."""
    return [m.values for m in mentions(text)]


def close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= max(tolerance * abs(b), _ABS_FLOOR)


def _matches(mention: Mention, expected: float, tolerance: float) -> bool:
    return any(
        abs(c - expected) <= max(tolerance * abs(expected), mention.rounding * abs(c), _ABS_FLOOR)
        for c in mention.values
    )


def _in_order(targets: Sequence[float], stated: Sequence[Mention], tolerance: float) -> int:
    """Length of the longest common subsequence of the expected values and the stated numbers."""
    previous = [0] * (len(stated) + 1)
    for t in targets:
        row = [0]
        for j, mention in enumerate(stated):
            row.append(previous[j] + 1 if _matches(mention, t, tolerance) else max(previous[j + 1], row[j]))
        previous = row
    return previous[-1]


def distinct(values: list[float], tolerance: float) -> list[float]:
    out: list[float] = []
    for value in values:
        if not any(close(value, t, tolerance) for t in out):
            out.append(value)
    return out


def match_numbers(answer: str, targets: list[float], tolerance: float) -> NumericResult:
    """How many of ``targets`` the answer states anywhere, within ``tolerance`` (relative)."""
    stated = mentions(answer)
    matched = sum(1 for t in targets if any(_matches(m, t, tolerance) for m in stated))
    return NumericResult(expected=len(targets), matched=matched, stated=len(stated))


def check_numbers(answer: str, expected: dict[str, Any], tolerance: float) -> NumericResult:
    """How many values of the tool result the answer states, field by field in order, within ``tolerance``."""
    stated = mentions(answer)
    total = matched = 0
    for value in expected.values():
        targets = list(flatten_numbers(value))
        total += len(targets)
        matched += _in_order(targets, stated, tolerance)
    return NumericResult(expected=total, matched=matched, stated=len(stated))


def foreign_share(answer: str, known: list[float], tolerance: float) -> float:
    """Share of the numbers in the answer that appear nowhere in the question or reference."""
    stated = mentions(answer)
    if not stated:
        return 0.0
    foreign = sum(1 for m in stated if not any(_matches(m, k, tolerance) for k in known))
    return foreign / len(stated)
