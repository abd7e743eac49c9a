"""Metrics on hand-made confusions, where the right value is known."""

from __future__ import annotations

import pytest

from tutor.grading import metrics


def test_quadratic_weighted_kappa() -> None:
    perfect = [[5, 0, 0], [0, 3, 0], [0, 0, 4]]
    assert metrics.quadratic_weighted_kappa(perfect) == pytest.approx(1.0)
    # By hand: weights (i-j)^2/4; observed 0.25 + 0.25 + 1 = 1.5; expected (every cell 3*3/9 = 1) 4*0.25 + 2*1 = 3.
    m = [[2, 1, 0], [0, 2, 1], [1, 0, 2]]
    assert metrics.quadratic_weighted_kappa(m) == pytest.approx(1 - 1.5 / 3)
    assert metrics.quadratic_weighted_kappa([[0, 0, 5], [0, 0, 0], [5, 0, 0]]) < 0


def test_qwk_agrees_with_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score

    gold = [0, 0, 1, 2, 2, 1, 0, 2, 1, 1]
    pred = [0, 1, 1, 2, 1, 1, 0, 2, 2, 0]
    m = metrics.confusion([str(g) for g in gold], [str(p) for p in pred], ("0", "1", "2"))
    assert metrics.quadratic_weighted_kappa(m) == pytest.approx(cohen_kappa_score(gold, pred, weights="quadratic"))


def test_false_correct_rate_counts_only_wrong_answers_graded_correct() -> None:
    m = [[8, 1, 1], [2, 5, 3], [0, 1, 9]]  # gold incorrect/partial/correct
    assert metrics.false_correct_rate(m) == pytest.approx(4 / 20)
    assert metrics.false_correct_rate([[3, 1], [0, 4]], ("incorrect", "correct")) == pytest.approx(1 / 4)


def test_f1_and_accuracy() -> None:
    m = metrics.confusion(
        ["correct", "correct", "incorrect", "partial"], ["correct", "partial", "incorrect", "partial"]
    )
    assert metrics.accuracy(m) == pytest.approx(0.75)
    # F1: incorrect 1, partial 2/3, correct 2/3
    assert metrics.macro_f1(m) == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert metrics.weighted_f1(m) == pytest.approx((1 * 1 + 2 / 3 * 1 + 2 / 3 * 2) / 4)


def test_pearson_rmse_percentile() -> None:
    assert metrics.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert metrics.rmse([0, 0], [3, 4]) == pytest.approx((12.5) ** 0.5)
    assert metrics.percentile([5, 1, 3, 2, 4], 50) == 3
