"""Evaluation metrics: precision, recall and F-scores from a confusion matrix, and NDCG for graded rankings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from tutor.tools.arrays import as_array, fmt, require
from tutor.tools.registry import tool

Cases = Annotated[int, Field(ge=0, le=10**12)]


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None  # undefined (e.g. precision with nothing flagged), not silently 0


def _show(x: float | None) -> str:
    return "undefined (0/0)" if x is None else f"{x:.4f}"


@tool({"tp": 40, "fp": 10, "fn": 20, "tn": 930})
def classification_metrics(
    tp: Cases, fp: Cases, fn: Cases, tn: Cases = 0, beta: Annotated[float, Field(gt=0, le=100)] = 1.0
) -> dict[str, Any]:
    """Precision, recall, F-beta, accuracy and specificity from the confusion-matrix counts tp, fp, fn, tn."""
    total = tp + fp + fn + tn
    require(total > 0, "the counts are all zero")
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    # F-beta from counts, (1+β²)TP / ((1+β²)TP + β²FN + FP): defined even when precision or recall is 0/0
    b2 = beta * beta
    f_den = (1 + b2) * tp + b2 * fn + fp
    f_beta = (1 + b2) * tp / f_den if f_den else None
    accuracy, specificity = (tp + tn) / total, _ratio(tn, tn + fp)
    return {
        "precision": precision,
        "recall": recall,
        "f_beta": f_beta,
        "accuracy": accuracy,
        "specificity": specificity,
        "prevalence": (tp + fn) / total,
        "explanation": [
            f"precision = TP/(TP+FP) = {tp}/{tp + fp} = {_show(precision)} (of the flagged, how many are positive)",
            f"recall = TP/(TP+FN) = {tp}/{tp + fn} = {_show(recall)} (of the positives, how many are flagged)",
            f"F{beta:g} = (1+β²)TP/((1+β²)TP + β²FN + FP) = {_show(f_beta)}"
            + (" = 2PR/(P+R), the harmonic mean" if beta == 1 else ""),
            f"accuracy = (TP+TN)/total = {tp + tn}/{total} = {accuracy:.4f}; "
            f"predicting all negative would score {(fp + tn) / total:.4f}",
            f"specificity = TN/(TN+FP) = {_show(specificity)}",
        ],
    }


@tool({"relevance": [3, 2, 0, 1], "k": 3})
def ndcg(
    relevance: list[float],
    k: Annotated[int, Field(ge=1)] | None = None,
    gain: Literal["exponential", "linear"] = "exponential",
) -> dict[str, Any]:
    """NDCG@k of a ranking given each ranked item's graded relevance; the ideal order sorts the same items."""
    rel = as_array(relevance, "relevance", ndim=1)
    require(bool(np.all(rel >= 0)), "relevance grades must be >= 0")
    require(gain == "linear" or rel.max() <= 1000, "2^rel - 1 overflows above relevance 1000: use gain='linear'")
    cut = len(rel) if k is None else min(k, len(rel))
    gains = 2.0**rel - 1 if gain == "exponential" else rel
    discounts = 1 / np.log2(np.arange(2, cut + 2))
    dcg = float(gains[:cut] @ discounts)
    ideal = np.sort(gains)[::-1]
    idcg = float(ideal[:cut] @ discounts)
    score = dcg / idcg if idcg > 0 else None
    formula = "2^rel - 1" if gain == "exponential" else "rel"
    return {
        "ndcg": score,
        "dcg": dcg,
        "idcg": idcg,
        "gains": gains[:cut],
        "discounts": discounts,
        "explanation": [
            f"gain = {formula} for the top {cut}: {fmt(gains[:cut])}; discount 1/log2(rank + 1): {fmt(discounts)}",
            f"DCG@{cut} = Σ gain·discount = {dcg:.4f}",
            f"ideal order (same items sorted by relevance): IDCG@{cut} = {idcg:.4f}",
            f"NDCG@{cut} = DCG/IDCG = {_show(score)}",
        ],
    }
