"""Heading-aware chunks of the corpus notes, its Q&A, and a user's own notes, each citable by file and heading."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from tutor.corpus.model import Corpus, Section

CHUNKER_VERSION = 2
TARGET_WORDS = 170  # ~220 MiniLM tokens: inside the 150-300 token target and the model's 256-token window
OVERLAP_WORDS = 35
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    heading: str
    topic: str
    text: str
    line_start: int
    line_end: int
    kind: str  # note | qa | user

    @property
    def embed_text(self) -> str:
        """What is embedded: the heading path gives a passage its context."""
        return f"{self.heading}\n{self.text}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def content_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def _blocks(text: str) -> list[list[str]]:
    """Paragraphs, keeping each fenced code block whole (never split inside ``` fences)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        current.append(line)
        if not in_fence and not line.strip():
            if any(ln.strip() for ln in current):
                blocks.append(current)
            current = []
    if any(ln.strip() for ln in current):
        blocks.append(current)
    return blocks


def split_text(text: str) -> list[str]:
    """Pack paragraphs into windows of about TARGET_WORDS words; long windows overlap by OVERLAP_WORDS words."""
    pieces: list[str] = []
    window: list[str] = []
    last_block: list[str] = []
    count = 0
    for block in _blocks(text):
        words = sum(len(line.split()) for line in block)
        if window and count + words > TARGET_WORDS:
            pieces.append("\n".join(window).strip())
            # Overlap with the previous prose only: half a code block would be a broken fence.
            tail = (
                ""
                if any(FENCE.match(ln) for ln in last_block)
                else " ".join(" ".join(last_block).split()[-OVERLAP_WORDS:])
            )
            window, count = ([tail], len(tail.split())) if tail else ([], 0)
        if words > 2 * TARGET_WORDS and not any(FENCE.match(ln) for ln in block):
            flat = " ".join(" ".join(block).split())
            tokens = flat.split()
            step = TARGET_WORDS - OVERLAP_WORDS
            for i in range(0, len(tokens), step):
                pieces.append(" ".join(tokens[i : i + TARGET_WORDS]))
                if i + TARGET_WORDS >= len(tokens):
                    break
            window, count = [], 0
            continue
        window.extend(block)
        window.append("")
        count += words
        last_block = block
    if window and "\n".join(window).strip():
        pieces.append("\n".join(window).strip())
    return [p for p in pieces if p.strip()]


def chunk_section(section: Section, source: str, topic: str, kind: str) -> list[Chunk]:
    heading = " > ".join(section.heading_path)
    out = []
    for piece in split_text(section.text):
        out.append(
            Chunk(
                content_hash(source, heading, piece),
                source,
                heading,
                topic,
                piece,
                section.line_start,
                section.line_end,
                kind,
            )
        )
    return out


def chunk_corpus(corpus: Corpus) -> list[Chunk]:
    chunks: list[Chunk] = []
    for topic in corpus.topics:
        for section in topic.sections:
            chunks.extend(chunk_section(section, topic.path, topic.topic, "note"))
        for q in topic.questions:
            heading = f"{topic.title} > Q {q.id}: {q.question.splitlines()[0]}"
            text = f"Question: {q.question}\nAnswer: {q.answer}\nKey points: " + "; ".join(q.key_points)
            chunks.append(
                Chunk(
                    content_hash(topic.path, heading, text),
                    topic.path,
                    heading,
                    topic.topic,
                    text,
                    q.line,
                    q.line,
                    "qa",
                )
            )
    return chunks
