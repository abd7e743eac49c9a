"""Signals about one answer, before any model: flags for answers that are not real attempts.

Injection text is graded as content and never obeyed: it is detected here, cut out of what the grader scores,
and reported as a flag.
"""

from __future__ import annotations

import re

from tutor.grading.text import content_stems, stopword_ratio, words

_INJECTION = re.compile(
    r"ignore (?:all |any |the |your |previous |prior |above |earlier )*(?:instructions|rules|rubric|reference|prompt)"
    r"|disregard (?:the |all |any |your |previous )*(?:instructions|rules|rubric|reference|prompt)"
    r"|(?:mark|grade|score|rate|label|count|treat|consider|evaluate|judge|accept|output|return)\s+(?:this|my|me|it"
    r"|the)?\s*(?:answer|response|reply|one)?\s*(?:as\s+)?['\"]?(?:fully\s+|completely\s+|100%\s+)?(?:correct|right"
    r"|perfect|full marks|passing|pass|10/10|5/5)\b"
    r"|(?:give|award|assign)\s+(?:me|this|it|this answer)?\s*(?:full|maximum|max|perfect|100%|top)\s*(?:marks|credit"
    r"|score|points)"
    r"|(?:you are|you're|act as|pretend (?:to be|you are))\s+(?:now\s+)?(?:in\s+)?(?:a|an|the)?\s*(?:lenient|generous"
    r"|grader|assistant|system|teacher|examiner|developer|debug|admin)"
    r"|(?:system|developer|admin)\s*(?:prompt|message|override|instruction|mode)"
    r"|\bnew instructions?\b|\boverride\b|\bverdict\s*[:=]|\blabel\s*[:=]\s*['\"]?correct"
    r"|<\|?(?:system|im_start|assistant)\|?>|\[/?INST\]|\[\[?\s*(?:assistant|system|grader|note)\b"
    r"|\binstructions? to (?:the )?(?:grader|evaluator|model|marker|examiner|ai)\b",
    re.IGNORECASE,
)
# A sentence that addresses whoever grades and tells them what to conclude.
_ADDRESSEE = re.compile(
    r"\b(?:grader|grading (?:model|system|ai|bot)|automated grader|marker|examiner|evaluator|rubric|dear (?:ai|model)"
    r"|the (?:ai|judge|llm|model) (?:grading|marking|checking))\b",
    re.IGNORECASE,
)
_DIRECTIVE = re.compile(
    r"\b(?:correct|full (?:marks|credit)|accept|pass|mark|output|label|treat|ignore|outdated|wrong|award|satisf\w*"
    r"|all key points|regardless)\b",
    re.IGNORECASE,
)


def _aimed_at_grader(sentence: str) -> bool:
    return bool(_INJECTION.search(sentence) or (_ADDRESSEE.search(sentence) and _DIRECTIVE.search(sentence)))


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def injection_spans(text: str) -> list[str]:
    """Sentences in the answer that address the grader instead of the question."""
    return [s.strip() for s in _SENTENCE.findall(text) if _aimed_at_grader(s)]


def strip_injection(text: str) -> tuple[str, bool]:
    """The answer without the sentences aimed at the grader, and whether there were any."""
    spans = injection_spans(text)
    if not spans:
        return text, False
    kept = [s.strip() for s in _SENTENCE.findall(text) if not _aimed_at_grader(s)]
    return " ".join(s for s in kept if s), True


def list_shape(text: str) -> float:
    """How much the answer reads as a comma-separated list of short terms (0 = prose, 1 = pure list)."""
    segments = [seg for seg in re.split(r"[,\n]", text) if re.search(r"[A-Za-z]{2}", seg)]
    if len(segments) < 4:
        return 0.0
    short = sum(len(seg.split()) <= 3 for seg in segments) / len(segments)
    return short * min(1.0, len(segments) / 6)


def is_keyword_salad(text: str) -> bool:
    """Terms strung together with no relations between them: a list of words, not an explanation.

    Terse notes are not salad: they relate terms with symbols (=, ->, /) or clauses separated by semicolons.
    """
    if len(_RELATION.findall(text)) > 2 or ";" in text:
        return False
    tokens = words(text)
    if not tokens or sum(t[0].isdigit() for t in tokens) / len(tokens) > 0.15:
        return False  # numbers with little prose are a computed answer, judged by the numeric check
    stop = stopword_ratio(text)
    return (list_shape(text) >= 0.6 and stop < 0.2) or (len(tokens) >= 8 and stop < 0.1)


_RELATION = re.compile(r"=|->|→|⇒|≥|≤|≈|<|>|×|\^|\(|\+|\b(?:is|are|means|gives|makes|so|because)\b")


def copied_question_share(answer: str, question: str) -> float:
    """Share of the answer's content words that only repeat the question."""
    answer_stems = content_stems(answer)
    if not answer_stems:
        return 0.0
    return len(answer_stems & content_stems(question)) / len(answer_stems)
