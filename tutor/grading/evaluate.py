"""Grade a file of labelled answers and measure agreement: the engine behind `tutor eval grading`.

A line has question, reference, answer and either ``label`` (correct/partial/incorrect, or only correct/incorrect
for 2-way sets, where a predicted partial counts as incorrect) or ``score`` (0–5, compared with grade score × 5).
Optional: id, kind, key_points, misconceptions, expected, tolerance. Other fields are ignored.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor.errors import GradingError
from tutor.grading import metrics
from tutor.grading.dataset import read_jsonl

if TYPE_CHECKING:
    from tutor.backends.base import ChatBackend
    from tutor.grading.grader import Grade
    from tutor.grading.model import VerdictModel

LABELS_3 = ("incorrect", "partial", "correct")
LABELS_2 = ("incorrect", "correct")


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    reference: str
    answer: str
    label: str | None
    score: float | None
    kind: str
    key_points: tuple[str, ...] | None
    misconceptions: tuple[str, ...] | None
    expected: dict[str, Any] | None
    tolerance: float

    def grade(self, **kwargs: Any) -> Grade:
        from tutor.grading.grader import grade

        return grade(
            self.question,
            self.reference,
            self.answer,
            key_points=self.key_points,
            misconceptions=self.misconceptions,
            expected=self.expected,
            tolerance=self.tolerance,
            **kwargs,
        )


def load_cases(path: Path) -> list[Case]:
    """Read and validate a cases file; every problem names its line."""
    if not path.is_file():
        raise GradingError(
            f"cases file not found: {path}", hint="build the split with `python -m tutor.grading.dataset build`"
        )
    cases = []
    for n, obj in read_jsonl(path):
        where = f"{path}:{n}"
        for key in ("question", "reference", "answer"):
            if not isinstance(obj.get(key), str):
                raise GradingError(f"{where}: `{key}` must be a string")
        label, score = obj.get("label"), obj.get("score")
        if label is None and score is None:
            raise GradingError(f"{where}: needs a `label` or a `score`")
        if label is not None and label not in LABELS_3:
            raise GradingError(f"{where}: label must be correct, partial or incorrect, got {label!r}")
        if score is not None and (not isinstance(score, int | float) or not 0 <= score <= 5):
            raise GradingError(f"{where}: score must be a number from 0 to 5, got {score!r}")
        kp, mis = obj.get("key_points"), obj.get("misconceptions")
        cases.append(
            Case(
                id=str(obj.get("id", n)),
                question=obj["question"],
                reference=obj["reference"],
                answer=obj["answer"],
                label=label,
                score=float(score) if score is not None else None,
                kind=str(obj.get("kind") or "unknown"),
                key_points=tuple(str(k) for k in kp) if isinstance(kp, list) and kp else None,
                misconceptions=tuple(str(m) for m in mis) if isinstance(mis, list) and mis else None,
                expected=obj.get("expected") if isinstance(obj.get("expected"), dict) else None,
                tolerance=float(obj.get("tolerance", 0.01)),
            )
        )
    if not cases:
        raise GradingError(f"{path} has no cases")
    return cases


def report(cases: Sequence[Case], grades: Sequence[Grade], latencies_ms: Sequence[float]) -> dict[str, Any]:
    """Every metric `tutor eval grading` prints, as one JSON-ready dict."""
    labelled = [(c, g) for c, g in zip(cases, grades, strict=True) if c.label is not None]
    two_way = bool(labelled) and all(c.label != "partial" for c, _ in labelled)
    labels = LABELS_2 if two_way else LABELS_3

    def predicted(g: Grade) -> str:
        return "incorrect" if two_way and g.verdict == "partial" else g.verdict

    out: dict[str, Any] = {"n": len(cases), "labels": list(labels)}
    if labelled:
        gold = [c.label for c, _ in labelled]
        figures = metrics.summary(gold, [predicted(g) for _, g in labelled], labels)  # type: ignore[arg-type]
        out |= {"n_labelled": figures.pop("n"), **figures}
        kinds: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for c, g in labelled:
            kinds[c.kind].append((c.label, predicted(g)))  # type: ignore[arg-type]
        out["per_kind"] = {
            kind: {
                "n": len(pairs),
                "accuracy": sum(a == b for a, b in pairs) / len(pairs),
                "graded_correct": sum(b == "correct" for _, b in pairs) / len(pairs),
            }
            for kind, pairs in sorted(kinds.items())
        }
    else:
        out |= {k: None for k in ("accuracy", "macro_f1", "weighted_f1", "qwk", "false_correct_rate", "confusion")}
        out["per_kind"] = {}
    out["flag_counts"] = dict(sorted(Counter(f for g in grades for f in g.flags).items()))
    scored = [(c.score, g.score * 5) for c, g in zip(cases, grades, strict=True) if c.score is not None]
    out["pearson"] = metrics.pearson([a for a, _ in scored], [b for _, b in scored]) if scored else None
    out["rmse"] = metrics.rmse([a for a, _ in scored], [b for _, b in scored]) if scored else None
    out["latency_ms"] = {
        "p50": metrics.percentile(latencies_ms, 50),
        "p95": metrics.percentile(latencies_ms, 95),
        "max": max(latencies_ms, default=0.0),
    }
    return out


def run(
    cases: Sequence[Case],
    *,
    mode: str = "fast",
    backend: ChatBackend | None = None,
    model: VerdictModel | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[list[Grade], list[float]]:
    """Grade every case, timing each one as the quiz loop sees it: the embedder and entailment model are warm and the
    question was prepared (its reference and key points embedded) when it was shown, so only the answer's grading
    is timed."""
    from tutor.grading.grader import _shared_embed, prepare_question

    _shared_embed(["warm-up"])
    grades, latencies = [], []
    for i, case in enumerate(cases):
        prepare_question(case.question, case.reference, case.key_points, case.misconceptions)
        start = time.perf_counter()
        grades.append(case.grade(mode=mode, backend=backend, model=model))
        latencies.append((time.perf_counter() - start) * 1000)
        if on_progress:
            on_progress(i + 1)
    return grades, latencies
