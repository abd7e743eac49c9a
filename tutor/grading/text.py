"""Text handling for grading: normalisation, sentence split, content-word stems, negation scope and contrast words.

Everything here is plain Python (no model), so it is cheap enough to run on every answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

MAX_ANSWER_CHARS = 4000  # a long answer is graded on its first ~600 words; nothing legitimate needs more

_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MATH_DELIMS = re.compile(r"\$+|\\[,;!]|\\(?:mathrm|mathbf|text|operatorname)\b")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?|\d+(?:\.\d+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z0-9\"'(\[$\\])|\n+|(?<=[.!?])\s*$")

_STOPWORDS_TEXT = """
    a an the and or but if then else of to in on at by for with from into onto over under about as is
    are was were be been being it its this that these those there here their they them we our you your i
    me my he she his her do does did done so such than too very can could may might must shall should
    will would which who whom whose what when where why how all any each both few more most other some
    own same only just also not no nor don't doesn't isn't aren't wasn't weren't won't can't cannot
    never via per because while until up down out off again further once both either neither one two has
    have had having get gets got use used uses using like etc ie eg
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_NEGATIONS_TEXT = """
    not no never none nothing neither nor cannot without n't don't doesn't isn't aren't wasn't weren't
    won't can't didn't shouldn't couldn't wouldn't hasn't haven't
"""
NEGATIONS = frozenset(_NEGATIONS_TEXT.split())
# Words after these name what the sentence rejects ("over features rather than the batch").
SCOPE_OPENERS = NEGATIONS | {"instead", "rather", "unlike", "except"}
# Openers only when "of" follows: "independent of the batch" rejects batch, "independent samples" rejects nothing.
_OF_OPENERS = frozenset({"independent", "independently", "regardless", "irrespective"})
_OF_SCOPE = 4  # content words: "independently of the other examples in the batch"
_SCOPE_FILLERS = STOPWORDS | {"than", "of", "across", "over", "along", "per"}  # skipped inside a scope
_SCOPE_CLOSERS = frozenset([",", ".", ";", ":", "but", "whereas", "while", "and"])

# Contrasts: each is a tuple of sides, each side a set of word roots meaning the same thing ("larger" = "bigger").
# An answer sentence that takes one side where the aligned key point takes another contradicts it (MiniLM scores
# "normalizes across the batch" and "across features" as near-identical).
_CONTRASTS = (
    "batch | feature",
    "batch | token",
    "row | column",
    "query queri | key | value",
    "encoder | decoder",
    "increas grow rais | decreas reduc shrink",
    "higher larger bigger greater more | lower smaller less fewer",
    "faster | slower",
    "before | after",
    "pre | post",
    "input | output",
    "train | inference",
    "past previou | future",
    "left | right",
    "maximiz | minimiz",
    "max maximum | min minimum",
    "always | never",
    "linear | quadrat | exponenti | cubic | logarithm",
    "add | multipl | concaten",
    "parallel | sequenti",
    "sparse | dense",
    "discrete | continu",
    "determinist | stochast random",
    "same | different",
    "share | separat",
    "first | last",
    "forward | backward revers",
    "positiv | negativ",
    "global | local",
    "overfit | underfit",
    "vanish | explod",
    "prior | posterior",
    "upper | lower",
    "small | large big",
    "low | high",
    "short | long",
    "cheap | expens costl",
    "convex | concav",
    "generat | discrimin",
    "causal unidirect | bidirect",
    "supervis | unsupervis",
    "freez frozen | train updat",
    "top | bottom",
    "symmetr | asymmetr",
    "underestimat | overestimat",
    "teacher | student",
    "on-policy | off-policy",
    "inductiv | transductiv",
    "weak | strong",
    "near close | far distant",
    "sharp sharpen peak | flat flatten smooth uniform",
    "upsampl upscal | downsampl downscal",
    "compress | expand decompress",
    "stable | unstable",
    "easy | hard difficult",
    "fast quick | slow",
    "exact lossless | approximat lossy",
    "wide wider | narrow narrower",
    "deep deeper | shallow shallower",
    "improv help | hurt degrad",
    "success succeed | fail",
    "accept | reject",
    "add | remov drop",
    "retain keep preserv | forget lose",
    "one single | multiple many several",
    "every all | none",
    "own | share",
    "independ | depend",
    "need requir | optional unnecessar",
)
CONTRASTS: tuple[tuple[frozenset[str], ...], ...] = tuple(
    tuple(frozenset(side.split()) for side in c.split("|")) for c in _CONTRASTS
)
_CONTRAST_WORDS = frozenset(w for c in CONTRASTS for side in c for w in side)


