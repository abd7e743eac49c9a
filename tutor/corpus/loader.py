"""Parse corpus Markdown files (format: corpus/README.md) into typed objects.

Errors name the file, the line and what is wrong, so a person can fix the file in any editor.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tutor.corpus.model import KINDS, Corpus, Question, Section, ToolCall, TopicFile
from tutor.errors import CorpusError

QUESTIONS_MARKER = "# Questions"
QUESTION_HEADING = re.compile(r"^##\s+([a-z0-9][a-z0-9_-]*-\d{2,4}[a-z]?):\s*(\S.*)$")
META_LINE = re.compile(r"^[-*]\s+([a-z_]+):\s*(.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
SECTION_NAMES = {
    "question": "question",  # optional: the full question when it is too long for the heading (numbers, matrices)
    "answer": "answer",
    "key points": "key_points",
    "misconceptions": "misconceptions",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a corpus file; `tutor corpus check` lists them all instead of stopping at the first."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def default_corpus_dir() -> Path:
    """The corpus shipped with the project (a sibling of the package in a source checkout)."""
    return Path(__file__).resolve().parents[2] / "corpus"


def load_corpus(root: Path | None = None, *, strict: bool = True) -> Corpus:
    """Load every topic file under ``root``; raise CorpusError on the first problem when ``strict``."""
    corpus, problems = load_corpus_with_problems(root)
    if strict and problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CorpusError(f"{problems[0]}{more}")
    return corpus


def load_corpus_with_problems(root: Path | None = None) -> tuple[Corpus, list[Problem]]:
    root = root or default_corpus_dir()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    corpus = Corpus()
    problems: list[Problem] = []
    for path in sorted(root.glob("*.md")):
        if path.name.upper() == "README.MD":
            continue
        topic, file_problems = parse_topic_file(path, root)
        problems.extend(file_problems)
        if topic is not None:
            corpus.topics.append(topic)
    return corpus, problems


def parse_topic_file(path: Path, root: Path | None = None) -> tuple[TopicFile | None, list[Problem]]:
    rel = str(path.relative_to(root)) if root else path.name
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(rel, 1, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")]
    return parse_topic_text(text, rel)


def parse_topic_text(text: str, rel: str) -> tuple[TopicFile | None, list[Problem]]:
    lines = text.splitlines()
    problems: list[Problem] = []
    meta, body_start = _front_matter(lines, rel, problems)
    if meta is None:
        return None, problems
    topic = str(meta.get("topic") or "")
    expected_topic = Path(rel).stem
    if topic != expected_topic:
        problems.append(
            Problem(rel, 1, f"front matter `topic` is {topic!r}; it must equal the file name {expected_topic!r}")
        )
        topic = expected_topic
    if not meta.get("title"):
        problems.append(Problem(rel, 1, "front matter needs a `title`"))
    q_start = next((i for i in range(body_start, len(lines)) if lines[i].strip() == QUESTIONS_MARKER), len(lines))
    sections = _notes_sections(lines, body_start, q_start, str(meta.get("title", topic)))
    questions = _questions(lines, q_start + 1, topic, rel, problems)
    aliases = meta.get("aliases") or []
    return (
        TopicFile(
            topic=topic,
            title=str(meta.get("title", topic)),
            path=rel,
            summary=str(meta.get("summary", "")),
            aliases=tuple(str(a) for a in aliases) if isinstance(aliases, list) else (),
            sections=tuple(sections),
            questions=tuple(questions),
        ),
        problems,
    )


def _front_matter(lines: list[str], rel: str, problems: list[Problem]) -> tuple[dict[str, Any] | None, int]:
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(rel, 1, "file must start with YAML front matter (a line `---`)"))
        return None, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        problems.append(Problem(rel, 1, "front matter is not closed by a second `---` line"))
        return None, 0
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        problems.append(Problem(rel, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None, 0
    if not isinstance(meta, dict):
        problems.append(Problem(rel, 2, "front matter must be a mapping of keys to values"))
        return None, 0
    return meta, end + 1


def _notes_sections(lines: list[str], start: int, stop: int, title: str) -> list[Section]:
    """Split the notes into sections at every heading, tracking the heading path; fenced code is not split."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = [(1, title)]
    buf: list[str] = []
    buf_start = start
    in_fence = False

    def flush(end: int) -> None:
        body = "\n".join(buf).strip()
        if body:
            sections.append(Section(tuple(t for _, t in path), body, buf_start + 1, end))

    for i in range(start, stop):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else HEADING.match(line)
        if m:
            flush(i)
            level = len(m.group(1))
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, m.group(2).strip()))
            buf, buf_start = [], i + 1
        else:
            buf.append(line)
    flush(stop)
    return sections


