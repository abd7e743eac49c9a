"""Inline LaTeX made readable in a terminal: ``$\\frac{QK^\\top}{\\sqrt{d_k}}$`` is shown as ``QKᵀ/√(d_k)``.

The notes write their maths as LaTeX between dollar signs; a terminal cannot typeset it, and the raw source
(``\\mathrm{softmax}\\left(...\\right)``) is hard to read. This turns the common commands into Unicode text. Only
maths is touched: text outside ``$…$`` / ``$$…$$``, and code spans and blocks, stay as written.
"""

from __future__ import annotations

import re
import unicodedata

GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}  # fmt: skip
# Relations and binary operators: TeX spaces them, so they are padded here (runs of spaces are collapsed after).
OPERATOR_SYMBOLS = {
    "cdot": "·", "times": "×", "div": "÷", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠",
    "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "lesssim": "≲",
    "gtrsim": "≳", "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "Rightarrow": "⇒",
    "Leftarrow": "⇐", "implies": "⇒", "iff": "⇔", "leftrightarrow": "↔", "Leftrightarrow": "⇔",
    "Longleftrightarrow": "⇔", "mapsto": "↦", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆",
    "supset": "⊃", "cup": "∪", "cap": "∩", "setminus": "∖", "land": "∧", "lor": "∨", "odot": "⊙", "otimes": "⊗",
    "oplus": "⊕", "mid": "|", "succ": "≻", "prec": "≺", "sqsupseteq": "⊒", "sqsubseteq": "⊑",
}  # fmt: skip
SYMBOLS = {
    "pm": "±", "mp": "∓", "sum": "Σ", "prod": "Π", "int": "∫", "partial": "∂", "nabla": "∇", "infty": "∞",
    "emptyset": "∅", "varnothing": "∅", "forall": "∀", "exists": "∃", "neg": "¬", "circ": "∘", "star": "⋆",
    "ast": "∗", "top": "⊤", "bot": "⊥", "perp": "⊥", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "lVert": "‖", "rVert": "‖", "|": "‖", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋",
    "lceil": "⌈", "rceil": "⌉", "dots": "…", "ldots": "…", "cdots": "⋯", "prime": "′", "ell": "ℓ", "{": "{",
    "}": "}", "%": "%", "$": "$", "_": "_", "#": "#", "&": "&", ",": " ", ";": " ", ":": " ", " ": " ", "!": "",
    "quad": "  ", "qquad": "    ",
    **{name: f" {symbol} " for name, symbol in OPERATOR_SYMBOLS.items()},
}  # fmt: skip
BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
# Commands whose argument is shown as it is: fonts, and words set in text.
PLAIN = {
    "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathcal", "mathscr", "mathfrak", "boldsymbol", "bm", "text",
    "textrm", "textbf", "textit", "texttt", "operatorname", "mbox", "underbrace", "overbrace", "mathrel", "mathop",
}  # fmt: skip
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303",
           "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308", "vec": "\u20d7"}  # fmt: skip
