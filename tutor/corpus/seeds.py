"""Find the study items (questions, algorithms, practice tasks, cheat-sheet rows) in a folder of study guides.

The guides are Obsidian exports: Markdown headings, numbered and bulleted lists, ``[[Page|label]]`` links and
mojibake. One guide (a saved web page) has no Markdown at all: its headings are bare lines and its bullets are
``•``. An item's id is stable as long as the guide's headings do not change:
``<file key>:<section slug>:<list slug>:<n>``, where the file key is the part of the file name before the first
``_`` (``000`` for ``000_1fbbc6ea6c2ea9d7.txt``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tutor.corpus.text import clean_text, slugify

# A list under a heading matching one of these is a list of study items.
ITEM_LIST_HEADINGS = re.compile(
    r"must answer|algorithms to explain|^practice$|deep dives|comparison questions|design questions"
    r"|practical questions|key concepts|must-know|should know|system design essentials|domain specific"
    r"|common interview questions|cheat sheet|quick revision",
    re.IGNORECASE,
)
# Numbered subsections such as "### 1.2 Attention Mechanisms" are items in themselves (topic-list guides).
NUMBERED_SUBSECTION = re.compile(r"^###\s+\d+\.\d+\s+(.+)$")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(.+)$")
# Bare-line headings of the plain-text guide.
PLAIN_HEADINGS = {
    "common interview questions by topic": 2,
    "key concepts cheat sheet": 2,
    "ml in system design": 3,
    "ai agent design": 3,
    "classic ml": 3,
    "deep learning": 3,
    "llms": 3,
}
SKIP_SECTIONS = re.compile(r"resources|references|contributing|time estimate|study schedule", re.IGNORECASE)


@dataclass(frozen=True)
class SeedItem:
    id: str
    file: str
    line: int
    heading: str  # "Part 1: Sequence Models & Recurrence > Must Answer Confidently"
    text: str


def _heading_of(line: str) -> tuple[int, str] | None:
    m = MD_HEADING.match(line)
    if m:
        return len(m.group(1)), clean_text(m.group(2)).rstrip(":")
    bare = clean_text(line).strip().rstrip(":")
    level = PLAIN_HEADINGS.get(bare.lower())
    return (level, bare) if level else None


def extract_seed_items(path: Path) -> list[SeedItem]:
    """Return the study items of one guide, in file order."""
    file_key = path.name.split("_", 1)[0]
    raw = path.read_text(encoding="utf-8", errors="replace").splitlines()
    stack: list[tuple[int, str]] = []
    items: list[SeedItem] = []
    counters: dict[str, int] = {}
    in_cheat_sheet = False
    for lineno, line in enumerate(raw, start=1):
        heading = _heading_of(line)
        if heading:
            level, title = heading
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            in_cheat_sheet = "cheat sheet" in title.lower() and not MD_HEADING.match(line)
            sub = NUMBERED_SUBSECTION.match(line.strip())
            if sub and not SKIP_SECTIONS.search(title):
                parent = stack[-2][1] if len(stack) > 1 else ""
                items.append(_item(file_key, path, lineno, [parent], title, counters))
            continue
        titles = [t for _, t in stack]
        if not titles or any(SKIP_SECTIONS.search(t) for t in titles):
            continue
        if in_cheat_sheet:
            text = clean_text(line).strip()
            if text and text.lower() != "concept one-line answer":
                items.append(_item(file_key, path, lineno, titles, text, counters))
            continue
        m = LIST_ITEM.match(line)
        if m and any(ITEM_LIST_HEADINGS.search(t) for t in titles):
            items.append(_item(file_key, path, lineno, titles, clean_text(m.group(1)).strip(), counters))
    return items


def _item(file_key: str, path: Path, lineno: int, titles: list[str], text: str, counters: dict[str, int]) -> SeedItem:
    heading = " > ".join(t for t in titles if t)
    key = f"{file_key}:" + ":".join(slugify(t, max_words=4) for t in titles[-2:] if t)
    counters[key] = counters.get(key, 0) + 1
    return SeedItem(id=f"{key}:{counters[key]}", file=path.name, line=lineno, heading=heading, text=text)


def extract_folder(folder: Path) -> list[SeedItem]:
    items: list[SeedItem] = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in {".md", ".txt", ".markdown"}:
            items.extend(extract_seed_items(path))
    return items
