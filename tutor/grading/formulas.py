"""Formulas an answer states, checked against the reference's formulas by evaluating them, not by their wording.

An answer that writes the reference's formula with one operator changed (``m̂ = m·(1−β^t)`` for ``m/(1−β^t)``,
``j ≥ i`` for ``j ≤ i``, ``K_*ᵀK⁻¹K_* − K_**`` for ``K_** − K_*ᵀK⁻¹K_*``) reads almost the same to a sentence
embedder and to the entailment model. Evaluating both right-hand sides at random points tells a changed formula
from an equivalent rewrite (``σ(1 + x(1−σ))`` for ``σ + xσ(1−σ)``). The check is deliberately narrow: a formula
it cannot read (sums, expectations, conditionals, sets), or one whose symbols differ from the reference's, decides
nothing, so a learner's unusual but right notation is never called wrong here.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from tutor.grading.text import MAX_ANSWER_CHARS

# Read, not evaluated: anything with these is skipped (a sum, an expectation, a conditional, a set, a limit...).
_UNSUPPORTED_LATEX = re.compile(
    r"\\(?:sum|prod|int|mathbb|nabla|arg|max|min|sup|inf|lim|mid|in|notin|sim|approx|propto|to|"
    r"leftarrow|rightarrow|mapsto|forall|exists|mathcal|lceil|rceil|lfloor|rfloor|neg|sqsupseteq|succ|prec|"
    r"cup|cap|subset|subseteq|dots|ldots|cdots|vdots|binom|choose|pm|mp|infty|langle|rangle|lVert|rVert|Vert|"
    r"begin|end)\b"
)
_DROP_LATEX = re.compile(r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle|quad|qquad)\b|\\[,;:! ]")
_WRAPPERS = ("mathrm", "mathbf", "boldsymbol", "text", "operatorname", "mathit", "textrm", "bm", "vec")
_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde", "widetilde": "tilde"}
_SYMBOL_COMMANDS = {
    "partial": "d", "cdot": "*", "times": "*", "odot": "*", "circ": "*", "ast": "*", "top": "T", "intercal": "T",
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=", "lt": "<", "gt": ">",
    "ne": "!=", "neq": "!=", "varepsilon": "epsilon", "epsilon": "epsilon", "ell": "l", "prime": "'",
}  # fmt: skip
_UNICODE = {
    "·": "*", "×": "*", "⋅": "*", "⊙": "*", "∘": "*", "∗": "*", "−": "-", "–": "-", "—": "-", "≤": "<=", "⩽": "<=",
    "≥": ">=", "⩾": ">=", "≠": "!=", "√": "sqrt", "ᵀ": "^T", "²": "^2", "³": "^3", "′": "'",
    "₀": "_0", "₁": "_1", "₂": "_2", "₃": "_3", "ᵢ": "_i", "ⱼ": "_j", "ₜ": "_t", "ₙ": "_n", "ₖ": "_k",
}  # fmt: skip
_UNSUPPORTED_TEXT = re.compile(r"[|\[\]{}∑∏∫∈∝∼≈→←⇒↔∀∃∞±,;:!?]|\bE_|\bargmax\b|\bargmin\b|\.\.")
FUNCTIONS = {
    "log": math.log, "ln": math.log, "exp": math.exp, "sqrt": math.sqrt, "tanh": math.tanh, "sin": math.sin,
    "cos": math.cos, "abs": abs, "sigma": lambda z: 1 / (1 + math.exp(-z)), "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    # Rounding is read as the identity: leaving out the floor in floor((n + 2p - k)/s) + 1 is not a wrong formula.
    "floor": lambda z: z, "ceil": lambda z: z,
}  # fmt: skip
_GREEK_LETTER = re.compile(r"GREEK (SMALL|CAPITAL) LETTER (\w+)")
_RELATIONS = re.compile(r"<=|>=|!=|=|<|>")
_TOKEN = re.compile(r"\s*(\d+(?:\.\d+)?(?:e-?\d+)?|[A-Za-z]+\d*(?:_(?:\{[^{}]*\}|[A-Za-z0-9*]+))*'*|\*\*|[-+*/^()])")
_MAX_LATEX = 400  # characters of one $...$ segment: bounds the nesting latex_to_text recurses through
_MAX_CHAIN = 6  # relations in one formula: a = b = ... is read pairwise
_MAX_TOKENS = 80  # per side: longer is not a formula a learner types
_POINTS = 4  # random points at which two formulas are compared
_AGREE = 1e-6  # relative difference under which two values are the same
_DISAGREE = 1e-3  # relative difference over which they are different


@dataclass(frozen=True)
class Formula:
    """``lhs rel rhs`` with ``>`` and ``>=`` turned round, both sides as token tuples."""

    lhs: tuple[str, ...]
    rel: str  # one of "=", "<", "<="
    rhs: tuple[str, ...]
    text: str = field(default="", compare=False)  # as written, for feedback


@dataclass(frozen=True)
class FormulaCheck:
    agreed: int  # answer formulas equivalent to one of the reference's
    contradicted: tuple[tuple[str, str], ...]  # (answer formula, reference formula) stated with another value


def latex_to_text(tex: str) -> str:
    """LaTeX math as the linear text a learner types: ``\\frac{a}{b}`` → ``(a)/(b)``, ``\\hat{m}_t`` → ``mhat_t``."""
    tex = _DROP_LATEX.sub(" ", tex)
    tex = re.sub(r"_([A-Za-z0-9*])", r"_{\1}", tex)  # W_1x is W_1 times x: an unbraced subscript is one character
    out, i = [], 0
    while i < len(tex):
        if tex[i] != "\\":
            out.append(tex[i])
            i += 1
            continue
        match = re.match(r"\\([A-Za-z]+)", tex[i:])
        if not match:
            i += 2
            continue
        name, i = match.group(1), i + match.end()
        if name in ("frac", "tfrac", "dfrac"):
            num, i = _group(tex, i)
            den, i = _group(tex, i)
            out.append(f"(({latex_to_text(num)})/({latex_to_text(den)}))")
        elif name == "sqrt":
            arg, i = _group(tex, i)
            out.append(f"sqrt({latex_to_text(arg)})")
        elif name in _ACCENTS:
            arg, i = _group(tex, i)
            out.append(latex_to_text(arg).strip() + _ACCENTS[name])
        elif name in _WRAPPERS:
            arg, i = _group(tex, i)
            out.append(latex_to_text(arg))
        else:
            pad = " " if i < len(tex) and tex[i].isalnum() else ""
            out.append(" " + _SYMBOL_COMMANDS.get(name, name) + pad)
    return "".join(out)


def _group(tex: str, i: int) -> tuple[str, int]:
    """The next ``{...}`` group (or single character) from ``i``."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return "", i
    if tex[i] != "{":
        return tex[i], i + 1
    depth = 0
    for j in range(i, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[j], 0)
        if depth == 0:
            return tex[i + 1 : j], j + 1
    return tex[i + 1 :], len(tex)


