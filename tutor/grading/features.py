"""Features of one answer against one question: key-point alignment, contradiction cues, misconceptions, overlap.

Alignment is per key point: the best-matching answer sentence for each key point (not whole-answer cosine, which
rewards length and topic words). Contradiction cues compare the aligned sentences' polarity, because MiniLM scores
"normalizes across the batch" and "across features" as near-identical.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutor.grading.numeric import NumericResult, check_numbers, distinct, foreign_share, match_numbers, stated_numbers
from tutor.grading.signals import list_shape
from tutor.grading.text import (
    STOPWORDS,
    Polarity,
    content_stems,
    contradicts,
    plain,
    polarity,
    sentences,
    stem,
    stopword_ratio,
    words,
)

if TYPE_CHECKING:
    import numpy as np

Embed = Callable[[list[str]], "np.ndarray"]
Entail = Callable[[list[tuple[str, str]]], list[float]]  # (premise, hypothesis) pairs -> P(not entailed)

MAX_KEY_POINTS = 6
EMBED_CHAR_BUDGET = 320  # characters of an answer embedded at most: the latency budget (see view_answer)
ALIGNED = 0.45  # cosine above which an answer sentence is taken to talk about the key point at all
NUMBER_TOLERANCE = 0.01  # for numbers read off the reference text, which states results to 3-4 digits

ENTAILMENT_FEATURE = "nli_not_entailed"  # absent when the entailment model could not be loaded
FEATURE_NAMES: tuple[str, ...] = (
    "kp_sim_mean",
    "kp_sim_min",
    "kp_sim_max",
    "kp_lex_mean",
    "kp_lex_min",
    "kp_support_mean",
    "kp_covered_50",
    "kp_covered_65",
    "kp_contradicted",
    "kp_rejected",
    "kp_negation_flip",
    "ref_sim",
    "ref_recall",
    "answer_precision",
    "question_sim",
    "question_copy",
    "beyond_question_recall",
    "mis_sim_max",
    "mis_margin",
    "mis_lex",
    "mis_agrees",
    "mis_unit_lex",
    "mis_vs_kp_lex",
    "length_log",
    "length_ratio",
    "stopword_ratio",
    "list_shape",
    "kp_order_min",
    "kp_order_mean",
    "numeric_expected",
    "numeric_fraction",
    "numeric_stated",
    "ref_numbers_present",
    "ref_numbers_fraction",
    "ref_final_numbers_fraction",
    "foreign_numbers",
    "numbers_gated_match",
    "numbers_gated_foreign",
    "injection",
    ENTAILMENT_FEATURE,
)


@dataclass(frozen=True)
class Target:
    """A key point or misconception, pre-processed once per question."""

    text: str
    stems: frozenset[str]
    polarity: Polarity
    sequence: tuple[str, ...]


@dataclass
class PreparedQuestion:
    question: str
    reference: str
    key_points: list[Target]
    misconceptions: list[Target]
    key_points_derived: bool
    key_point_vecs: np.ndarray
    misconception_vecs: np.ndarray
    reference_vec: np.ndarray
    question_vec: np.ndarray
    reference_stems: frozenset[str]
    question_stems: frozenset[str]
    misconception_only_stems: list[frozenset[str]]
    misconception_stems: frozenset[str]
    result_numbers: list[float]  # numbers the reference states that the question does not: its computed results
    known_numbers: list[float]  # every number in the question or reference


@dataclass
class AnswerView:
    text: str
    units: list[str]
    unit_vecs: np.ndarray  # one row per unit
    whole_vec: np.ndarray
    stems: frozenset[str]
    polarities: list[Polarity]


def derive_key_points(reference: str) -> list[str]:
    """Key points from the reference alone: its sentences, short ones merged into their neighbour."""
    points: list[str] = []
    for sent in sentences(plain(reference), max_units=40):
        if points and len(content_stems(sent)) < 4:
            points[-1] = f"{points[-1]} {sent}"
        else:
            points.append(sent)
    if len(points) > MAX_KEY_POINTS:
        size = -(-len(points) // MAX_KEY_POINTS)
        points = [" ".join(points[i : i + size]) for i in range(0, len(points), size)]
    return points or [reference]


def _target(text: str) -> Target:
    return Target(text, frozenset(content_stems(text)), polarity(text), tuple(stem_sequence(text)))


_CACHE: OrderedDict[str, PreparedQuestion] = OrderedDict()
_CACHE_SIZE = 512


def prepare(
    question: str,
    reference: str,
    key_points: Sequence[str] | None,
    misconceptions: Sequence[str] | None,
    embed: Embed,
) -> PreparedQuestion:
    """Embed the reference, key points and misconceptions once per question (cached: the quiz asks them again)."""
    key = hashlib.sha256(
        json.dumps([question, reference, list(key_points or []), list(misconceptions or []), id(embed)]).encode()
    ).hexdigest()
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    derived = not key_points
    kp_texts = list(key_points or derive_key_points(reference))[: MAX_KEY_POINTS + 2]
    mis_texts = list(misconceptions or [])
    vecs = embed([plain(t) for t in [*kp_texts, *mis_texts, reference, question]])
    n_kp, n_mis = len(kp_texts), len(mis_texts)
    ref_numbers = [c[0] for c in stated_numbers(plain(reference))]
    question_numbers = [c[0] for c in stated_numbers(plain(question))]
    ref_stems = frozenset(content_stems(reference)) | frozenset().union(*(content_stems(k) for k in kp_texts))
    prepared = PreparedQuestion(
        question=question,
        reference=reference,
        key_points=[_target(t) for t in kp_texts],
        misconceptions=[_target(t) for t in mis_texts],
        key_points_derived=derived,
        key_point_vecs=vecs[:n_kp],
        misconception_vecs=vecs[n_kp : n_kp + n_mis],
        reference_vec=vecs[n_kp + n_mis],
        question_vec=vecs[n_kp + n_mis + 1],
        reference_stems=ref_stems,
        question_stems=frozenset(content_stems(question)),
        misconception_only_stems=[frozenset(content_stems(m)) - ref_stems for m in mis_texts],
        misconception_stems=frozenset().union(*(content_stems(m) for m in mis_texts)),
        result_numbers=[
            v
            for v in distinct(ref_numbers, NUMBER_TOLERANCE)
            if not any(abs(v - q) <= NUMBER_TOLERANCE * abs(q) for q in question_numbers)
        ],
        known_numbers=ref_numbers + question_numbers,
    )
    _CACHE[key] = prepared
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return prepared


def view_answer(text: str, pq: PreparedQuestion, embed: Embed) -> AnswerView:
    """Split the answer into sentences and embed them in one batch.

    Embedding cost grows with the tokens embedded, so a long answer is cut to the sentences that share the most
    words with the reference (filler cannot align with a key point anyway), up to EMBED_CHAR_BUDGET characters
    (characters track tokens better than words do: formulas are many tokens per word). The
    whole-answer vector is the normalised mean of the sentence vectors.
    """
    import numpy as np

    units = _within_budget(sentences(plain(text)) or [text], pq.reference_stems | pq.misconception_stems)
    vecs = embed(units)
    mean = vecs.mean(axis=0)
    return AnswerView(
        text=text,
        units=units,
        unit_vecs=vecs,
        whole_vec=mean / max(float(np.linalg.norm(mean)), 1e-9),
        stems=frozenset(content_stems(text)),
        polarities=[polarity(u) for u in units],
    )


def _within_budget(units: list[str], relevant: frozenset[str]) -> list[str]:
    lengths = [len(u) for u in units]
    if sum(lengths) <= EMBED_CHAR_BUDGET:
        return units
    ranked = sorted(range(len(units)), key=lambda i: -len(content_stems(units[i]) & relevant) / (lengths[i] + 30))
    kept, total = [], 0
    for i in ranked:
        if total + lengths[i] <= EMBED_CHAR_BUDGET or not kept:
            kept.append(i)
            total += lengths[i]
    return [units[i][:EMBED_CHAR_BUDGET] for i in sorted(kept)]


def stem_sequence(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def order_agreement(target: Sequence[str], unit: Sequence[str]) -> float:
    """Kendall-style agreement of the order in which shared words occur: swapped roles ("the teacher imitates
    the student") come out negative though every word matches. 1.0 when fewer than three words are shared."""
    first_t = {w: i for i, w in reversed(list(enumerate(target)))}
    first_u = {w: i for i, w in reversed(list(enumerate(unit)))}
    shared = sorted(set(first_t) & set(first_u), key=first_t.__getitem__)
    if len(shared) < 3:
        return 1.0
    pos = [first_u[w] for w in shared]
    pairs = concordant = 0
    for a in range(len(pos)):
        for b in range(a + 1, len(pos)):
            pairs += 1
            concordant += pos[a] < pos[b]
    return 2 * concordant / pairs - 1


def _overlap(target: frozenset[str], present: frozenset[str]) -> float:
    return len(target & present) / len(target) if target else 0.0


@dataclass(frozen=True)
class Alignment:
    """For each key point: best answer sentence, its cosine, word overlap, and whether it contradicts."""

    sim: list[float]
    lex: list[float]
    unit: list[int]
    contradicted: list[bool]
    explicit: list[bool]  # contradicted by an explicit rejection ("not the batch"): the strong cue
    negation_flip: list[bool]
    order: list[float]  # rank agreement of shared words between key point and aligned sentence (-1 swapped .. 1)

    def support(self, i: int) -> float:
        return 0.0 if self.contradicted[i] else 0.5 * self.sim[i] + 0.5 * self.lex[i]


def align(pq: PreparedQuestion, av: AnswerView) -> Alignment:
    sims = pq.key_point_vecs @ av.unit_vecs.T  # (n_kp, n_units)
    out = Alignment([], [], [], [], [], [], [])
    for i, kp in enumerate(pq.key_points):
        j = int(sims[i].argmax())
        sim = float(sims[i, j])
        unit_stems = frozenset(content_stems(av.units[j]))
        out.sim.append(sim)
        out.lex.append(
            _overlap(kp.stems - pq.question_stems, av.stems)
            if kp.stems - pq.question_stems
            else _overlap(kp.stems, av.stems)
        )
        out.unit.append(j)
        overlap = _overlap(kp.stems, unit_stems)  # share of the key point's words in the aligned sentence
        talks_about_it = sim >= ALIGNED or overlap >= 0.4
        cue = contradicts(kp.polarity, av.polarities[j]) if talks_about_it else None
        out.contradicted.append(cue is not None)
        out.explicit.append(cue == "explicit")
        out.order.append(order_agreement(kp.sequence, stem_sequence(av.units[j])))
        out.negation_flip.append(
            talks_about_it and overlap >= 0.4 and (kp.polarity.negations % 2) != (av.polarities[j].negations % 2)
        )
    return out


def compute_features(
    pq: PreparedQuestion,
    av: AnswerView,
    *,
    numeric: NumericResult | None,
    injection: bool,
    not_entailed: float | None,
) -> tuple[dict[str, float], Alignment]:
    al = align(pq, av)
    n = len(pq.key_points)
    support = [al.support(i) for i in range(n)]
    ans_stems = av.stems
    beyond_question = pq.reference_stems - pq.question_stems
    n_words = len(words(av.text))
    ref_words = max(1, len(words(pq.reference)))

    mis_sim_max = mis_lex = mis_agrees = mis_unit_lex = mis_vs_kp_lex = 0.0
    unit_stems = [frozenset(content_stems(u)) for u in av.units]
    if pq.misconceptions:
        msims = pq.misconception_vecs @ av.unit_vecs.T
        for m, mis in enumerate(pq.misconceptions):
            j = int(msims[m].argmax())
            sim = float(msims[m, j])
            mis_sim_max = max(mis_sim_max, sim)
            mis_lex = max(mis_lex, _overlap(pq.misconception_only_stems[m], ans_stems))
            agrees = sim >= ALIGNED and not contradicts(mis.polarity, av.polarities[j])
            # The sentence says what the misconception says, and takes the other side of some key point.
            sides_against_key_point = any(al.contradicted[i] and al.unit[i] == j for i in range(n))
            mis_agrees = max(mis_agrees, sim * agrees * (1.0 + sides_against_key_point) / 2)
            # Word overlap of the misconception with its best sentence, against the best key point's overlap there.
            lex_j = max(_overlap(mis.stems, unit_stems[k]) for k in range(len(av.units)))
            kp_lex_j = max(_overlap(kp.stems, unit_stems[j]) for kp in pq.key_points)
            mis_unit_lex = max(mis_unit_lex, lex_j)
            mis_vs_kp_lex = max(mis_vs_kp_lex, lex_j - kp_lex_j)

    features = {
        "kp_sim_mean": sum(al.sim) / n,
        "kp_sim_min": min(al.sim),
        "kp_sim_max": max(al.sim),
        "kp_lex_mean": sum(al.lex) / n,
        "kp_lex_min": min(al.lex),
        "kp_support_mean": sum(support) / n,
        "kp_covered_50": sum(s >= 0.5 for s in support) / n,
        "kp_covered_65": sum(s >= 0.65 for s in support) / n,
        "kp_contradicted": sum(al.contradicted) / n,
        "kp_rejected": sum(al.explicit) / n,
        "kp_negation_flip": sum(al.negation_flip) / n,
        "ref_sim": float(pq.reference_vec @ av.whole_vec),
        "ref_recall": _overlap(pq.reference_stems, ans_stems),
        "answer_precision": _overlap(ans_stems, pq.reference_stems | pq.question_stems),
        "question_sim": float(pq.question_vec @ av.whole_vec),
        "question_copy": _overlap(ans_stems, pq.question_stems),
        "beyond_question_recall": _overlap(beyond_question, ans_stems),
        "mis_sim_max": mis_sim_max,
        "mis_margin": mis_sim_max - max(al.sim) if pq.misconceptions else 0.0,
        "mis_lex": mis_lex,
        "mis_agrees": mis_agrees,
        "mis_unit_lex": mis_unit_lex,
        "mis_vs_kp_lex": mis_vs_kp_lex,
        "length_log": math.log1p(n_words),
        "length_ratio": min(n_words / ref_words, 3.0),
        "stopword_ratio": stopword_ratio(av.text),
        "list_shape": list_shape(av.text),
        "kp_order_min": min(al.order),
        "kp_order_mean": sum(al.order) / n,
        "numeric_expected": float(numeric is not None and numeric.expected > 0),
        "numeric_fraction": numeric.fraction if numeric is not None else 0.0,
        "numeric_stated": float(numeric is not None and numeric.stated > 0),
        "ref_numbers_present": min(len(pq.result_numbers), 4) / 4,
        "ref_numbers_fraction": match_numbers(av.text, pq.result_numbers, NUMBER_TOLERANCE).fraction,
        # The reference states its final results last; intermediate steps right and the result wrong is wrong.
        "ref_final_numbers_fraction": match_numbers(
            av.text, pq.result_numbers[-max(1, len(pq.result_numbers) // 3) :], NUMBER_TOLERANCE
        ).fraction
        if pq.result_numbers
        else 0.0,
        "foreign_numbers": foreign_share(av.text, pq.known_numbers, NUMBER_TOLERANCE),
    }
    # On a computed answer (the reference states results, the answer states numbers) the numbers decide; the
    # gated copies let a linear combiner weigh them there without weighing them on every other question.
    gate = float(len(pq.result_numbers) >= 2 and len(stated_numbers(av.text)) >= 2)
    features |= {
        "numbers_gated_match": gate * features["ref_final_numbers_fraction"],
        "numbers_gated_foreign": gate * features["foreign_numbers"],
        "injection": float(injection),
    }
    if not_entailed is not None:
        # A cross-encoder reading the reference and the answer together: the relation the embedder cannot see.
        features[ENTAILMENT_FEATURE] = not_entailed
    return features, al


def numeric_result(answer: str, expected: dict | None, tolerance: float) -> NumericResult | None:
    if not expected:
        return None
    result = check_numbers(answer, expected, tolerance)
    return result if result.expected else None
