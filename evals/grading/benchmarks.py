"""Public short-answer grading benchmarks with the grader's features, reported the standard way.

    python evals/grading/benchmarks.py [--data /work/shared/benchmarks/asag] [--only mohler,scientsbank,beetle]

- Mohler 2011 (0-5 scores, the 2,273-answer standard set): Pearson r and RMSE under 12-fold cross-validation,
  one fold per assignment/exam (so test questions are unseen), regressors fitted on our features.
  Also the shipped weights zero-shot (grade score × 5, nothing fitted on Mohler).
- SemEval-2013 SciEntsBank / Beetle train (2-way): weighted F1 on a held-out 20% of the answers of every question
  ("unseen answers", fitted on the other 80%) and on held-out questions ("unseen questions", 5 folds by question).
  The test splits are not used. With "+kNN", features also compare an answer with the labelled training answers
  to the same question, which is what "unseen answers" allows.

Nothing here is fitted on the data it reports on. Features are cached per data set in --cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tutor import grading
from tutor.grading.features import FEATURE_NAMES
from tutor.grading.grader import analyse, decide
from tutor.grading.metrics import pearson, rmse
from tutor.grading.model import load_model

# The shipped combiner's features, minus those that only mean something on the tutor's own corpus (numbers from
# compute questions' tool results, misconceptions, which these sets do not author).
BENCH_FEATURES = [f for f in FEATURE_NAMES if not f.startswith(("numeric_", "mis_"))]


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cache_key(rows: list[dict[str, Any]]) -> str:
    """Changes with the rows, the shipped weights and the grading code (a refit or a feature change)."""
    digest = hashlib.sha256(json.dumps([r["id"] for r in rows]).encode())
    package = Path(grading.__file__).parent
    for source in sorted([*package.glob("*.py"), *package.glob("*.json")]):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def featurize(rows: list[dict[str, Any]], cache: Path, name: str) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Feature matrix, shipped-model score (× 5) and the analyses' unit vectors for kNN; cached on disk."""
    model = load_model()
    path = cache / f"{name}-{_cache_key(rows)}.npz"
    if path.is_file():
        data = np.load(path, allow_pickle=True)
        return data["x"], data["zero_shot"], list(data["vecs"])
    x, zero_shot, vecs = [], [], []
    started = time.time()
    for i, r in enumerate(rows):
        alternatives = r.get("references") or None  # Beetle lists several good answers: align to the best one
        a = analyse(r["question"], r["reference"], r["answer"], key_points=alternatives)
        x.append([a.features.get(f, 0.0) for f in BENCH_FEATURES])
        zero_shot.append(decide(a, model).score * 5)
        vecs.append(a.av.unit_vecs.mean(axis=0) if a.av is not None else np.zeros(384, dtype=np.float32))
        if i % 500 == 0:
            print(f"  {name}: {i}/{len(rows)} ({time.time() - started:.0f}s)", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=np.array(x), zero_shot=np.array(zero_shot), vecs=np.array(vecs, dtype=object))
    return np.array(x), np.array(zero_shot), vecs


def mohler(rows: list[dict[str, Any]], cache: Path) -> dict[str, Any]:
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = [r for r in rows if not r["ignored_in_published_work"]]
    x, zero_shot, _ = featurize(rows, cache, "mohler")
    y = np.array([r["score"] for r in rows])
    assignment = np.array([r["question_id"].split(".")[0] for r in rows])
    out: dict[str, Any] = {"n": len(rows), "folds": "12, one per assignment/exam (unseen questions)"}
    out["zero_shot_shipped_weights"] = {
        "pearson": pearson(list(y), list(zero_shot)),
        "rmse": rmse(list(y), list(zero_shot)),
    }
    for name, make in (
        ("ridge", lambda: make_pipeline(StandardScaler(), Ridge(alpha=10.0))),
        ("gradient_boosting", lambda: GradientBoostingRegressor(n_estimators=200, max_depth=3, learning_rate=0.05)),
    ):
        pred = np.zeros_like(y)
        for a in sorted(set(assignment)):
            test = assignment == a
            reg = make().fit(x[~test], y[~test])
            pred[test] = np.clip(reg.predict(x[test]), 0, 5)
        out[name] = {"pearson": pearson(list(y), list(pred)), "rmse": rmse(list(y), list(pred))}
    return out


def knn_features(vecs: list[np.ndarray], y: np.ndarray, qids: np.ndarray, train: np.ndarray, i: int) -> list[float]:
    """Max cosine to the labelled training answers of the same question, per class."""
    same = np.where(train & (qids == qids[i]))[0]
    same = same[same != i]
    out = []
    for label in (1, 0):
        idx = same[y[same] == label]
        out.append(max((float(vecs[i] @ vecs[j]) for j in idx), default=0.0))
    return [*out, out[0] - out[1]]


def semeval(rows: list[dict[str, Any]], cache: Path, name: str) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, zero_shot, vecs = featurize(rows, cache, name)
    vecs = [v / max(np.linalg.norm(v), 1e-9) for v in vecs]
    y = np.array([1 if r["label"] == "correct" else 0 for r in rows])
    qids = np.array([r["question_id"] for r in rows])
    # unseen answers: a fixed 20% of each question's answers (by hash of the answer id)
    held = np.array([int(hashlib.sha256(r["id"].encode()).hexdigest()[:8], 16) % 5 == 0 for r in rows])
    out: dict[str, Any] = {"n": len(rows), "n_held_out_answers": int(held.sum())}
    out["majority_baseline_wf1"] = f1_score(y[held], np.zeros(held.sum()), average="weighted")
    out["zero_shot_shipped_weights_wf1"] = f1_score(y[held], (zero_shot[held] >= 3.5).astype(int), average="weighted")
    knn = np.array([knn_features(vecs, y, qids, ~held, i) for i in range(len(rows))])
    models = {
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000)),
        "gradient_boosting": lambda: HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_depth=4),
    }
    for model_name, make in models.items():
        for variant, feats in (("features", x), ("features+kNN", np.hstack([x, knn]))):
            clf = make().fit(feats[~held], y[~held])
            out[f"unseen_answers/{model_name}/{variant}_wf1"] = f1_score(
                y[held], clf.predict(feats[held]), average="weighted"
            )
    # unseen questions: 5 folds by question, no kNN (no labelled answers to those questions exist)
    order = sorted(set(qids), key=lambda q: hashlib.sha256(q.encode()).hexdigest())
    fold_of = {q: i % 5 for i, q in enumerate(order)}
    folds = np.array([fold_of[q] for q in qids])
    for model_name, make in models.items():
        pred = np.zeros_like(y)
        for f in range(5):
            test = folds == f
            pred[test] = make().fit(x[~test], y[~test]).predict(x[test])
        out[f"unseen_questions/{model_name}_wf1"] = f1_score(y, pred, average="weighted")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/benchmarks/asag"), help="Benchmark folder.")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "tutor-asag-features", help="Feature cache folder."
    )
    parser.add_argument("--only", default="mohler,scientsbank,beetle", help="Comma-separated data sets to run.")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    results: dict[str, Any] = {}
    if "mohler" in wanted:
        results["mohler"] = mohler(load(args.data / "mohler2011.jsonl"), args.cache)
    for name in ("scientsbank", "beetle"):
        if name in wanted:
            results[name] = semeval(load(args.data / f"semeval2013_{name}_train.jsonl"), args.cache, name)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