FRACTIONS = {"frac", "tfrac", "dfrac", "cfrac"}
# Sizing and spacing that a line of text has no use for: dropped, the delimiter after them is kept.
DROPPED = {
    "left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
    "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits",
}  # fmt: skip
SUPERSCRIPT = str.maketrans("0123456789+-−=()niT⊤′", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵀᵀ′")
SUBSCRIPT = str.maketrans("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎")
SUPERSCRIPT_CHARS = set("0123456789+-−=()niT⊤′")
SUBSCRIPT_CHARS = set("0123456789+-−=()")
# A fraction's or root's operand with one of these needs brackets to read right: (a + b)/2, √(x + 1).
OPERATORS = set(" +-−=/·×÷±,;:<>≤≥≈∼|")
# Code is left alone; maths is $$…$$, or $…$ within a paragraph, without backticks, that closes after a non-space
# and not before a digit (so "costs $5 and $10" is not maths).
CODE_OR_MATH = re.compile(
    r"(?P<code>```.*?```|`[^`\n]*`)|\$\$(?P<display>.+?)\$\$"
    r"|\$[ \t]*(?P<inline>[^\s$`](?:[^$\n`]|\n(?![ \t]*\n))*?(?<=[^\s\\]))\$(?!\d)",
    re.S,
)
# Commands that need no space before them: sizing, and symbols that are spaced already or are spacing.
UNSPACED = {*DROPPED, *OPERATOR_SYMBOLS, ",", ";", ":", " ", "!", "quad", "qquad", "{", "}", "|", "\\"}
COMMAND = re.compile(r"[A-Za-z]+|.", re.S)  # a command's name, after its backslash
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def latex_to_text(text: str, *, markdown: bool = False) -> str:
    """``text`` with each maths span turned into Unicode and its dollar signs removed.

    With ``markdown``, characters Markdown would read as markup (the ``_`` of ``d_k``, brackets) are escaped in the
    converted maths, for text that is rendered as Markdown.
    """

    def convert(match: re.Match[str]) -> str:
        if match["code"]:
            return match["code"]
        plain = math_to_text(match["display"] if match["display"] is not None else match["inline"])
        return MARKDOWN_SPECIAL.sub(r"\\\1", plain) if markdown else plain

    return CODE_OR_MATH.sub(convert, text)


def math_to_text(source: str) -> str:
    """One LaTeX formula (without its dollar signs) as readable Unicode text."""
    # NFC: an accent read as a combining character becomes the precomposed letter where there is one (ŷ)
    return unicodedata.normalize("NFC", re.sub(r"[ \t]{2,}", " ", _Formula(source).read()).strip())


def _wrap(operand: str) -> str:
    return f"({operand})" if any(ch in OPERATORS for ch in operand) else operand


def _script(operand: str, mark: str) -> str:
    """``x^{…}`` / ``x_{…}``: Unicode superscript or subscript characters when every character has one, else
    ``^2``-style text, bracketed when longer than one character."""
    chars, table = (SUPERSCRIPT_CHARS, SUPERSCRIPT) if mark == "^" else (SUBSCRIPT_CHARS, SUBSCRIPT)
    operand = operand.strip()
    if operand and set(operand) <= chars:
        return operand.translate(table)
    return f"{mark}{operand}" if len(operand) <= 1 else f"{mark}({operand})"


class _Formula:
    """A small recursive reader: LaTeX nests ({…} inside \\frac inside \\sqrt), which regular expressions miss."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0

    def read(self, until_brace: bool = False) -> str:
        out: list[str] = []
        while self.i < len(self.s):
            if until_brace and self.s[self.i] == "}":
                self.i += 1
                break
            out.append(self.item())
        return "".join(out)

    def argument(self) -> str:
        """What a command or a script applies to: a {group}, a command, or the next character."""
        while self.i < len(self.s) and self.s[self.i] in " \t\n":
            self.i += 1
        if self.i >= len(self.s):
            return ""
        return self.item()

    def optional(self) -> str:
        """A bracketed option (``\\sqrt[3]``), or ""."""
        if self.s.startswith("[", self.i):
            end = self.s.find("]", self.i)
            if end != -1:
                option, self.i = self.s[self.i + 1 : end], end + 1
                return _Formula(option).read()
        return ""

    def item(self) -> str:
        ch = self.s[self.i]
        self.i += 1
        if ch == "{":
            return self.read(until_brace=True)
        if ch in "^_":
            return _script(self.argument(), ch)
        if ch == "\\":
            return self.command()
        if ch == "&":
            return " "
        if ch == "~":
            return " "  # a non-breaking space in LaTeX
        return ch

    def command(self) -> str:
        match = COMMAND.match(self.s, self.i)
        if match is None:
            return ""
        name = match.group()
        self.i = match.end()
        if self.s.startswith("*", self.i) and name.isalpha():  # \operatorname*{…}: the star only moves limits
            self.i += 1
        if name == "\\":  # a line break in a display (cases, aligned); its spacing option goes with it
            self.optional()
            return "; "
        if name in GREEK:
            return GREEK[name]
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in DROPPED:
            return ""
        if name in ("begin", "end"):
            self.argument()  # the environment's name
            return ""
        if name in PLAIN:
            return self.argument()
        if name == "mathbb":
            inner = self.argument()
            return BLACKBOARD.get(inner, inner)
        if name in FRACTIONS:
            top, bottom = self.argument(), self.argument()
            return f"{_wrap(top)}/{_wrap(bottom)}" + self.gap()
        if name == "binom":
            n, k = self.argument(), self.argument()
            return f"C({n}, {k})"
        if name == "sqrt":
            degree = self.optional()
            inner = self.argument()
            # √(d_k), not √d_k, which reads as (√d)_k
            return f"{degree.translate(SUPERSCRIPT)}√{inner if len(inner) <= 1 or inner.isdigit() else f'({inner})'}"
        if name in ACCENTS:
            inner = self.argument()
            return "".join(ch + ACCENTS[name] if ch.isalnum() else ch for ch in inner)
        # \log, \max, \exp, \softmax…: the name reads as the function, set apart from letters ("β log π", not "βlogπ")
        lead = " " if match.start() >= 2 and self.s[match.start() - 2].isalnum() else ""
        return lead + name + self.gap()

    def gap(self) -> str:
        """A space between a function name or a fraction and a letter after it: "log π", not "logπ"."""
        following = COMMAND.match(self.s, self.i + 1) if self.s.startswith("\\", self.i) else None
        if following is not None:
            return "" if following.group() in UNSPACED else " "
        return " " if self.i < len(self.s) and self.s[self.i].isalnum() else ""
