"""Text repair shared by the corpus loader, the seed reader and `tutor corpus add`."""

from __future__ import annotations

import re
import unicodedata

WIKI_LINK = re.compile(r"\[\[([^\]|#]+)(?:#[^\]|]*)?(?:\|([^\]]+))?\]\]")
MD_EMPHASIS = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
# Sequences that only appear when UTF-8 was decoded as cp1252/latin-1.
MOJIBAKE_MARKERS = re.compile(
    "[ÂÃÄÅÆÇÎÏâãäåæçðñ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]"
)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 damage (``â†’`` back to ``→``) with ftfy, keeping clean text unchanged."""
    if not MOJIBAKE_MARKERS.search(text):
        return text
    import ftfy  # imported lazily: only damaged text pays for it

    return ftfy.fix_text(text, normalization="NFC")


def resolve_wiki_links(text: str) -> str:
    """``[[Machine Learning/LSTM|LSTM]]`` -> ``LSTM``; ``[[01_Math_Foundations]]`` -> ``01 Math Foundations``."""

    def repl(m: re.Match[str]) -> str:
        if m.group(2):
            return m.group(2).strip()
        return m.group(1).strip().rsplit("/", 1)[-1].replace("_", " ")

    return WIKI_LINK.sub(repl, text)


def clean_text(text: str) -> str:
    """Repair encoding, resolve wiki links and drop Markdown bold markers."""
    text = resolve_wiki_links(repair_mojibake(text))
    text = MD_EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    return unicodedata.normalize("NFC", text)


def slugify(text: str, *, max_words: int = 0) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", text.lower())
    if max_words:
        words = words[:max_words]
    return "-".join(words)


def has_mojibake(text: str) -> bool:
    return bool(MOJIBAKE_MARKERS.search(text))
