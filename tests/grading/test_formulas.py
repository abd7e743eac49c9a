"""The formula check: a formula of the reference stated with another value or direction is caught; an equivalent
rewrite agrees; a different notation, a simplification or prose decides nothing."""

from __future__ import annotations

import time

import pytest

from tutor.grading.formulas import check, formulas, latex_to_text

ADAM = r"Bias correction divides by $1-\beta_1^t$: $\hat m_t = \frac{m_t}{1-\beta_1^t}$."
CAUSAL = r"With a causal mask query $i$ attends to keys $j \le i$ only."
GP = r"The posterior covariance is $\mathrm{cov}(f_*) = K_{**} - K_*^\top(K+\sigma_n^2I)^{-1}K_*$."
SILU = r"$\mathrm{SiLU}'(x) = \sigma(x) + x\sigma(x)(1-\sigma(x))$"
LINEAR = (
    r"For a layer $Z = XW^\top + b$: $\partial L/\partial W = \delta^\top X$ and $\partial L/\partial X = \delta W$."
)
LORA = r"The adapted layer computes $h = W_0 x + \frac{\alpha}{r} B(Ax)$."
BOUND = r"Cooperation is sustained when $\delta \ge 2/3$."
CONV = "Output size = floor((n + 2p - k)/s) + 1 per spatial dimension."


@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        (ADAM, "the corrected estimate is m̂ = m·(1−β^t), which scales early steps"),
        (ADAM, "m_hat_t = m_t * (1 - beta_1^t)"),
        (CAUSAL, "query i attends only to keys j ≥ i"),
        (GP, "cov(f_*) = K_*^T (K + sigma_n^2 I)^-1 K_* - K_**, the data term minus the prior"),
        (LINEAR, "then dL/dW = delta^T W for the weights"),
        (BOUND, "it holds as long as δ ≤ 2/3"),
        (CONV, "the output size = (n - 2p + k)/s + 1, that's 34 for n = 32"),  # a quantity named in words
    ],
)
def test_a_changed_formula_is_caught(reference: str, answer: str) -> None:
    result = check(answer, [reference])
    assert result.contradicted, formulas(answer)
    assert result.agreed == 0


@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        (ADAM, "bias correction: m_hat_t = m_t / (1 - beta_1^t)"),
        (ADAM, "m̂ = m/(1−β^t)"),  # subscripts left out: the same formula
        (CAUSAL, "keys with i >= j only"),
        (SILU, "SiLU'(x) = sigma(x)(1 + x(1 - sigma(x)))"),  # factored
        (LINEAR, "Z = W X + b and dL/dX = W delta"),  # products written the other way round
        (LORA, "h = W0 x + (alpha/r) BAx"),
        (BOUND, "cooperation needs 2/3 <= δ"),
        (CONV, "output size = (n + 2p - k)/s + 1"),  # the floor left out: rounding is not what is checked
        (CONV, "its output size = floor((n - k + 2p)/s) + 1."),
    ],
)
def test_an_equivalent_formula_agrees(reference: str, answer: str) -> None:
    result = check(answer, [reference])
    assert result.agreed >= 1
    assert not result.contradicted


@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        (LORA, "h = W0 x + BAx"),  # the alpha/r scale left out: a simplification, not judged
        (ADAM, "m̂ = s/(1−β^t)"),  # a symbol the reference never uses: another notation
        (ADAM, "we set t = 10 and beta = 0.9"),  # values, not formulas: the numeric check's business
        (LINEAR, "dL/dW = sum of delta over the batch"),  # prose, not a formula
        (LINEAR, "y = x + noise"),  # cut by prose at an operator
        (GP, "cov(f_*) = E[(f - m)(f - m)^T]"),  # expectations are not evaluated
        (CAUSAL, "`mask = j <= i` in code"),  # code is not notation
        (CONV, "the output = 2 GiB and size = 3 MB"),  # values with units name nothing
        (CONV, "kernel size = (n - 2p + k)/s + 1"),  # another quantity's name
    ],
)
def test_nothing_is_said_where_the_check_cannot_tell(reference: str, answer: str) -> None:
    assert check(answer, [reference]).contradicted == ()


def test_a_quantity_named_in_words_is_read_as_one_name() -> None:
    (formula,) = formulas("so the output size = (n + 2p - k)/s + 1, it's that simple")
    assert formula.lhs == ("output_size",)
    assert formulas("that's 34 per side, and 824 bytes = 1 GiB") == []


def test_latex_reads_as_typed_text() -> None:
    assert latex_to_text(r"\frac{m_t}{1-\beta_1^t}").replace(" ", "") == "((m_{t})/(1-beta_{1}^t))"
    assert latex_to_text(r"W_1x").replace(" ", "") == "W_{1}x"
    assert latex_to_text(r"\hat{m}_t") == "mhat_{t}"


def test_hostile_formulas_are_cheap_and_harmless() -> None:
    hostile = [
        "x = " + "=".join(["x"] * 3000),
        "y = " + "(" * 500 + "x" + ")" * 500,
        "m_hat = 9^9^9^9^9^9 + __import__('os').system('echo hi')",
        "m_hat = m / (1 - beta^t)" * 200,
        "m̂ = m / 0",
        "\u202e m̂ = m / (1 − β^t) \u0000",
        "$m = " + r"\frac{1}{" * 3000 + "}" * 3000 + "$",
        "$" + "m=" * 5000 + "$",
    ]
    start = time.perf_counter()
    for answer in hostile:
        check(answer, [ADAM])
    assert time.perf_counter() - start < 2.0
