"""Game tools against closed forms, published values and brute force: Nash sets, MCTS, minimax, CFR, dynamics."""

from __future__ import annotations

import functools
import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tutor.tools.registry import run_tool

payoff = st.lists(st.integers(-3, 3), min_size=4, max_size=4)  # small integers: ties (degenerate games) are common


def test_all_zero_game_is_one_square_of_equilibria() -> None:
    zero = [[0, 0], [0, 0]]
    out = run_tool("nash_2x2", {"row_payoffs": zero, "col_payoffs": zero})
    assert out["degenerate"] and out["continua"] == [{"row_first": [0.0, 1.0], "col_first": [0.0, 1.0]}]
    assert any("continuum" in step for step in out["explanation"])


def test_indifferent_row_player_gives_a_segment() -> None:
    # The row player is indifferent when the column plays its second strategy (a tie in column 1), and the column
    # player prefers that strategy while p <= 1/2: every (p in [0, 1/2], q = 0) is an equilibrium.
    out = run_tool("nash_2x2", {"row_payoffs": [[1, 1], [0, 1]], "col_payoffs": [[1, 0], [0, 1]]})
    assert out["degenerate"]
    assert out["continua"] == [{"row_first": [0.0, 0.5], "col_first": [0.0, 0.0]}]
    assert [e["row"] for e in out["equilibria"]] == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]


def test_zero_denominator_without_a_tie_is_not_degenerate() -> None:
    # a00 - a01 - a10 + a11 = 0 but the first row strictly dominates: one equilibrium, no continuum
    out = run_tool("nash_2x2", {"row_payoffs": [[1, 0], [0, -1]], "col_payoffs": [[1, 0], [0, -1]]})
    assert not out["degenerate"] and out["continua"] == []
    assert out["equilibria"] == [{"row": [1.0, 0.0], "col": [1.0, 0.0], "payoffs": [1.0, 1.0], "type": "pure"}]


def _is_equilibrium(a: np.ndarray, b: np.ndarray, p: float, q: float) -> bool:
    row, col = np.array([p, 1 - p]), np.array([q, 1 - q])
    return row @ a @ col >= max(a @ col) - 1e-9 and row @ b @ col >= max(row @ b) - 1e-9


def _covered(out: dict, p: float, q: float) -> bool:
    points = any(np.isclose(e["row"][0], p) and np.isclose(e["col"][0], q) for e in out["equilibria"])
    boxes = any(
        c["row_first"][0] - 1e-9 <= p <= c["row_first"][1] + 1e-9
        and c["col_first"][0] - 1e-9 <= q <= c["col_first"][1] + 1e-9
        for c in out["continua"]
    )
    return points or boxes


@settings(max_examples=150, deadline=None)
@given(payoff, payoff)
def test_equilibrium_set_matches_brute_force_grid(a_flat: list[int], b_flat: list[int]) -> None:
    a, b = np.array(a_flat, float).reshape(2, 2), np.array(b_flat, float).reshape(2, 2)
    out = run_tool("nash_2x2", {"row_payoffs": a.tolist(), "col_payoffs": b.tolist()})
    grid = np.linspace(0, 1, 13)  # includes 0, 1/4, 1/3, 1/2, 2/3, ...: the indifference points of small-integer games
    for p, q in itertools.product(grid, grid):
        assert _is_equilibrium(a, b, p, q) == _covered(out, p, q), (p, q)
    for c in out["continua"]:  # every point of a reported continuum is an equilibrium, not only its corners
        assert _is_equilibrium(a, b, float(np.mean(c["row_first"])), float(np.mean(c["col_first"])))
    ties = bool(np.any(a[0] == a[1]) or np.any(b[:, 0] == b[:, 1]))
    assert out["degenerate"] == ties and (ties or not out["continua"])


def test_minimax_full_tree_has_the_published_node_count() -> None:
    out = run_tool("minimax", {"board": ".........", "alpha_beta": False})
    assert out["nodes_without_pruning"] == 549_946  # every node of the tic-tac-toe game tree, root included
    assert out["nodes"] == 549_946 and out["value"] == 0
    assert run_tool("minimax", {"board": "........."})["nodes"] < 549_946 / 10


