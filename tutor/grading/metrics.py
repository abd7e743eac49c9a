"""Agreement metrics for graded answers (plain Python, so tests can check them on hand-made confusions)."""

from __future__ import annotations

import math
from collections.abc import Sequence

ORDER = ("incorrect", "partial", "correct")


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = ORDER) -> list[list[int]]:
    """``m[i][j]`` = answers whose gold label is ``labels[i]`` and predicted label is ``labels[j]``."""
    index = {label: i for i, label in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        m[index[g]][index[p]] += 1
    return m


def per_class_f1(m: list[list[int]]) -> list[float]:
    out = []
    for i in range(len(m)):
        tp = m[i][i]
        fp = sum(m[r][i] for r in range(len(m))) - tp
        fn = sum(m[i]) - tp
        out.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return out


def macro_f1(m: list[list[int]]) -> float:
    """Mean F1 over the classes that occur in gold or prediction."""
    present = [i for i in range(len(m)) if sum(m[i]) or sum(r[i] for r in m)]
    f1 = per_class_f1(m)
    return sum(f1[i] for i in present) / len(present) if present else 0.0


def weighted_f1(m: list[list[int]]) -> float:
    total = sum(map(sum, m))
    f1 = per_class_f1(m)
    return sum(f1[i] * sum(m[i]) for i in range(len(m))) / total if total else 0.0


def accuracy(m: list[list[int]]) -> float:
    total = sum(map(sum, m))
    return sum(m[i][i] for i in range(len(m))) / total if total else 0.0


def quadratic_weighted_kappa(m: list[list[int]]) -> float:
    """Cohen's kappa with quadratic disagreement weights over the ordered classes."""
    k, total = len(m), sum(map(sum, m))
    if not total or k < 2:
        return 0.0
    rows = [sum(m[i]) for i in range(k)]
    cols = [sum(m[i][j] for i in range(k)) for j in range(k)]
    observed = expected = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            observed += w * m[i][j]
            expected += w * rows[i] * cols[j] / total
    return 1.0 - observed / expected if expected else 1.0


def false_correct_rate(m: list[list[int]], labels: Sequence[str] = ORDER) -> float:
    """Share of answers that are not correct (gold) but were graded correct."""
    c = labels.index("correct")
    wrong = [i for i in range(len(labels)) if i != c]
    n = sum(sum(m[i]) for i in wrong)
    return sum(m[i][c] for i in wrong) / n if n else 0.0


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    n = len(x)
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy) if sx and sy else None


def rmse(x: Sequence[float], y: Sequence[float]) -> float | None:
    if not x:
        return None
    return math.sqrt(sum((a - b) ** 2 for a, b in zip(x, y, strict=True)) / len(x))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = ORDER) -> dict[str, float | list]:
    m = confusion(gold, pred, labels)
    return {
        "n": len(gold),
        "accuracy": accuracy(m),
        "macro_f1": macro_f1(m),
        "weighted_f1": weighted_f1(m),
        "qwk": quadratic_weighted_kappa(m),
        "false_correct_rate": false_correct_rate(m, labels),
        "confusion": m,
    }