def readable(text: str) -> str:
    """Unicode math spelled out before anything else reads it: NFKC would turn ``g²`` into ``g2``."""
    return _unicode_to_text(text[: 2 * MAX_ANSWER_CHARS])


def _unicode_to_text(text: str) -> str:
    chars = []
    for ch in unicodedata.normalize("NFD", text.replace("⁻¹", "^(-1)")):
        if ch == "\u0302":  # combining circumflex: m̂
            chars.append("hat")
        elif ch == "\u0304":  # combining macron: x̄
            chars.append("bar")
        elif unicodedata.combining(ch):
            continue
        elif greek := _GREEK_LETTER.fullmatch(unicodedata.name(ch, "")):
            name = greek.group(2).lower()
            chars.append(name.capitalize() if greek.group(1) == "CAPITAL" else name)
        else:
            chars.append(_UNICODE.get(ch, ch))
    return "".join(chars)


def formulas(text: str) -> list[Formula]:
    """Every relation stated in ``text`` (LaTeX or plain) between two readable expressions with symbols."""
    found: list[Formula] = []
    for span in _math_spans(text):
        sides = _RELATIONS.split(span)
        rels = _RELATIONS.findall(span)
        if "!=" in rels or len(rels) > _MAX_CHAIN or any(not side.strip() for side in sides):
            continue
        parsed = [_tokens(side) for side in sides]
        for (i, left), (j, right) in combinations(enumerate(parsed), 2):
            rel = {rels[k] for k in range(i, j)}
            if left is None or right is None or len(rel) != 1:
                continue
            (op,) = rel
            if not (_symbols(left) and _symbols(right)) and (op == "=" or not _symbols(left + right)):
                continue  # "d = 64" is a value: numbers are the numeric check's business; "δ ≥ 2/3" is a bound
            if j > i + 1 and op != "=":
                continue  # a < b < c: only adjacent sides are stated
            text = " ".join(f"{sides[i].strip()} {rels[i] if j == i + 1 else op} {sides[j].strip()}".split())
            if op in (">", ">="):
                left, right, op = right, left, op.replace(">", "<")
            found.append(Formula(left, op, right, text))
    return found