def normalize(text: str) -> str:
    """NFKC, no invisible or control characters, collapsed spaces, capped length: safe for every later step."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n", text).strip()
    return text[:MAX_ANSWER_CHARS]


def plain(text: str) -> str:
    """Drop LaTeX delimiters so `$QK^T$` and `QK^T` read alike."""
    return _MATH_DELIMS.sub(" ", text).replace("\\", " ")


def sentences(text: str, *, max_units: int = 8) -> list[str]:
    """Split into sentences; beyond ``max_units`` merge neighbours so long answers stay cheap to embed."""
    parts = [p.strip(" -*•\t") for p in _SENTENCE_END.split(text) if p and p.strip(" -*•\t")]
    parts = [p for p in parts if re.search(r"[A-Za-z0-9]", p)]
    if len(parts) <= max_units:
        return parts
    size = -(-len(parts) // max_units)
    return [" ".join(parts[i : i + size]) for i in range(0, len(parts), size)]


def words(text: str) -> list[str]:
    lowered = plain(text).lower().replace("’", "'").replace("-", " ").replace("_", " ")
    return _WORD.findall(lowered)


def stem(word: str) -> str:
    """A light suffix stripper: enough to match normalizes/normalization/normalized, not a linguist."""
    if word.endswith("n't"):
        return "not"
    for suffix in ("ization", "isation", "ations", "ation", "ments", "ment", "ness", "ities", "ity", "ingly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return _trim(word[: -len(suffix)])
    for suffix in ("izing", "izes", "ized", "ize", "ising", "ises", "ised", "ise", "ing", "ies", "ied", "ed", "es"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return _trim(word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else ""))
    for suffix in ("ally", "ly", "al", "s", "e"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= (3 if suffix == "s" else 4):
            return _trim(word[: -len(suffix)])
    return word


def _trim(root: str) -> str:
    # normalis-/normaliz- and doubled consonants (scaled/scalling) collapse to one root.
    if len(root) > 4 and root[-1] == root[-2] and root[-1] not in "aeiouls":
        root = root[:-1]
    return root[:-1] if root.endswith("e") and len(root) > 4 else root


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def stopword_ratio(text: str) -> float:
    tokens = words(text)
    return sum(w in STOPWORDS for w in tokens) / len(tokens) if tokens else 0.0


@dataclass(frozen=True)
class Polarity:
    """What a sentence asserts and what it rejects, over the contrast words, plus how many negations it has."""

    asserted: frozenset[str]
    rejected: frozenset[str]
    negations: int


def polarity(text: str) -> Polarity:
    """Contrast words a sentence asserts, and those it rejects: the first content word after "not", "rather than",
    "instead of", "unlike" ("normalizes over features, not the batch" rejects batch; "does not eliminate" rejects
    nothing, since "eliminate" is no contrast word), and the first contrast word within a few words after
    "independent of" or "regardless of" ("independently of the other examples in the batch" rejects batch)."""
    tokens = re.findall(r"[a-z][a-z'-]*|[,.;:()]", plain(text).lower().replace("’", "'").replace("'s ", " "))
    asserted: set[str] = set()
    rejected: set[str] = set()
    negations = 0
    scope = 0  # how many more content words an opener's scope reaches; it ends early at its first contrast word
    for n, tok in enumerate(tokens):
        if n + 1 < len(tokens) and tokens[n + 1] in _NOT_A_SIDE_BEFORE:
            continue  # "batch size" names a quantity, not the batch axis
        if tok in _SCOPE_CLOSERS or tok in "();:":
            scope = 0
            continue
        if tok in SCOPE_OPENERS or tok.endswith("n't"):
            negations += tok in NEGATIONS or tok.endswith("n't")
            scope = 1
            continue
        if tok in _OF_OPENERS and tokens[n + 1 : n + 2] == ["of"]:
            scope = _OF_SCOPE
            continue
        if scope and tok in _SCOPE_FILLERS:
            continue
        roots = [r for r in (_contrast_root(part) for part in _split_compound(tok)) if r]
        (rejected if scope else asserted).update(roots)
        scope = 0 if roots else max(scope - 1, 0)
    return Polarity(frozenset(asserted), frozenset(rejected), negations)


_NOT_A_SIDE_BEFORE = frozenset({"size", "sizes"})


def _split_compound(token: str) -> list[str]:
    """'on-policy' is one contrast word; 'pre-norm' gives 'pre' and 'norm'; 'batch-size' gives both parts."""
    return [token] if token in _CONTRAST_WORDS else token.split("-")


_INFLECTION = re.compile(
    r"(e|es|ed|ing|s|al|ally|ly|ically|est|ial|ially|ion|ions|ation|ations|er|ers|e[rd]s?|ent|ence|ic|ical|ive|ively|ate|ated|ates|y)?"
)
_NOT_CONTRAST = frozenset({"multiple", "multiples", "lowercase", "address", "constants"})


def _contrast_root(token: str) -> str | None:
    if token in _NOT_CONTRAST:
        return None
    if token in _CONTRAST_WORDS:
        return token
    for n in range(len(token), 2, -1):
        if token[:n] in _CONTRAST_WORDS:
            root = token[:n]
            # prefix match only when the rest is an inflection: "increases" yes, "lowercase" no
            return root if _INFLECTION.fullmatch(token[n:]) else None
    return None


Contradiction = Literal["explicit", "swap"] | None


def contradicts(target: Polarity, answer: Polarity) -> Contradiction:
    """Whether the answer sentence takes another side of a contrast than the target sentence takes.

    A side counts as taken when asserted and not also rejected in the same sentence ("not across the batch ...
    batch size 1" takes no batch side). "explicit": the answer asserts only a side the target explicitly rules out
    ("across the batch" against "... not across the batch"). "swap": the answer rejects the target's side, or each
    names a different side; that also happens when a sentence merely mentions another member of the contrast
    (compare questions name both), so it is a weaker cue.
    """
    swapped = False
    for contrast in CONTRASTS:
        t_pos = {i for i, side in enumerate(contrast) if side & target.asserted and not side & target.rejected}
        t_rej = {i for i, side in enumerate(contrast) if side & target.rejected}
        a_all = {i for i, side in enumerate(contrast) if side & answer.asserted}
        a_rej = {i for i, side in enumerate(contrast) if side & answer.rejected}
        a_pos = a_all - a_rej
        if a_pos & t_rej and not a_pos & t_pos:
            return "explicit"  # the answer asserts what the target explicitly rules out
        swapped = swapped or bool(a_rej & t_pos)
        swapped = swapped or bool(t_pos and a_pos and not t_pos & a_pos and not t_rej and not a_rej)
    return "swap" if swapped else None
