"""Role swaps: an answer that gives one named method's property to another.

"GCN learns an attention weight for every edge, whereas GAT uses fixed degree normalization" has every word of both
key points, so alignment, word overlap and the sentence embedder all call it right; only who is said to do what
has changed. On compare questions ("Explain GCN, GraphSAGE and GAT"), each key point whose subject is one of the
methods the question names is looked up in the answer: if the clause that states it best has another named
method as its subject, and fits that method's own key points less well, the answer has swapped their roles.

The rule is narrow on purpose (it caps a grade): only names with two capitals (GCN, LayerNorm, RT-1) count, both
the key point and the clause must start with their name, a key point or clause naming two methods ("both GCN and
GAT") is left alone, and words the key point negates ("DPO needs no reward model") are not matched, since a right
answer says them of the other method.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.grading.text import SCOPE_OPENERS, STOPWORDS, content_stems, plain, polarity, sentences, stem, words

_NAME = re.compile(r"(?<![\w-])[A-Za-z][\w-]*[A-Z][\w-]*")
_CLAUSE_BREAK = re.compile(r"[,;:\u2013\u2014]|\b(?:whereas|while|but|although|though|unlike|instead)\b")
_LEADING = frozenset({"the", "a", "an", "so", "and", "then", "thus", "whereas", "while", "but", "both"})
_NEGATED_REACH = 3  # content words after "no", "not", "instead of"... taken as negated
MIN_SHARED = 2  # key-point words a clause must share to be taken as stating it...
MIN_SHARE = 0.3  # ...and this share of the key point's words


@dataclass(frozen=True)
class RoleSwap:
    key_point: str
    clause: str  # the answer's clause that states the key point of another method
    owner: str  # the method the reference says it of
    said_of: str  # the method the answer says it of


def method_names(question: str) -> frozenset[str]:
    """Names of methods a question asks about: words with at least two capitals."""
    return frozenset(m for m in _NAME.findall(question) if sum(c.isupper() for c in m) >= 2)


def _subject(text: str, names: frozenset[str]) -> str | None:
    """The method a clause or key point is about: the name it opens with ("GCN uses", "so the LSTM has")."""
    for token in re.findall(r"[A-Za-z0-9][\w-]*(?:'s)?", text):
        if token.lower() in _LEADING:
            continue
        token = token.removesuffix("'s")
        return next((n for n in names if token in (n, n + "s")), None)
    return None


def _owner(text: str, names: frozenset[str]) -> str | None:
    """The one method a key point or clause names, if it opens with it."""
    return _subject(text, names) if len(_mentioned(text, names)) == 1 else None


def _mentioned(text: str, names: frozenset[str]) -> set[str]:
    return {n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?:'?s)?(?![\w-])", text)}


def _negated(text: str) -> set[str]:
    """Stems of the content words a sentence negates or sets aside ("no reward model", "instead of humans")."""
    out: set[str] = set()
    for segment in re.split(r"[,;:.()]", text):
        reach = 0
        for word in words(segment):
            if word in SCOPE_OPENERS or word.endswith("n't"):
                reach = _NEGATED_REACH
            elif reach and word not in STOPWORDS:
                out.add(stem(word))
                reach -= 1
    return out


def find_role_swap(question: str, key_points: Sequence[str], answer: str) -> RoleSwap | None:
    names = method_names(question)
    if len(names) < 2:
        return None
    generic = content_stems(question).union(*(content_stems(n) for n in names))
    claims = [(kp, _owner(kp, names), content_stems(kp) - generic - _negated(kp)) for kp in key_points]
    clauses = [
        c.strip() for s in sentences(plain(answer), max_units=40) for c in _CLAUSE_BREAK.split(s) if c and c.strip()
    ]
    clause_stems = [content_stems(c) for c in clauses]
    for kp, owner, claim in claims:
        if owner is None or len(claim) < MIN_SHARED:
            continue
        shared = [len(claim & stems) for stems in clause_stems]
        best = max(shared, default=0)
        if best < max(MIN_SHARED, MIN_SHARE * len(claim)) or shared.count(best) != 1:
            continue
        j = shared.index(best)
        clause = clauses[j]
        said_of = _owner(clause, names)
        if said_of is None or said_of == owner:
            continue
        if polarity(clause).negations % 2 != polarity(kp).negations % 2:
            continue  # "GAT does not use fixed normalization" is the contrast, said the right way round
        # A clause that fits its own method's key points as well is about that method, in shared words.
        rival = max((len(c & clause_stems[j]) for _, o, c in claims if o == said_of), default=0)
        if best > rival:
            return RoleSwap(kp, clause, owner, said_of)
    return None
