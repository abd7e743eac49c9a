from __future__ import annotations

from tutor.corpus.model import Section
from tutor.retrieval.chunking import TARGET_WORDS, chunk_section, split_text


def test_empty_section_gives_no_chunks() -> None:
    assert split_text("") == [] and split_text("\n\n   \n") == []


def test_code_block_is_never_split() -> None:
    code = "```python\n" + "\n".join(f"x{i} = {i}  # line" for i in range(120)) + "\n```"
    pieces = split_text("Intro paragraph.\n\n" + code + "\n\nAfter.")
    assert any(p.count("```") == 2 and "x119" in p for p in pieces)
    assert all(p.count("```") % 2 == 0 for p in pieces)


def test_long_section_is_windowed_with_overlap() -> None:
    words = [f"w{i}" for i in range(1000)]
    pieces = split_text(" ".join(words))
    assert len(pieces) > 3 and all(len(p.split()) <= TARGET_WORDS for p in pieces)
    first, second = pieces[0].split(), pieces[1].split()
    assert set(first[-10:]) <= set(second), "consecutive windows overlap"
    assert {w for p in pieces for w in p.split()} == set(words), "nothing is lost"


def test_unicode_and_heading_path_are_kept() -> None:
    section = Section(("Attention", "Why √d_k?"), "Scores q·k grow like √d_k — so we rescale. 注意力", 3, 5)
    (chunk,) = chunk_section(section, "attention.md", "attention", "note")
    assert chunk.heading == "Attention > Why √d_k?" and "注意力" in chunk.text
    assert chunk.embed_text.startswith("Attention > Why √d_k?") and (chunk.line_start, chunk.line_end) == (3, 5)
