"""The learned combiner over the features, stored as JSON in the package: gradient-boosted trees (shipped) or a
multinomial logistic regression (the simpler variant, kept for comparison).

Inference walks the trees (or takes a dot product) and a softmax in plain Python/numpy, so grading never imports
scikit-learn; training does.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tutor.errors import GradingError
from tutor.grading.features import FEATURE_NAMES

WEIGHTS_PATH = Path(__file__).with_name("weights.json")
# The same combiner fitted without the entailment feature: used when the entailment model cannot be loaded.
WEIGHTS_NO_ENTAILMENT_PATH = Path(__file__).with_name("weights_no_entailment.json")
CLASSES: tuple[str, ...] = ("incorrect", "partial", "correct")


# One regression tree as parallel lists: node i splits on feature[i] at threshold[i] (left when <=), or is a leaf
# (feature[i] == -1) worth value[i].
Tree = dict[str, list[Any]]


@dataclass(frozen=True)
class VerdictModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per class in CLASSES order
    intercept: tuple[float, ...]  # with trees: the baseline log-odds per class
    correct_threshold: float  # P(correct) needed to call an answer correct (calibrated against false-correct)
    low_confidence: float  # below this, hybrid mode asks the LLM
    meta: dict[str, Any] = field(default_factory=dict)
    partial_bias: float = 1.0  # partial wins over incorrect when P(partial) * partial_bias >= P(incorrect)
    trees: tuple[tuple[Tree, ...], ...] = ()  # boosting rounds, each one tree per class; empty for the linear model

    def probabilities(self, values: dict[str, float]) -> dict[str, float]:
        x = [values[f] for f in self.features]
        logits = list(self.intercept)
        if self.trees:
            for round_ in self.trees:
                for k, tree in enumerate(round_):
                    logits[k] += _leaf_value(tree, x)
        else:
            z = [(v - m) / s for v, m, s in zip(x, self.mean, self.scale, strict=True)]
            for k, row in enumerate(self.coef):
                logits[k] += sum(w * v for w, v in zip(row, z, strict=True))
        top = max(logits)
        exp = [math.exp(v - top) for v in logits]
        total = sum(exp)
        return {c: e / total for c, e in zip(CLASSES, exp, strict=True)}

    def decide(self, probs: dict[str, float]) -> str:
        """Correct only above the calibrated threshold; otherwise partial or incorrect, by their calibrated odds."""
        if probs["correct"] >= self.correct_threshold:
            return "correct"
        return "partial" if probs["partial"] * self.partial_bias >= probs["incorrect"] else "incorrect"

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "classes": list(CLASSES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": [list(r) for r in self.coef],
            "intercept": list(self.intercept),
            "correct_threshold": self.correct_threshold,
            "low_confidence": self.low_confidence,
            "partial_bias": self.partial_bias,
            "trees": [list(r) for r in self.trees],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerdictModel:
        try:
            model = cls(
                features=tuple(data["features"]),
                mean=tuple(float(v) for v in data["mean"]),
                scale=tuple(float(v) or 1.0 for v in data["scale"]),
                coef=tuple(tuple(float(v) for v in row) for row in data["coef"]),
                intercept=tuple(float(v) for v in data["intercept"]),
                correct_threshold=float(data["correct_threshold"]),
                low_confidence=float(data["low_confidence"]),
                meta=dict(data.get("meta", {})),
                trees=tuple(tuple(dict(t) for t in r) for r in data.get("trees", [])),
                partial_bias=float(data.get("partial_bias", 1.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GradingError(f"grading weights are malformed: {exc}") from exc
        if tuple(data.get("classes", CLASSES)) != CLASSES or len(model.intercept) != len(CLASSES):
            raise GradingError("grading weights name other classes than incorrect/partial/correct")
        unknown = set(model.features) - set(FEATURE_NAMES)
        if unknown:
            raise GradingError(f"grading weights use unknown features: {sorted(unknown)}")
        return model


def _leaf_value(tree: Tree, x: list[float]) -> float:
    feature, threshold, left, right, value = (
        tree["feature"],
        tree["threshold"],
        tree["left"],
        tree["right"],
        tree["value"],
    )
    i = 0
    while feature[i] >= 0:
        i = left[i] if x[feature[i]] <= threshold[i] else right[i]
    return float(value[i])


@lru_cache(maxsize=4)
def load_model(path: Path = WEIGHTS_PATH) -> VerdictModel:
    if not path.is_file():
        raise GradingError(
            f"grading weights not found at {path}", hint="refit them with `python -m tutor.grading.train`"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GradingError(f"grading weights at {path} are not valid JSON: {exc.msg}") from exc
    return VerdictModel.from_json(data)
