"""`grade()`: one free-text answer against a question's reference, key points, misconceptions and expected numbers.

Modes: ``fast`` (features + learned combiner, no LLM), ``hybrid`` (the LLM is consulted when the combiner is unsure),
``llm`` (the LLM alone, kept as a baseline). In every mode numbers are checked by arithmetic, empty answers fail,
an answer that tries to instruct the grader is flagged and can never be graded correct, and a formula of the
reference stated with another value, or one method's key point said of another, makes the answer incorrect.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tutor.errors import BackendError, GradingError
from tutor.grading.features import (
    ALIGNED,
    AnswerView,
    Embed,
    Entail,
    PreparedQuestion,
    compute_features,
    numeric_result,
    prepare,
    view_answer,
)
from tutor.grading.formulas import FormulaCheck, readable
from tutor.grading.formulas import check as check_formulas
from tutor.grading.model import WEIGHTS_NO_ENTAILMENT_PATH, WEIGHTS_PATH, VerdictModel, load_model
from tutor.grading.numeric import NumericResult
from tutor.grading.roles import RoleSwap, find_role_swap
from tutor.grading.signals import copied_question_share, is_keyword_salad, strip_injection
from tutor.grading.text import contradicts, normalize, plain

if TYPE_CHECKING:
    from tutor.backends.base import ChatBackend
    from tutor.grading.features import Alignment

Verdict = Literal["correct", "partial", "incorrect"]
MODES = ("fast", "hybrid", "llm")
_RANK = {"incorrect": 0, "partial": 1, "correct": 2}
MATCHED_SUPPORT = 0.5
MISCONCEPTION_SIM = 0.6
CONTRADICTION_SIM = 0.6  # cosine above which a key point and an answer sentence are taken to make the same claim
NUMBERS_RIGHT = 0.95  # share of the expected values an answer must state for its numbers to count as right


@dataclass
class Grade:
    verdict: Verdict
    score: float  # expected credit in [0, 1]
    matched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    misconceptions: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    confidence: float = 1.0
    feedback: str = ""
    mode: str = "fast"
    probabilities: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def grade(
    question: str,
    reference: str,
    answer: str,
    *,
    key_points: Sequence[str] | None = None,
    misconceptions: Sequence[str] | None = None,
    expected: dict[str, Any] | None = None,
    tolerance: float = 0.01,
    mode: str = "fast",
    backend: ChatBackend | None = None,
    embed: Embed | None = None,
    entail: Entail | None = None,
    model: VerdictModel | None = None,
) -> Grade:
    """Grade ``answer``; ``embed``, ``entail`` and ``model`` default to the shared MiniLM embedder, the shared
    entailment cross-encoder and the shipped weights."""
    if mode not in MODES:
        raise GradingError(f"unknown grading mode {mode!r}; use one of {', '.join(MODES)}")
    if mode == "llm" and backend is None:
        raise GradingError("grading mode 'llm' needs a chat model", hint="use mode 'fast', or load a model")
    if not isinstance(answer, str) or not isinstance(question, str) or not isinstance(reference, str):
        raise GradingError("question, reference and answer must be text")
    if not reference.strip():
        raise GradingError("cannot grade without a reference answer")
    if not 0 <= tolerance < 1:
        raise GradingError(f"tolerance must be a relative error in [0, 1), got {tolerance}")
    analysis = analyse(
        question,
        reference,
        answer,
        key_points=key_points,
        misconceptions=misconceptions,
        expected=expected,
        tolerance=tolerance,
        embed=embed,
        entail=entail,
    )
    if model is None:
        model = load_model(WEIGHTS_NO_ENTAILMENT_PATH if "entailment_unavailable" in analysis.flags else WEIGHTS_PATH)
    return decide(analysis, model, mode=mode, backend=backend)


@dataclass
class Analysis:
    """Everything measured about one answer before a verdict: reused by training to refit only the combiner."""

    pq: PreparedQuestion | None  # None for an empty answer
    av: AnswerView | None
    content: str
    features: dict[str, float]
    alignment: Alignment | None
    numeric: NumericResult | None
    flags: list[str]
    tolerance: float
    key_points: list[str]
    formulas: FormulaCheck | None = None
    role_swap: RoleSwap | None = None


def analyse(
    question: str,
    reference: str,
    answer: str,
    *,
    key_points: Sequence[str] | None = None,
    misconceptions: Sequence[str] | None = None,
    expected: dict[str, Any] | None = None,
    tolerance: float = 0.01,
    embed: Embed | None = None,
    entail: Entail | None = None,
) -> Analysis:
    text = normalize(answer)
    content, injected = strip_injection(text)
    flags = ["injection"] if injected else []
    if not content.strip(" .,;:!?-"):
        return Analysis(None, None, "", {}, None, None, ["empty", *flags], tolerance, list(key_points or []))
    embed = embed or _shared_embed
    pq = prepare(normalize(question), normalize(reference), key_points, misconceptions, embed)
    # The cross-encoder and the sentence embedder are independent: run them side by side.
    pending = _entail_pool().submit(entail or _shared_entail, [(plain(pq.reference), content)])
    av = view_answer(content, pq, embed)
    numeric = numeric_result(content, expected, tolerance)
    try:
        (not_entailed,) = pending.result()
    except BackendError:
        not_entailed = None  # grade without it (grade() then uses the weights fitted without it), and say so
        flags.append("entailment_unavailable")
    features, al = compute_features(pq, av, numeric=numeric, injection=injected, not_entailed=not_entailed)
    flags += _content_flags(pq, av, features, al)
    key_point_texts = [k.text for k in pq.key_points]
    # Read from the texts as written: normalizing (NFKC) turns g² into g2 and Wᵀ into WT.
    formula_check = check_formulas(strip_injection(readable(answer))[0], [reference, *(key_points or key_point_texts)])
    if formula_check.contradicted:
        flags.append("formula_mismatch")  # a formula of the reference stated with another value or direction
    role_swap = find_role_swap(pq.question, key_point_texts, content)
    if role_swap is not None:
        flags.append("role_swap")  # one named method's key point said of another
    return Analysis(pq, av, content, features, al, numeric, flags, tolerance, key_point_texts, formula_check, role_swap)


def decide(
    analysis: Analysis,
    model: VerdictModel,
    *,
    mode: str = "fast",
    backend: ChatBackend | None = None,
    probs: dict[str, float] | None = None,
) -> Grade:
    """Turn an analysis into a verdict: the combiner (and the LLM in hybrid/llm mode), then the hard rules.

    ``probs`` replaces the combiner's probabilities (training replays out-of-fold predictions through here).
    """
    flags = list(analysis.flags)
    pq, av, al, numeric = analysis.pq, analysis.av, analysis.alignment, analysis.numeric
    if pq is None or av is None or al is None:
        feedback = _INJECTION_ONLY_FEEDBACK if "injection" in flags else _EMPTY_FEEDBACK
        return Grade(
            "incorrect",
            0.0,
            missing=analysis.key_points,
            flags=flags,
            mode=mode,
            feedback=feedback,
            probabilities={"incorrect": 1.0, "partial": 0.0, "correct": 0.0},
        )
    probs = probs or model.probabilities(analysis.features)
    if mode == "llm":
        probs = _llm_probs(backend, pq, analysis.content)
    elif mode == "hybrid" and max(probs.values()) < model.low_confidence and numeric is None:
        if backend is None:
            flags.append("llm_unavailable")  # the model is still loading: keep the fast verdict rather than wait
        else:
            weight = float(model.meta.get("hybrid_llm_weight", 0.5))
            llm = _llm_probs(backend, pq, analysis.content)
            blended = {c: (1 - weight) * probs[c] + weight * llm[c] for c in probs}
            # One way only: the small judge is lenient (alone it grades about half the wrong answers correct),
            # so it may lower an unsure grade and is never allowed to raise one.
            if _RANK[model.decide(blended)] < _RANK[model.decide(probs)]:
                probs = blended
            flags.append("llm_consulted")
    verdict: Verdict = model.decide(probs) if mode != "llm" else max(probs, key=probs.__getitem__)  # type: ignore[assignment]
    score = probs["correct"] + 0.5 * probs["partial"]

    if numeric is not None:  # arithmetic, not the model, says whether the numbers are right
        floor, cap = _numeric_bounds(numeric)
        verdict = floor if _RANK[verdict] < _RANK[floor] else cap if _RANK[verdict] > _RANK[cap] else verdict
        flags += [] if cap == "correct" else ["numeric_mismatch"]
    verdict = _cap(verdict, flags)
    if verdict == "correct" and "contradiction" in flags:
        flags.remove("contradiction")  # the combiner weighed the cue and overruled it
    score = min(score, {"correct": 1.0, "partial": 0.75, "incorrect": 0.35}[verdict])
    score = max(score, {"correct": 0.7, "partial": 0.35, "incorrect": 0.0}[verdict])

    matched, missing = _split_key_points(pq, al)
    if analysis.role_swap is not None and analysis.role_swap.key_point in matched:
        # Its words are all there, said of the wrong method: not a point to credit.
        matched.remove(analysis.role_swap.key_point)
        missing.insert(0, analysis.role_swap.key_point)
    found = _misconceptions_found(pq, av, al)
    confidence = probs.get(verdict, 0.0)
    return Grade(
        verdict=verdict,
        score=round(score, 3),
        matched=matched,
        missing=missing,
        misconceptions=found,
        flags=flags,
        confidence=round(confidence, 3),
        feedback=_feedback(
            verdict,
            matched,
            missing,
            found,
            flags,
            numeric,
            analysis.tolerance,
            _opposite_claim(pq, av, al),
            analysis.formulas.contradicted[0] if analysis.formulas and analysis.formulas.contradicted else None,
            analysis.role_swap,
        ),
        mode=mode,
        probabilities={c: round(p, 4) for c, p in probs.items()},
    )


def prepare_question(
    question: str,
    reference: str,
    key_points: Sequence[str] | None = None,
    misconceptions: Sequence[str] | None = None,
    embed: Embed | None = None,
) -> None:
    """Embed a question's reference, key points and misconceptions ahead of time (call when the question is shown),
    and load the entailment model, so grading the answer only embeds the answer and reads it against the reference."""
    prepare(normalize(question), normalize(reference), key_points, misconceptions, embed or _shared_embed)
    from tutor.backends.nli import shared_entailment

    # If it cannot load, grading falls back to the weights fitted without it and flags each answer so graded.
    with contextlib.suppress(BackendError):
        shared_entailment().load()


def _shared_embed(texts: list[str]) -> Any:
    from tutor.backends.embedder import shared_embedder

    return shared_embedder().encode(texts)


@functools.cache
def _entail_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="entailment")


def _shared_entail(pairs: list[tuple[str, str]]) -> list[float]:
    from tutor.backends.nli import shared_entailment

    return shared_entailment().not_entailed(pairs)


def _content_flags(pq: PreparedQuestion, av: AnswerView, f: dict[str, float], al: Alignment) -> list[str]:
    flags = []
    if f["question_sim"] < 0.25 and f["ref_sim"] < 0.25 and f["kp_sim_max"] < 0.35 and f["ref_recall"] < 0.1:
        flags.append("off_topic")
    if is_keyword_salad(av.text):
        flags.append("keyword_salad")
    if copied_question_share(av.text, pq.question) >= 0.8 and f["beyond_question_recall"] < 0.15:
        flags.append("copied_question")
    if _opposed_key_point(al, explicit=True) is not None:
        # The reference rules out in so many words what the answer asserts ("not across the batch").
        flags.append("contradicts_reference")
    elif _opposed_key_point(al, explicit=False) is not None:
        # A cue, not a verdict: on compare questions one sentence often names both sides, so this only feeds the
        # combiner (kp_contradicted) and the feedback.
        flags.append("contradiction")
    return flags


def _opposed_key_point(al: Alignment, *, explicit: bool) -> int | None:
    """The first key point whose best-matching answer sentence makes the same claim the other way round."""
    opposed = al.explicit if explicit else al.contradicted
    return next((i for i, sim in enumerate(al.sim) if opposed[i] and sim >= CONTRADICTION_SIM), None)


def _opposite_claim(pq: PreparedQuestion, av: AnswerView, al: Alignment) -> tuple[str, str] | None:
    """(answer sentence, key point) for the clearest contradiction, to quote in the feedback."""
    i = _opposed_key_point(al, explicit=True)
    i = _opposed_key_point(al, explicit=False) if i is None else i
    return None if i is None else (av.units[al.unit[i]], pq.key_points[i].text)


# Flags that rule a verdict out, whatever the combiner or the model says.
_CAPS: dict[str, Verdict] = {
    "injection": "partial",
    "contradicts_reference": "incorrect",
    "formula_mismatch": "incorrect",
    "role_swap": "incorrect",
    "keyword_salad": "partial",
    "off_topic": "incorrect",
    "copied_question": "incorrect",
}


def _cap(verdict: Verdict, flags: list[str]) -> Verdict:
    for flag in flags:
        cap = _CAPS.get(flag)
        if cap is not None and _RANK[verdict] > _RANK[cap]:
            verdict = cap
    return verdict


def _numeric_bounds(result: NumericResult) -> tuple[Verdict, Verdict]:
    """(lowest, highest) verdict the numbers allow; the combiner chooses within, e.g. right numbers but no
    explanation where one was asked is partial."""
    if result.fraction >= NUMBERS_RIGHT:
        return "partial", "correct"
    if result.matched == 0 and result.stated > 0:
        return "incorrect", "incorrect"
    return "incorrect", "partial"


def _llm_probs(backend: ChatBackend | None, pq: PreparedQuestion, content: str) -> dict[str, float]:
    from tutor.grading.llm import judge

    if backend is None:  # checked in grade(); here for the type checker
        raise GradingError("this grading mode needs a chat model")
    verdict = judge(
        backend,
        pq.question,
        pq.reference,
        content,
        [k.text for k in pq.key_points],
        [m.text for m in pq.misconceptions],
    ).verdict
    return {c: float(c == verdict) for c in ("incorrect", "partial", "correct")}


def _split_key_points(pq: PreparedQuestion, al: Alignment) -> tuple[list[str], list[str]]:
    matched, missing = [], []
    for i, kp in enumerate(pq.key_points):
        (matched if al.support(i) >= MATCHED_SUPPORT else missing).append(kp.text)
    return matched, missing


def _misconceptions_found(pq: PreparedQuestion, av: AnswerView, al: Alignment) -> list[str]:
    """A misconception counts when an answer sentence says it (aligned, same polarity) more than any key point."""
    if not pq.misconceptions:
        return []
    found = []
    sims = pq.misconception_vecs @ av.unit_vecs.T
    kp_sims = pq.key_point_vecs @ av.unit_vecs.T
    for m, mis in enumerate(pq.misconceptions):
        j = int(sims[m].argmax())
        if sims[m, j] < MISCONCEPTION_SIM or contradicts(mis.polarity, av.polarities[j]):
            continue
        against_key_point = any(al.contradicted[i] and al.unit[i] == j for i in range(len(pq.key_points)))
        if against_key_point or (sims[m, j] > kp_sims[:, j].max() + 0.02 and sims[m, j] >= ALIGNED + 0.2):
            found.append(mis.text)
    return found


_EMPTY_FEEDBACK = "No answer was given, so there is nothing to credit yet. Try stating the main idea in a sentence."
_INJECTION_ONLY_FEEDBACK = (
    "The answer only addresses the grader and says nothing about the question, so it earns no credit."
)


def _short(text: str, limit: int = 140) -> str:
    """The text cut to ``limit`` characters at a word boundary, ending a sentence ("…" or ".")."""
    text = text.strip().rstrip(".")
    return text + "." if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _feedback(
    verdict: Verdict,
    matched: list[str],
    missing: list[str],
    misconceptions: list[str],
    flags: list[str],
    numeric: NumericResult | None,
    tolerance: float,
    opposite: tuple[str, str] | None = None,
    formula: tuple[str, str] | None = None,
    role_swap: RoleSwap | None = None,
) -> str:
    """Two or three sentences: what was right, what was missing, what was wrong."""
    parts: list[str] = []
    if numeric is not None:
        parts.append(
            f"Your numbers match {numeric.matched} of the {numeric.expected} expected values "
            f"(within {tolerance:.0%} relative tolerance)."
        )
    elif verdict == "correct":
        parts.append(
            "Correct: the answer covers the key points."
            if not missing
            else f"Correct in substance: you covered {_short(matched[0]) if matched else 'the main idea.'}"
        )
    elif matched:
        parts.append(f"You got this right: {_short(matched[0])}")
    elif verdict == "partial":
        parts.append("Partly right, but no key point is stated completely yet.")
    else:
        parts.append("The answer does not yet state any of the key points.")
    wrong: list[str] = []
    if "injection" in flags:
        wrong.append("Text addressed to the grader was ignored; only the content about the question counts.")
    if "off_topic" in flags:
        wrong.append("It does not address the question that was asked.")
    elif "copied_question" in flags:
        wrong.append("It mostly repeats the question instead of answering it.")
    elif "keyword_salad" in flags:
        wrong.append("A list of terms is not an explanation; say how they relate.")
    turned_round = None  # the key point the answer states the other way round, when that is what is said
    if formula is not None:
        stated, expected = (_short(side, 80).rstrip(".") for side in formula)
        wrong.append(f"Your formula “{stated}” does not match the reference: “{expected}”.")
    elif role_swap is not None:
        turned_round = role_swap.key_point
        wrong.append(
            f"“{_short(role_swap.clause, 90).rstrip('.')}” is true of {role_swap.owner}, not {role_swap.said_of}: "
            f"{_short(role_swap.key_point)}"
        )
    elif misconceptions:
        wrong.append(f"This is a common misconception: {_short(misconceptions[0])}")
    elif ("contradicts_reference" in flags or "contradiction" in flags) and opposite is not None:
        sentence, turned_round = opposite
        wrong.append(f"“{_short(sentence, 90).rstrip('.')}” has it the other way round: {_short(turned_round)}")
    elif verdict == "incorrect" and matched:
        wrong.append("Some statements in it do not match the reference; compare them point by point.")
    if turned_round is not None and len(wrong) == 1:  # the turned-round sentence is the "wrong" part shown below
        missing = [m for m in missing if m != turned_round]  # named once, as what was wrong, not also as missing
    if missing:
        parts.append(f"{'Worth adding' if verdict == 'correct' else 'Missing'}: {_short(missing[0])}")
    parts.extend(wrong[:1])
    return " ".join(parts[:3])
