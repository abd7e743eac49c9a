"""The LaTeX-to-text conversion the UI applies to references, passages and questions."""

from __future__ import annotations

import pytest

from tutor.ui.latex import latex_to_text, math_to_text
from tutor.ui.widgets import progress_summary


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (r"\mathrm{Attention}(Q,K,V)", "Attention(Q,K,V)"),
        (r"\frac{a + b}{2}", "(a + b)/2"),
        (r"\frac{x}{2}", "x/2"),
        (r"\frac12x", "1/2 x"),
        (r"\sqrt{d_k}", "√(d_k)"),
        (r"\sqrt 2", "√2"),
        (r"\sum_{i=1}^{n} x_i", "Σ_(i=1)ⁿ x_i"),
        (r"\sum_{i=1}^{d_k} q_i k_i", "Σ_(i=1)^(d_k) q_i k_i"),
        (r"\alpha + \beta \cdot \gamma", "α + β · γ"),
        (r"\Delta\theta \times \Sigma", "Δθ × Σ"),
        (r"a \le b \ge c \approx d \to e", "a ≤ b ≥ c ≈ d → e"),
        (r"x^{2} + 10^{-6} + W^\top", "x² + 10⁻⁶ + Wᵀ"),
        (r"e^{x+y}", "e^(x+y)"),
        (r"c_{t-1} + h_t", "c_(t-1) + h_t"),
        (r"\mathbb{R}^{n \times d}", "ℝ^(n × d)"),
        (r"\hat y", "ŷ"),
        (r"\beta\log\pi_\theta(a\mid s)", "β log π_θ(a | s)"),
        (r"\max\left(0, x\right)", "max(0, x)"),
        (r"\|g\|_2", "‖g‖₂"),
        (r"\{0, 1\}", "{0, 1}"),
        (r"\operatorname*{arg\,max}_a Q", "arg max_a Q"),
        (r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", "1 x > 0 ; 0 otherwise"),
    ],
)
def test_math_to_text(source: str, shown: str) -> None:
    assert math_to_text(source) == shown


def test_only_maths_is_converted() -> None:
    text = r"Scale by $\sqrt{d_k}$, not $d_k$; it costs $5 and $10. Code: `$\alpha$`, \alpha."
    assert latex_to_text(text) == r"Scale by √(d_k), not d_k; it costs $5 and $10. Code: `$\alpha$`, \alpha."


def test_display_maths_and_wrapped_inline_maths() -> None:
    assert latex_to_text("$$\\frac{1}{T}\\sum_x p(x)$$") == "1/T Σ_x p(x)"
    assert latex_to_text("so $q \\cdot k = \\sum_{i}\nq_i k_i$ has") == "so q · k = Σ_i\nq_i k_i has"
    assert latex_to_text("$a$\n\n$b") == "a\n\n$b", "a $ never pairs across a blank line"


def test_markdown_output_escapes_what_markdown_would_read() -> None:
    assert latex_to_text("$x_{i} * [a]$", markdown=True) == r"x\_i \* \[a\]"


@pytest.mark.parametrize(("days", "shown"), [(0, "streak 0 days"), (1, "streak 1 day ·"), (2, "streak 2 days")])
def test_streak_is_singular_for_one_day(days: int, shown: str) -> None:
    assert shown in progress_summary({"streak_days": days})
