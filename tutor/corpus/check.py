"""`tutor corpus check`: lint the corpus, verify compute items against their tools, and measure seed coverage."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tutor.corpus.loader import load_corpus_with_problems
from tutor.corpus.model import Corpus, Question
from tutor.corpus.seeds import extract_folder
from tutor.corpus.text import has_mojibake
from tutor.errors import ToolError

NEAR_DUPLICATE = 0.95  # cosine of two question texts: an error (the same question twice)
SIMILAR = 0.90  # a warning: worth a look
LOCAL_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)")
WIKI_LINK = re.compile(r"\[\[[^\]]+\]\]")


@dataclass
class CheckReport:
    questions: int = 0
    topics: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_difficulty: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seed_items: int | None = None
    seed_covered: int | None = None
    uncovered: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        if self.seed_items is None:
            for key in ("seed_items", "seed_covered", "uncovered"):
                out.pop(key)
        return out


def pick(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def numbers_agree(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(numbers_agree(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(numbers_agree(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= tol * max(abs(a), abs(b), 1e-9)
    return a == b


def tool_expectation(q: Question) -> dict[str, Any]:
    from tutor.tools.registry import run_tool

    assert q.tool is not None
    result = run_tool(q.tool.name, q.tool.args)
    return {path: pick(result, path) for path in q.check}


def check_corpus(
    root: Path, *, seeds: Path | None = None, fix: bool = False, near_duplicates: bool = True
) -> CheckReport:
    corpus, problems = load_corpus_with_problems(root)
    report = CheckReport(errors=[str(p) for p in problems])
    qs = corpus.questions
    report.questions = len(qs)
    report.topics = {t.topic: len(t.questions) for t in corpus.topics}
    report.by_kind = dict(Counter(q.kind for q in qs))
    report.by_difficulty = {str(k): v for k, v in sorted(Counter(q.difficulty for q in qs).items())}
    for qid, n in Counter(q.id for q in qs).items():
        if n > 1:
            report.errors.append(f"question id {qid} is used {n} times")
    _text_checks(root, report)
    _compute_checks(root, qs, report, fix)
    if near_duplicates and len(qs) > 1:
        _near_duplicates(qs, report)
    if seeds is not None:
        _seed_coverage(corpus, seeds, report)
    return report


def _text_checks(root: Path, report: CheckReport) -> None:
    for path in sorted(root.glob("*.md")):
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if has_mojibake(line):
                report.errors.append(f"{path.name}:{n}: mojibake (damaged encoding): {line.strip()[:60]!r}")
            if WIKI_LINK.search(line):
                report.errors.append(f"{path.name}:{n}: leftover wiki link {WIKI_LINK.search(line).group(0)}")  # type: ignore[union-attr]
            for target in LOCAL_LINK.findall(line):
                if not (root / target.split("#")[0]).exists():
                    report.errors.append(f"{path.name}:{n}: broken link to {target}")


def _compute_checks(root: Path, qs: list[Question], report: CheckReport, fix: bool) -> None:
    for q in qs:
        if q.tool is None:
            continue
        try:
            actual = tool_expectation(q)
        except (ToolError, KeyError, IndexError, ValueError) as exc:
            report.errors.append(f"{q.source}:{q.line}: {q.id}: tool {q.tool.name} fails on its arguments: {exc}")
            continue
        if fix:
            _write_expected(root / q.source, q, actual)
        elif q.expected is None:
            report.errors.append(f"{q.source}:{q.line}: {q.id}: no `expected` yet (run `tutor corpus check --fix`)")
        elif not numbers_agree(q.expected, actual, q.tolerance):
            report.errors.append(
                f"{q.source}:{q.line}: {q.id}: stored expected {json.dumps(q.expected)[:80]} "
                f"disagrees with {q.tool.name}: {json.dumps(actual)[:80]}"
            )


def _write_expected(path: Path, q: Question, actual: dict[str, Any]) -> None:
    """Set the question's `- expected:` line from the tool's output, leaving every other byte as it was.

    The question is found by its heading, not by the line number parsed earlier: an insertion above it (another
    question of the same file fixed first) shifts every later line.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    line = f"- expected: {json.dumps(actual)}"
    start = next(n for n, text in enumerate(lines) if text.startswith(f"## {q.id}:")) + 1
    i = start
    while i < len(lines) and not lines[i].startswith(("###", "## ")):
        if lines[i].startswith("- expected:"):
            lines[i] = line
            break
        i += 1
    else:
        last_meta = max((k for k in range(start, i) if lines[k].startswith("- ")), default=start - 1)
        lines.insert(last_meta + 1, line)
    path.write_text("\n".join(lines), encoding="utf-8")


def _near_duplicates(qs: list[Question], report: CheckReport) -> None:
    from tutor.backends.embedder import shared_embedder

    vectors = shared_embedder().encode([q.question for q in qs])
    sims = vectors @ vectors.T
    for i in range(len(qs)):
        for j in range(i + 1, len(qs)):
            if sims[i, j] >= SIMILAR:
                msg = f"{qs[i].id} and {qs[j].id} ask nearly the same question (cosine {sims[i, j]:.2f})"
                (report.errors if sims[i, j] >= NEAR_DUPLICATE else report.warnings).append(msg)


def _seed_coverage(corpus: Corpus, seeds: Path, report: CheckReport) -> None:
    items = extract_folder(seeds)
    known = {item.id for item in items}
    covered = {s for q in corpus.questions for s in q.seeds}
    for q in corpus.questions:
        for s in q.seeds:
            if s not in known:
                report.errors.append(f"{q.source}:{q.line}: {q.id}: seed id {s!r} is not an item of {seeds}")
    report.seed_items = len(items)
    report.seed_covered = sum(1 for item in items if item.id in covered)
    report.uncovered = [{"id": item.id, "text": item.text} for item in items if item.id not in covered]