@pytest.mark.parametrize(
    ("start", "iterations", "winning"),
    [([0, 5], 200, "1:5"), ([2, 5], 1000, "1:3"), ([1, 2, 3, 4], 3000, "3:4")],
)
def test_mcts_finds_the_winning_move(start: list[int], iterations: int, winning: str) -> None:
    pile, count = map(int, winning.split(":"))
    after = list(start)
    after[pile] -= count
    assert functools.reduce(int.__xor__, after) == 0  # Bouton: the move leaves a zero nim-sum
    assert run_tool("mcts", {"iterations": iterations, "start": start})["best_action"] == winning


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 400), st.integers(0, 2**32 - 1), st.lists(st.integers(0, 4), min_size=1, max_size=3))
def test_mcts_statistics_are_consistent_and_reproducible(iterations: int, seed: int, start: list[int]) -> None:
    if sum(start) == 0:
        start = [1, *start[1:]]
    args = {"iterations": iterations, "seed": seed, "start": start}
    out = run_tool("mcts", args)
    assert run_tool("mcts", args) == out  # a fixed seed reproduces the run exactly
    assert sum(out["visits"].values()) == iterations - 1  # the first iteration only adds the root
    snaps = out["per_iteration"]
    assert [s["iteration"] for s in snaps] == list(range(1, iterations + 1))  # up to 500: every iteration
    assert out["trace_stride"] == 1 and out["moves"] == list(out["visits"])
    assert snaps[-1]["visits"] == list(out["visits"].values()) and snaps[-1]["values"] == list(out["values"].values())
    for before, snap in itertools.pairwise([None, *snaps]):
        assert sum(snap["visits"]) == snap["root_visits"] == snap["iteration"] - 1
        assert all(0 <= v <= 1 for v in snap["values"])
        assert snap["chosen"] == (snap["path"][0] if snap["path"] else None)
        if before is not None and snap["chosen"] is not None:  # exactly the chosen root move gained the new visit
            gained = [now - then for now, then in zip(snap["visits"], before["visits"], strict=True)]
            assert gained == [int(move == snap["chosen"]) for move in out["moves"]]


def test_mcts_trace_is_the_hand_worked_five_iterations() -> None:
    out = run_tool("mcts", {"iterations": 5, "seed": 0, "start": [1, 2]})  # corpus game_search-012
    assert out["moves"] == ["0:1", "1:1", "1:2"]
    assert [s["chosen"] for s in out["per_iteration"]] == [None, "1:1", "0:1", "1:2", "0:1"]
    assert [s["reward_root_player"] for s in out["per_iteration"][1:]] == [1.0, 1.0, 0.0, 1.0]
    assert out["per_iteration"][-1]["path"] == ["0:1", "1:1"] and out["per_iteration"][-1]["visits"] == [2, 1, 1]


def test_mcts_trace_shows_convergence() -> None:
    out = run_tool("mcts", {"iterations": 1000, "seed": 0, "start": [3, 4]})
    column = out["moves"].index("1:1")
    share = [s["visits"][column] / max(s["iteration"] - 1, 1) for s in out["per_iteration"]]
    assert len(share) == 500 and share[-1] > 0.7 and share[50] < share[-1]


@pytest.mark.parametrize(("iterations", "stride", "entries"), [(500, 1, 500), (501, 2, 251), (1001, 3, 334)])
def test_mcts_trace_beyond_500_iterations_is_thinned_with_a_stride(iterations: int, stride: int, entries: int) -> None:
    out = run_tool("mcts", {"iterations": iterations, "start": [2, 3]})
    at = [s["iteration"] for s in out["per_iteration"]]
    assert out["trace_stride"] == stride and len(at) == entries <= 500
    assert at[-1] == iterations and all(it % stride == 0 for it in at[:-1])
    assert stride == 1 or f"trace_stride {stride}" in out["explanation"][-1]


def test_mcts_trace_stays_small_at_the_largest_run() -> None:
    out = run_tool("mcts", {"iterations": 20_000, "start": [7, 7, 7, 7]})  # the most root moves, the most iterations
    assert out["trace_stride"] == 40 and len(out["per_iteration"]) == 500
    assert len(json.dumps(out)) < 1_000_000


