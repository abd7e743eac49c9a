"""Labelled grading cases: join the authors' raw answers with the corpus and split them by question.

    python -m tutor.grading.dataset build [--answers DIR] [--out DIR] [--corpus DIR]

Raw lines (evals/grading/answers/<topic>.jsonl): {"question_id", "answer", "label", "kind"}.
Cases (evals/grading/cases/{train,dev,test,stress}.jsonl) add the question, reference, key points, misconceptions,
expected result and tolerance. The split is by question (a hash of its id, ~60/15/25) so no question's answers
are on both sides. The test split is frozen: its question ids are recorded in test_questions.txt and every later
build keeps them in test. Files named stress_*.jsonl hold a second held-out set, written after the grader was
fitted, for questions no other split has; their question ids are frozen the same way in stress_questions.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.errors import GradingError

EVALS_DIR = Path(__file__).resolve().parents[2] / "evals" / "grading"
ANSWERS_DIR = EVALS_DIR / "answers"
CASES_DIR = EVALS_DIR / "cases"
TEST_IDS_FILE = "test_questions.txt"
STRESS_IDS_FILE = "stress_questions.txt"
STRESS_PREFIX = "stress_"
SPLITS = ("train", "dev", "test", "stress")
LABELS = ("correct", "partial", "incorrect")
KINDS = frozenset(
    [
        "paraphrase",
        "terse",
        "rambling",
        "partial",
        "misconception",
        "negation",
        "numeric_right",
        "numeric_wrong",
        "verbatim",
        "keyword_salad",
        "off_topic",
        "empty",
        "injection",
    ]
)


def split_of(question_id: str) -> str:
    """Deterministic split by question: the first 8 hex digits of its SHA-256 as a fraction."""
    fraction = int(hashlib.sha256(question_id.encode()).hexdigest()[:8], 16) / 16**8
    return "train" if fraction < 0.60 else "dev" if fraction < 0.75 else "test"


def case_id(question_id: str, answer: str) -> str:
    return f"{question_id}:{hashlib.sha256(answer.encode()).hexdigest()[:10]}"


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; a broken line is a GradingError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GradingError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GradingError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise GradingError(f"{path}:{n}: each line must be a JSON object")
        yield n, obj


def pick(value: Any, dotted: str) -> Any:
    """``pick({"a": [{"b": 1}]}, "a.0.b") == 1``; None when the path is absent."""
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def expected_fields(expected: dict[str, Any] | None, check: tuple[str, ...]) -> dict[str, Any] | None:
    """The tool result restricted to the fields the question asks the learner to state."""
    if not expected:
        return None
    if not check:
        return expected
    picked = {field: pick(expected, field) for field in check}
    return {k: v for k, v in picked.items() if v is not None} or None


def build(answers_dir: Path = ANSWERS_DIR, out_dir: Path = CASES_DIR, corpus_dir: Path | None = None) -> dict[str, Any]:
    """Write the case files and return counts; unknown question ids and bad labels are skipped and counted."""
    from tutor.corpus.loader import load_corpus_with_problems

    corpus, _ = load_corpus_with_problems(corpus_dir)
    questions = {q.id: q for q in corpus.questions}
    out_dir.mkdir(parents=True, exist_ok=True)
    frozen_path, stress_path = out_dir / TEST_IDS_FILE, out_dir / STRESS_IDS_FILE
    frozen, stress = _read_ids(frozen_path), _read_ids(stress_path)
    lines = [(path, n, raw) for path in sorted(answers_dir.glob("*.jsonl")) for n, raw in read_jsonl(path)]
    stress |= {str(raw.get("question_id")) for path, _, raw in lines if path.name.startswith(STRESS_PREFIX)}
    if stress & frozen:
        raise GradingError(f"questions in both the test and the stress set: {', '.join(sorted(stress & frozen))}")

    cases: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    skipped: Counter[str] = Counter()
    for path, n, raw in lines:
        qid, answer, label = raw.get("question_id"), raw.get("answer"), raw.get("label")
        if qid not in questions:
            skipped["unknown question"] += 1
            continue
        if label not in LABELS or not isinstance(answer, str):
            skipped["bad label or answer"] += 1
            print(f"{path}:{n}: skipped (label {label!r})", file=sys.stderr)
            continue
        cid = case_id(qid, answer)
        if cid in seen:
            skipped["duplicate"] += 1
            continue
        seen.add(cid)
        q = questions[qid]
        split = "test" if qid in frozen else "stress" if qid in stress else split_of(qid)
        cases[split].append(
            {
                "id": cid,
                "question_id": qid,
                "topic": q.topic,
                "question": q.question,
                "reference": q.answer,
                "answer": answer,
                "label": label,
                "kind": raw.get("kind", "unknown"),
                "key_points": list(q.key_points),
                "misconceptions": list(q.misconceptions),
                "expected": expected_fields(q.expected, q.check),
                "tolerance": q.tolerance,
                "source": path.name,
            }
        )
    for split in SPLITS:
        rows = sorted(cases[split], key=lambda c: c["id"])
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (out_dir / f"{split}.jsonl").write_text(text, encoding="utf-8")
    _write_ids(frozen_path, frozen | {c["question_id"] for c in cases["test"]})
    _write_ids(stress_path, stress & set(questions))  # frozen like the test ids, even if a stress file is removed
    return {
        "cases": {s: len(cases[s]) for s in SPLITS},
        "questions": {s: len({c["question_id"] for c in cases[s]}) for s in SPLITS},
        "topics": len({c["topic"] for s in SPLITS for c in cases[s]}),
        "skipped": dict(skipped),
    }


def _read_ids(path: Path) -> set[str]:
    return set(path.read_text(encoding="utf-8").split()) if path.is_file() else set()


def _write_ids(path: Path, ids: set[str]) -> None:
    path.write_text("".join(f"{q}\n" for q in sorted(ids)), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutor.grading.dataset", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="Join raw answers with the corpus and write the train/dev/test/stress case files.")
    b.add_argument("--answers", type=Path, default=ANSWERS_DIR, help="Folder of raw <topic>.jsonl answer files.")
    b.add_argument("--out", type=Path, default=CASES_DIR, help="Folder for train/dev/test/stress.jsonl.")
    b.add_argument("--corpus", type=Path, default=None, help="Corpus folder (default: the shipped corpus).")
    args = parser.parse_args(argv)
    try:
        summary = build(args.answers, args.out, args.corpus)
    except GradingError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