def _math_spans(text: str) -> Iterable[str]:
    """Stretches of ``text`` that hold a relation: a LaTeX $...$ segment, or a run of math-like plain text."""
    text = re.sub(r"`[^`]*`", " . ", text)  # code is not notation
    for match in re.finditer(r"\$\$?([^$]+)\$\$?", text):
        tex = match.group(1)
        if len(tex) > _MAX_LATEX or _UNSUPPORTED_LATEX.search(tex):
            continue
        body = _unicode_to_text(latex_to_text(tex))
        if _RELATIONS.search(body):
            yield body
    plain = _unicode_to_text(re.sub(r"\$\$?[^$]+\$\$?", " . ", text))
    for clause in re.split(r"(?<!\d)\.(?!\d)|\.(?=\s|$)|[,;:\n]", plain):  # "3.5" is a number, "+ 1." ends
        if _RELATIONS.search(clause) and not _UNSUPPORTED_TEXT.search(clause):
            yield from _formula_runs(clause)


_LINKING_TEXT = """
is are be was were the of to as we it by in on at for so then thus gives get gets equals has have and or
if when since where with which because i.e e.g that this sum mean over per
"""
_LINKING_WORDS = frozenset(_LINKING_TEXT.split())


def _is_prose(word: str) -> bool:
    """A word of the sentence around a formula, not part of it: ``so``, ``increases``; not ``sigma``, ``W_0``."""
    if word in _LINKING_WORDS or re.fullmatch(r"[a-z]+'[a-z]+", word):  # "that's", not the prime in "x'"
        return True
    return (
        word.isalpha()
        and word.islower()
        and len(word) >= 4
        and word not in FUNCTIONS
        and word not in _GREEK
        and not word.endswith(("hat", "bar", "tilde"))
    )


def _formula_runs(clause: str) -> Iterable[str]:
    """The runs of non-prose words in a clause that hold a relation: ``Z = XW^T + b`` in "then Z = XW^T + b holds".
    A run that prose cuts at an operator ("y = x + noise") is not a formula of its own and is dropped. A run that
    opens with ``=`` and goes on with an expression is named by the one or two words before it ("output size =
    (n + 2p - k)/s + 1" defines ``output_size``; "bytes = 1 GiB" is a value and defines nothing)."""
    runs: list[list[str]] = [[]]
    names: list[str] = [""]  # per run: the words that name it
    before: list[str] = []  # the words since the last run ended
    for word in clause.split():
        if _is_prose(word):
            runs.append([])
            names.append("")
        elif not runs[-1]:
            name = [w for w in before[-2:] if w.isalpha() and w.lower() not in _LINKING_WORDS]
            adjacent = name == before[len(before) - len(name) :]  # no linking word between the name and "="
            names[-1] = "_".join(name).lower() if word.startswith("=") and adjacent else ""
            before = []
        if not _is_prose(word):
            runs[-1].append(word)
        before.append(word)
    for run, name in zip(runs, names, strict=True):
        if name and re.search(r"[-+*/^]", " ".join(run)[1:]):
            run = [name, *run]
        dangling = run and (run[0][0] in "-+*/^)" or re.search(r"(?<![_*])[-+*/^(]$", run[-1]))  # K_** is a name
        if run and _RELATIONS.search(" ".join(run)) and not dangling:
            yield " ".join(run)


def _tokens(side: str) -> tuple[str, ...] | None:
    """The side as tokens (identifiers canonical, letters of a bare capital run split), or None if unreadable."""
    side = re.sub(r"\^\{([^{}]*)\}", r"^(\1)", side.strip())
    tokens: list[str] = []
    pos = 0
    while pos < len(side):
        match = _TOKEN.match(side, pos)
        if not match:
            return None if side[pos:].strip() else tuple(tokens)
        token, pos = match.group(1), match.end()
        if token[0].isalpha():
            if token.split("_")[0] in _OPERATORS:
                return None
            tokens.extend(_identifiers(token))
        else:
            tokens.append("^" if token == "**" else token)
    if not tokens or len(tokens) > _MAX_TOKENS or tokens.count("(") != tokens.count(")"):
        return None
    return tuple(tokens)