def _questions(lines: list[str], start: int, topic: str, rel: str, problems: list[Problem]) -> list[Question]:
    heads = [i for i in range(start, len(lines)) if lines[i].startswith("## ") and not _fenced(lines, start, i)]
    out: list[Question] = []
    for n, h in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(lines)
        q = _question(lines, h, end, topic, rel, problems)
        if q is not None:
            out.append(q)
    return out


def _fenced(lines: list[str], start: int, index: int) -> bool:
    """Whether line ``index`` sits inside a ``` fence opened after ``start`` (a heading there is code, not Markdown)."""
    return sum(1 for i in range(start, index) if FENCE.match(lines[i])) % 2 == 1


def _question(lines: list[str], h: int, end: int, topic: str, rel: str, problems: list[Problem]) -> Question | None:
    lineno = h + 1
    m = QUESTION_HEADING.match(lines[h])
    if not m:
        problems.append(Problem(rel, lineno, "question heading must look like `## topic-001: Question text?`"))
        return None
    qid, text = m.group(1), m.group(2).strip()
    meta: dict[str, tuple[str, int]] = {}
    parts: dict[str, list[str]] = {}
    current: str | None = None
    in_fence = False
    for i in range(h + 1, end):
        line = lines[i]
        if FENCE.match(line):
            in_fence = not in_fence
        sub = None if in_fence else re.match(r"^###\s+(.+?)\s*$", line)
        if sub:
            name = sub.group(1).strip().lower()
            current = SECTION_NAMES.get(name)
            if current is None:
                problems.append(
                    Problem(
                        rel,
                        i + 1,
                        f"{qid}: unknown section {sub.group(1)!r} (use Question, Answer, Key points, Misconceptions)",
                    )
                )
            elif current in parts:
                problems.append(Problem(rel, i + 1, f"{qid}: section {sub.group(1)!r} appears twice"))
            parts.setdefault(current or "_", [])
            continue
        if current is None:
            mm = META_LINE.match(line.strip())
            if mm:
                meta[mm.group(1)] = (mm.group(2).strip(), i + 1)
            elif line.strip():
                problems.append(
                    Problem(
                        rel,
                        i + 1,
                        f"{qid}: expected a `- key: value` line or a `###` section, got {line.strip()[:40]!r}",
                    )
                )
            continue
        parts[current].append(line)

    def bullets(name: str) -> tuple[str, ...]:
        items: list[str] = []
        for line in parts.get(name, []):
            s = line.strip()
            if re.match(r"^[-*]\s+", s):
                items.append(re.sub(r"^[-*]\s+", "", s))
            elif s and items:
                items[-1] += " " + s  # a wrapped bullet continues on the next line
        return tuple(items)

    answer = "\n".join(parts.get("answer", [])).strip()
    detail = "\n".join(parts.get("question", [])).strip()
    if detail:
        text = f"{text}\n\n{detail}"
    key_points, misconceptions = bullets("key_points"), bullets("misconceptions")
    bad = len(problems)
    if not qid.startswith(topic + "-"):
        problems.append(Problem(rel, lineno, f"{qid}: id must start with the topic {topic!r} and a dash"))
    if not answer:
        problems.append(Problem(rel, lineno, f"{qid}: missing `### Answer`"))
    if not 2 <= len(key_points) <= 6:
        problems.append(Problem(rel, lineno, f"{qid}: needs 2-6 key points, has {len(key_points)}"))
    if not 1 <= len(misconceptions) <= 3:
        problems.append(Problem(rel, lineno, f"{qid}: needs 1-3 misconceptions, has {len(misconceptions)}"))
    difficulty_raw, dline = meta.get("difficulty", ("", lineno))
    difficulty = int(difficulty_raw) if difficulty_raw.isdigit() else 0
    if difficulty not in (1, 2, 3):
        problems.append(Problem(rel, dline, f"{qid}: difficulty must be 1, 2 or 3, got {difficulty_raw!r}"))
    kind, kline = meta.get("kind", ("", lineno))
    if kind not in KINDS:
        problems.append(Problem(rel, kline, f"{qid}: kind must be one of {', '.join(KINDS)}, got {kind!r}"))
    tool = _tool(meta, qid, rel, problems)
    expected = _json_meta(meta, "expected", qid, rel, problems)
    if kind == "compute" and tool is None:
        problems.append(Problem(rel, lineno, f"{qid}: a compute question needs a `- tool: name {{json args}}` line"))
    check = tuple(c.strip() for c in meta.get("check", ("", 0))[0].split(",") if c.strip())
    if tool is not None and not check:
        problems.append(Problem(rel, lineno, f"{qid}: a question with a tool needs `- check: field, ...`"))
    tol_raw = meta.get("tolerance", ("0.01", 0))[0]
    try:
        tolerance = float(tol_raw)
    except ValueError:
        problems.append(Problem(rel, meta["tolerance"][1], f"{qid}: tolerance must be a number, got {tol_raw!r}"))
        tolerance = 0.01
    known = {"difficulty", "kind", "seed", "tool", "check", "tolerance", "expected", "exercise"}
    for key, (_, kl) in meta.items():
        if key not in known:
            problems.append(Problem(rel, kl, f"{qid}: unknown metadata key {key!r}"))
    if len(problems) > bad:
        return None
    return Question(
        id=qid,
        topic=topic,
        question=text,
        difficulty=difficulty,
        kind=kind,  # type: ignore[arg-type]
        answer=answer,
        key_points=key_points,
        misconceptions=misconceptions,
        source=rel,
        line=lineno,
        seeds=tuple(s.strip() for s in meta.get("seed", ("", 0))[0].split(";") if s.strip()),
        tool=tool,
        check=check,
        tolerance=tolerance,
        expected=expected,
        exercise=meta.get("exercise", ("", 0))[0] or None,
    )