def test_cfr_seed_has_no_effect_and_says_so() -> None:
    a, b = run_tool("cfr_kuhn", {"iterations": 50, "seed": 0}), run_tool("cfr_kuhn", {"iterations": 50, "seed": 7})
    assert a["average_strategy"] == b["average_strategy"] and a["game_value"] == b["game_value"]
    assert any("no effect" in step for step in b["explanation"])


def test_cfr_regret_matching_and_the_equilibrium_family() -> None:
    out = run_tool("cfr_kuhn", {"iterations": 3000})
    alpha = out["average_strategy"]["J"][1]  # Kuhn: P1 bluffs J with alpha in [0, 1/3] and bets K with 3·alpha
    assert 0 <= alpha <= 1 / 3 + 0.01 and abs(out["average_strategy"]["K"][1] - 3 * alpha) < 0.05


def test_hawk_dove_converges_to_the_mixed_ess() -> None:
    value, cost = 2.0, 6.0  # V < C: the ESS plays Hawk with probability V/C
    hawk_dove = [[(value - cost) / 2, value], [0.0, value / 2]]
    for x0 in ([0.9, 0.1], [0.05, 0.95]):
        out = run_tool("replicator_dynamics", {"payoffs": hawk_dove, "x0": x0, "steps": 2000, "dt": 0.1})
        assert math.isclose(out["final"][0], value / cost, abs_tol=1e-6)


def test_rock_paper_scissors_cycles_and_nearly_conserves_the_product() -> None:
    rps = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]]
    out = run_tool("replicator_dynamics", {"payoffs": rps, "x0": [0.5, 0.3, 0.2], "steps": 2000, "dt": 0.01})
    traj = np.array(out["trajectory"])
    # x1·x2·x3 is a constant of motion of the continuous dynamics; Euler steps drift slowly outwards
    assert math.isclose(np.prod(traj[-1]), 0.03, rel_tol=0.02)
    assert traj[:, 0].min() < 1 / 3 < traj[:, 0].max()  # each share cycles around the interior equilibrium
    assert out["trajectory_steps"][0] == 0 and out["trajectory_steps"][-1] == 2000 and len(traj) == 51


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=9, max_size=9), st.lists(st.floats(0.01, 1), min_size=3, max_size=3))
def test_replicator_stays_on_the_simplex(a: list[float], w: list[float]) -> None:
    x0 = (np.array(w) / sum(w)).tolist()
    out = run_tool("replicator_dynamics", {"payoffs": np.reshape(a, (3, 3)).tolist(), "x0": x0, "steps": 300})
    traj = np.array(out["trajectory"])
    assert np.all(traj >= 0) and np.allclose(traj.sum(axis=1), 1)


def test_regret_matching_worked_example() -> None:
    out = run_tool("regret_matching", {"regrets": [[-2, 3, 1], [-1, -4, 0]]})
    assert np.allclose(out["strategy"], [[0, 0.75, 0.25], [1 / 3, 1 / 3, 1 / 3]])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=1, max_size=6))
def test_regret_matching_is_the_normalised_positive_part(regrets: list[float]) -> None:
    strategy = np.array(run_tool("regret_matching", {"regrets": regrets})["strategy"])
    positive = np.maximum(regrets, 0)
    expected = positive / positive.sum() if positive.sum() > 0 else np.full(len(regrets), 1 / len(regrets))
    assert np.allclose(strategy, expected) and math.isclose(strategy.sum(), 1)


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [(1.0, [0.625, 0.3125, 0.0625]), (0.5, [250_000 / 315_000, 62_500 / 315_000, 2_500 / 315_000]), (0, [1, 0, 0])],
)
def test_visit_count_policy_worked_example(temperature: float, expected: list[float]) -> None:
    out = run_tool("visit_count_policy", {"visits": [500, 250, 50], "temperature": temperature})
    assert np.allclose(out["probs"], expected)


def test_visit_count_policy_small_temperature_approaches_argmax() -> None:
    probs = run_tool("visit_count_policy", {"visits": [500, 499, 0], "temperature": 0.001})["probs"]
    assert probs[0] > 0.5 and probs[2] == 0  # 1000th powers would overflow without the log-space computation
    tie = run_tool("visit_count_policy", {"visits": [7, 7, 1], "temperature": 0})["probs"]
    assert tie == [0.5, 0.5, 0.0]