def _identifiers(token: str) -> list[str]:
    """``XW`` and ``BAx`` are products of one-letter symbols (as in LaTeX); ``eps``, ``sigma``, ``lr`` are names."""
    primes = len(token) - len(token.rstrip("'"))
    base, *subs = token.rstrip("'").split("_")
    if subs and subs[0] in _ACCENTS.values():  # m_hat_t
        base += subs.pop(0)
    sub = "".join(subs).replace("{", "").replace("}", "").replace(" ", "")
    digits = re.search(r"\d+$", base)
    if digits and not sub:  # W0, beta1: a subscript written inline
        base, sub = base[: digits.start()], digits.group()
    known = base in FUNCTIONS or base.lower() in _GREEK or base.endswith(("hat", "bar", "tilde"))
    if not known and len(base) > 1 and (base.isupper() or (len(base) <= 3 and not base.islower())):
        letters = list(base)
    else:
        letters = [base]
    letters[-1] = letters[-1] + ("_" + sub if sub else "") + "'" * primes
    return letters


_OPERATORS = frozenset({"sum", "prod", "max", "min", "argmax", "argmin", "lim", "mean", "softmax"})  # not evaluated
_GREEK_TEXT = """
alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi
chi psi omega eps
"""
_GREEK = frozenset(_GREEK_TEXT.split())


def _is_symbol(token: str) -> bool:
    return token[0].isalpha() and token not in FUNCTIONS


def _is_name(tokens: tuple[str, ...]) -> bool:
    """What a formula defines: a symbol (``h``), a function of arguments (``SiLU'(x)``), a derivative (``dL/dW``)."""
    if len(tokens) == 1:
        return _is_symbol(tokens[0])
    if _is_symbol(tokens[0]) and tokens[1] == "(" and tokens[-1] == ")":
        return True
    return tokens[0] == "d" and "/" in tokens and len(tokens) <= 6


def check(answer: str, reference_texts: Iterable[str]) -> FormulaCheck:
    """Compare every formula the answer states with the reference's formulas of the same left-hand side."""
    reference = _reference_formulas(tuple(reference_texts))
    if not reference:
        return FormulaCheck(0, ())
    notation = frozenset().union(*(_symbols(f.lhs + f.rhs) for f in reference))
    agreed, contradicted = 0, []
    for stated in formulas(answer):
        verdicts = [(v, ref) for ref in reference if (v := compare(stated, ref, notation)) is not None]
        if any(v for v, _ in verdicts):
            agreed += 1
        elif verdicts:
            contradicted.append((stated.text, _tidy(verdicts[0][1].text)))
    return FormulaCheck(agreed, tuple(contradicted))


def _tidy(text: str) -> str:
    """A reference formula as shown in feedback: no LaTeX braces, no spaces around operators."""
    return re.sub(r"\s*([-+*/^=<>()])\s*", r"\1", text.replace("{", "").replace("}", "")).strip()


@lru_cache(maxsize=256)
def _reference_formulas(texts: tuple[str, ...]) -> tuple[Formula, ...]:
    """Cached: a question's reference is read once, not once per answer."""
    return tuple(f for text in texts for f in formulas(text))