def _tool(meta: dict[str, tuple[str, int]], qid: str, rel: str, problems: list[Problem]) -> ToolCall | None:
    if "tool" not in meta:
        return None
    raw, line = meta["tool"]
    m = re.match(r"^([a-z_][a-z0-9_]*)\s*(\{.*\})?\s*$", raw)
    if not m:
        problems.append(Problem(rel, line, f"{qid}: tool must be `name {{json args}}`, got {raw[:60]!r}"))
        return None
    try:
        args = json.loads(m.group(2) or "{}")
    except json.JSONDecodeError as exc:
        problems.append(
            Problem(rel, line, f"{qid}: tool arguments are not valid JSON: {exc.msg} at column {exc.colno}")
        )
        return None
    return ToolCall(m.group(1), args)


def _json_meta(
    meta: dict[str, tuple[str, int]], key: str, qid: str, rel: str, problems: list[Problem]
) -> dict[str, Any] | None:
    if key not in meta:
        return None
    raw, line = meta[key]
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        problems.append(Problem(rel, line, f"{qid}: `{key}` is not valid JSON: {exc.msg}"))
        return None
    if not isinstance(value, dict):
        problems.append(Problem(rel, line, f"{qid}: `{key}` must be a JSON object"))
        return None
    return value


if __name__ == "__main__":  # quick validation while authoring: python -m tutor.corpus.loader [DIR]
    import sys

    corpus, found = load_corpus_with_problems(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    for p in found:
        print(p)
    print(f"{len(corpus.questions)} questions in {len(corpus.topics)} topics, {len(found)} problems")
    sys.exit(1 if found else 0)