def compare(stated: Formula, ref: Formula, notation: frozenset[str] = frozenset()) -> bool | None:
    """True if ``stated`` says what ``ref`` says, False if it states the same thing with another value or direction,
    None if they are not about the same thing or cannot be evaluated.

    The right-hand sides are compared when they use the same symbols, or when the stated one swaps in one symbol of
    the reference's ``notation`` (``dL/dW = δᵀW`` where the reference has ``δᵀX`` and writes ``W`` elsewhere): a
    symbol the reference never uses means another notation, and leaving symbols out may be a simplification;
    about either nothing is said.
    """
    for rename in (_exact, _base_name):
        pair = _renamed(stated, ref, rename)
        if pair is None:
            continue
        a, b = pair
        if a.rel != "=" or b.rel != "=":
            # j ≥ i against j ≤ i is the relation reversed; j > i against j ≤ i is its complement, which a right
            # answer states when it names what is excluded ("keys j > i are masked"): only the first is judged.
            if a.rel == b.rel != "=":
                if (a.lhs, a.rhs) == (b.lhs, b.rhs):
                    return True
                if (a.lhs, a.rhs) == (b.rhs, b.lhs):
                    return False
            return None
        known = {rename(n) for n in notation}
        for x, y in ((a, b), (Formula(a.rhs, "=", a.lhs), b)):
            stated_symbols, ref_symbols = _symbols(x.rhs), _symbols(y.rhs)
            # One symbol swapped for another of the reference's (W for X); fewer symbols may be a simplification
            # (h = W₀x + BAx without α/r) and other differences another derivation: neither is judged.
            swapped_in, left_out = stated_symbols - ref_symbols, ref_symbols - stated_symbols
            substituted = stated_symbols <= known and len(swapped_in) == len(left_out) == 1
            if x.lhs == y.lhs and _is_name(x.lhs) and (stated_symbols == ref_symbols or substituted):
                return _same_value(x.rhs, y.rhs)
    return None


def _exact(token: str) -> str:
    return token


def _base_name(token: str) -> str:
    return token.split("_")[0].rstrip("'") if _is_symbol(token) else token


def _renamed(a: Formula, b: Formula, rename: Callable[[str], str]) -> tuple[Formula, Formula] | None:
    """Both formulas with ``rename`` applied, or None if it would merge two of their symbols into one."""
    for f in (a, b):
        names = _symbols(f.lhs + f.rhs)
        if len({rename(n) for n in names}) != len(names):
            return None

    def apply(f: Formula) -> Formula:
        return Formula(tuple(map(rename, f.lhs)), f.rel, tuple(map(rename, f.rhs)))

    return apply(a), apply(b)


def _symbols(tokens: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t for t in tokens if _is_symbol(t))


def _same_value(x: tuple[str, ...], y: tuple[str, ...]) -> bool | None:
    fx, fy = _compiled(x), _compiled(y)
    if fx is None or fy is None:
        return None
    names = sorted(_symbols(x) | _symbols(y))
    rng = random.Random(" ".join(x + y))
    agree = disagree = 0
    for _ in range(_POINTS):
        point = {n: rng.uniform(0.15, 0.85) for n in names}
        try:
            vx, vy = fx(point), fy(point)
        except (ArithmeticError, ValueError, TypeError):
            continue
        if not (math.isfinite(vx) and math.isfinite(vy)):
            continue
        diff = abs(vx - vy) / max(1.0, abs(vx), abs(vy))
        agree += diff <= _AGREE
        disagree += diff >= _DISAGREE
    if agree == _POINTS:
        return True
    if disagree == _POINTS:
        return False
    return None


@lru_cache(maxsize=2048)
def _compiled(tokens: tuple[str, ...]) -> Callable[[dict[str, float]], float] | None:
    """A Python function of the symbols, implicit products made explicit (``2 x`` → ``2*x``), ``^`` as power;
    ``^T`` (a transpose) is dropped: the check compares scalars."""
    parts: list[str] = []
    previous = ""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "^" and i + 1 < len(tokens) and tokens[i + 1] == "T":
            i += 2
            continue
        operand_start = token == "(" or token[0].isalnum()
        if operand_start and previous and (previous == ")" or previous[0].isalnum()) and previous not in FUNCTIONS:
            parts.append("*")
        if token in FUNCTIONS:
            parts.append(f"_f[{token!r}]")
        elif _is_symbol(token):
            parts.append(f"_v[{token!r}]")
        else:
            parts.append("**" if token == "^" else repr(float(token)) if token[0].isdigit() else token)
        previous = token
        i += 1
    source = " ".join(parts)
    if re.search(r"_f\[[^\]]+\](?!\s*\()", source):
        return None  # a function name without an argument in brackets: ambiguous (sqrt d_k)
    try:
        code = compile(source, "<formula>", "eval")
    except SyntaxError:
        return None
    # The source holds only numbers, operators, brackets and look-ups in the two dicts: nothing else can run.
    return lambda values: float(eval(code, {"__builtins__": {}}, {"_v": values, "_f": FUNCTIONS}))
