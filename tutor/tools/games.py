"""Game theory and game search: equilibria, minimax, MCTS, CFR on Kuhn poker, learning dynamics."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from tutor.tools.arrays import Seed, as_array, evenly_spaced, fmt, require
from tutor.tools.registry import tool


def _pure_equilibria(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(a.shape[0])
        for j in range(a.shape[1])
        if a[i, j] >= a[:, j].max() and b[i, j] >= b[i, :].max()
    ]


@tool({"row_payoffs": [[1, -1], [-1, 1]], "col_payoffs": [[-1, 1], [1, -1]]})
def nash_2x2(row_payoffs: list[list[float]], col_payoffs: list[list[float]]) -> dict[str, Any]:
    """Every Nash equilibrium of a 2×2 bimatrix game: pure, mixed (indifference), and continua if it is degenerate."""
    a, b = as_array(row_payoffs, "row_payoffs", ndim=2), as_array(col_payoffs, "col_payoffs", ndim=2)
    require(a.shape == (2, 2) and b.shape == (2, 2), "both payoff matrices must be 2×2")
    tol = 1e-12 * max(1.0, float(np.abs(a).max()), float(np.abs(b).max()))

    # p = P(row plays its first strategy), q = P(column plays its first). Each player's gain from its first strategy
    # over its second is linear in the other's probability; the player is indifferent where the gain is zero.
    def row_gain(q: float) -> float:
        return q * (a[0, 0] - a[1, 0]) + (1 - q) * (a[0, 1] - a[1, 1])

    def col_gain(p: float) -> float:
        return p * (b[0, 0] - b[0, 1]) + (1 - p) * (b[1, 0] - b[1, 1])

    def best(gain: float, prob: float) -> bool:
        return (gain <= tol or prob == 1) and (gain >= -tol or prob == 0)

    def is_equilibrium(p: float, q: float) -> bool:
        return best(row_gain(q), p) and best(col_gain(p), q)

    # Extreme equilibria lie where each probability is 0, 1 or the value that makes the *other* player indifferent.
    den_p, den_q = b[0, 0] - b[1, 0] - b[0, 1] + b[1, 1], a[0, 0] - a[0, 1] - a[1, 0] + a[1, 1]
    ps, qs = [1.0, 0.0], [1.0, 0.0]
    if den_p != 0 and 0 < (p := (b[1, 1] - b[1, 0]) / den_p) < 1:
        ps.append(p)
    if den_q != 0 and 0 < (q := (a[1, 1] - a[0, 1]) / den_q) < 1:
        qs.append(q)
    points = [(p, q) for p in ps for q in qs if is_equilibrium(p, q)]
    points.sort(key=lambda pq: pq[0] not in (0, 1) or pq[1] not in (0, 1))  # pure first, in (row, col) order
    eqs, steps = [], []
    for p, q in points:
        row, col = np.array([p, 1 - p]), np.array([q, 1 - q])
        pure = p in (0, 1) and q in (0, 1)
        eqs.append(
            {"row": row, "col": col, "payoffs": [row @ a @ col, row @ b @ col], "type": "pure" if pure else "mixed"}
        )
        if pure:
            steps.append(f"pure: (row {int(p == 0)}, col {int(q == 0)}) — each is a best response to the other")
        else:
            steps.append(f"mixed: row plays p = {p:.4g} making the column player indifferent; column plays q = {q:.4g}")
    # Degenerate (von Stengel): some pure strategy has two pure best responses, i.e. a payoff tie.
    degenerate = bool(np.any(a[0] == a[1]) or np.any(b[:, 0] == b[:, 1]))
    continua = _equilibrium_continua(ps, qs, is_equilibrium)
    if degenerate:
        steps.append(
            "degenerate game: a payoff tie leaves a player indifferent against a pure strategy, so equilibria can form "
            + ("a continuum" if continua else "a continuum (here they are still isolated points)")
        )
    steps += [
        f"continuum: row plays its first strategy with any probability in [{c['row_first'][0]:.4g}, "
        f"{c['row_first'][1]:.4g}] and column its first with any in [{c['col_first'][0]:.4g}, {c['col_first'][1]:.4g}]"
        for c in continua
    ]
    return {
        "equilibria": eqs,
        "degenerate": degenerate,
        "continua": continua,
        "explanation": steps or ["no equilibrium found by these conditions"],
    }


def _equilibrium_continua(
    ps: list[float], qs: list[float], is_equilibrium: Callable[[float, float], bool]
) -> list[dict[str, list[float]]]:
    """Maximal rectangles [p_lo, p_hi] × [q_lo, q_hi] of equilibria that are more than one point.

    A product of intervals is all equilibria exactly when its four corners are (best responses to two strategies are
    best responses to their mixtures), and the corners of a maximal one lie on the candidate values.
    """
    ps, qs = sorted(set(ps)), sorted(set(qs))
    boxes = [
        (p0, p1, q0, q1)
        for i, p0 in enumerate(ps)
        for p1 in ps[i:]
        for j, q0 in enumerate(qs)
        for q1 in qs[j:]
        if (p0, q0) != (p1, q1) and all(is_equilibrium(p, q) for p in (p0, p1) for q in (q0, q1))
    ]
    maximal = [
        box
        for box in boxes
        if not any(o != box and o[0] <= box[0] and box[1] <= o[1] and o[2] <= box[2] and box[3] <= o[3] for o in boxes)
    ]
    return [{"row_first": [p0, p1], "col_first": [q0, q1]} for p0, p1, q0, q1 in maximal]


@tool({"T": 5, "R": 3, "P": 1, "S": 0})
def prisoners_dilemma(T: float = 5, R: float = 3, P: float = 1, S: float = 0) -> dict[str, Any]:
    """Analyse a prisoner's dilemma (T > R > P > S): equilibria, dominant strategies, Pareto-optimal outcomes."""
    a = np.array([[R, S], [T, P]])  # rows/cols: 0 = Cooperate, 1 = Defect
    b = a.T
    names = ["C", "D"]
    eqs = [{"row": names[i], "col": names[j], "payoffs": [a[i, j], b[i, j]]} for i, j in _pure_equilibria(a, b)]
    dominant = "D" if T > R and P > S else ("C" if R > T and S > P else None)
    outcomes = [(i, j) for i in range(2) for j in range(2)]
    pareto = [
        f"{names[i]}{names[j]}"
        for i, j in outcomes
        if not any(
            a[k, m] >= a[i, j] and b[k, m] >= b[i, j] and (a[k, m], b[k, m]) != (a[i, j], b[i, j]) for k, m in outcomes
        )
    ]
    return {
        "equilibria": eqs,
        "dominant_strategy": {"row": dominant, "col": dominant},
        "pareto_optimal": pareto,
        "is_dilemma": bool(T > R > P > S),
        "explanation": [
            f"D dominates C: T={T} > R={R} and P={P} > S={S}" if dominant == "D" else "no dominant defection",
            f"Nash equilibrium {[e['row'] + e['col'] for e in eqs]}, but Pareto-optimal outcomes are {pareto}",
        ],
    }


_LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


def _winner(b: list[str]) -> int:
    for i, j, k in _LINES:
        if b[i] != "." and b[i] == b[j] == b[k]:
            return 1 if b[i] == "X" else -1
    return 0


def _search(b: list[str], player: str, alpha: float, beta: float, prune: bool, counter: list[int]) -> int:
    counter[0] += 1
    w = _winner(b)
    if w or "." not in b:
        return w
    best = -2 if player == "X" else 2
    for m in range(9):
        if b[m] != ".":
            continue
        b[m] = player
        v = _search(b, "O" if player == "X" else "X", alpha, beta, prune, counter)
        b[m] = "."
        if player == "X":
            best, alpha = max(best, v), max(alpha, v)
        else:
            best, beta = min(best, v), min(beta, v)
        if prune and alpha >= beta:
            break
    return best


@tool({"board": "XX.OO....", "alpha_beta": True})
def minimax(board: str, alpha_beta: bool = True) -> dict[str, Any]:
    """Tic-tac-toe minimax value (+1 X wins, 0 draw, -1 O wins), best move, nodes searched with/without pruning."""
    require(len(board) == 9 and set(board) <= {"X", "O", "."}, "board is 9 characters of X, O and .")
    b = list(board)
    x, o = b.count("X"), b.count("O")
    require(x - o in (0, 1), "X moves first, so X count must equal O count or exceed it by one")
    player = "X" if x == o else "O"
    require(_winner(b) == 0 and "." in b, "the game is already over")
    moves = {}
    pruned = [0]
    for m in range(9):
        if b[m] == ".":
            b[m] = player
            moves[m] = _search(b, "O" if player == "X" else "X", -2, 2, alpha_beta, pruned)
            b[m] = "."
    full = [0]
    value = _search(b, player, -2, 2, False, full)
    best = (max if player == "X" else min)(moves, key=lambda m: (moves[m], -m))
    return {
        "value": value,
        "best_move": best,
        "to_move": player,
        "move_values": moves,
        "nodes": pruned[0] + 1,
        "nodes_without_pruning": full[0],
        "explanation": [
            f"{player} to move; values of each move: {moves}",
            f"best move {best} (cells 0-8, row by row); value {value}",
            f"alpha-beta searched {pruned[0] + 1:,} nodes vs {full[0]:,} without pruning",
        ],
    }


def _nim_moves(piles: tuple[int, ...]) -> list[tuple[int, int]]:
    return [(i, k) for i, n in enumerate(piles) for k in range(1, n + 1)]


def _nim_play(piles: tuple[int, ...], move: tuple[int, int]) -> tuple[int, ...]:
    i, k = move
    return (*piles[:i], piles[i] - k, *piles[i + 1 :])


# The per-iteration trace has an entry for every iteration up to this many; longer runs keep every stride-th
# iteration (and the last), so even 20,000 iterations on four piles of 7 stay a few hundred kilobytes of JSON.
MCTS_TRACE = 500


def _label(move: tuple[int, int]) -> str:
    return f"{move[0]}:{move[1]}"


@tool({"iterations": 50, "seed": 0, "start": [1, 2]})
def mcts(
    iterations: int,
    seed: Seed = 0,
    game: str = "nim",
    c: Annotated[float, Field(ge=0, le=100)] = 1.414,
    start: list[int] | None = None,
) -> dict[str, Any]:
    """UCT Monte Carlo tree search on Nim (take any number from one pile; taking the last object wins)."""
    require(game == "nim", "only game='nim' is available")
    require(1 <= iterations <= 20_000, "iterations must be between 1 and 20000")
    root = tuple(start or [1, 2])
    require(
        all(0 <= p <= 7 for p in root) and 1 <= len(root) <= 4 and sum(root) > 0, "up to 4 piles of 0-7, not all empty"
    )
    rng = np.random.default_rng(seed)
    N: dict[tuple[int, ...], int] = {}
    W: dict[tuple[tuple[int, ...], tuple[int, int]], float] = {}
    Nsa: dict[tuple[tuple[int, ...], tuple[int, int]], int] = {}
    root_moves = _nim_moves(root)

    def root_stats() -> tuple[list[int], list[float]]:
        visits = [Nsa.get((root, m), 0) for m in root_moves]
        values = [round(W.get((root, m), 0.0) / max(n, 1), 4) for m, n in zip(root_moves, visits, strict=True)]
        return visits, values

    stride = math.ceil(iterations / MCTS_TRACE)
    log = []
    for it in range(1, iterations + 1):
        path, state = [], root
        while sum(state) > 0 and state in N:  # selection through expanded nodes
            moves = _nim_moves(state)
            untried = [m for m in moves if (state, m) not in Nsa]
            if untried:
                move = untried[int(rng.integers(len(untried)))]
                path.append((state, move))
                state = _nim_play(state, move)
                break
            move = max(
                moves,
                key=lambda m: W[(state, m)] / Nsa[(state, m)] + c * math.sqrt(math.log(N[state]) / Nsa[(state, m)]),
            )
            path.append((state, move))
            state = _nim_play(state, move)
        N.setdefault(state, 0)
        rollout, turn = state, 0  # simulation: random play to the end
        while sum(rollout) > 0:
            moves = _nim_moves(rollout)
            rollout = _nim_play(rollout, moves[int(rng.integers(len(moves)))])
            turn += 1
        reward = 1.0 if turn % 2 == 1 else 0.0  # for the player to move at `state`: they win if they took the last
        for s, m in reversed(path):  # backup, flipping the perspective at each ply
            reward = 1.0 - reward
            N[s] = N.get(s, 0) + 1
            Nsa[(s, m)] = Nsa.get((s, m), 0) + 1
            W[(s, m)] = W.get((s, m), 0.0) + reward
        if it % stride == 0 or it == iterations:
            # Lists in the order of `moves` rather than dicts: the move labels would otherwise repeat in every entry.
            trace_visits, trace_values = root_stats()
            log.append(
                {
                    "iteration": it,
                    "root_visits": N[root],
                    "chosen": _label(path[0][1]) if path else None,
                    "path": [_label(m) for _, m in path],
                    "reward_root_player": reward,
                    "visits": trace_visits,
                    "values": trace_values,
                }
            )
    final_visits, final_values = root_stats()
    moves = [_label(m) for m in root_moves]
    visits = dict(zip(moves, final_visits, strict=True))
    values = dict(zip(moves, final_values, strict=True))
    best = max(visits, key=lambda m: visits[m])
    which = (
        "every iteration"
        if stride == 1
        else f"thinned to {len(log)} entries with trace_stride {stride} (iterations {stride}, {2 * stride}, … "
        f"and the last, {iterations})"
    )
    return {
        "visits": visits,
        "values": values,
        "best_action": best,
        "moves": moves,
        "trace_stride": stride,
        "per_iteration": log,
        "explanation": [
            "each iteration: select by UCT = W/N + c·√(ln N_parent / N), expand one move, random rollout, back up",
            "the first iteration only adds the root, so root visits sum to iterations - 1",
            f"root visits {visits}; most visited action {best} (pile:count)",
            f"per_iteration, {which}: the root's visit total, the root move chosen, the path, the reward for the "
            "root player, and each root move's visits and mean value (listed in the order of moves)",
        ],
    }


# Kuhn poker: cards J=0, Q=1, K=2; actions p (pass/check/fold) and b (bet/call).
def _kuhn_terminal(h: str, cards: tuple[int, int]) -> float | None:
    """Payoff for player 1 at terminal history h, else None."""
    if h in ("pp", "bb", "pbb"):
        stake = 1 if h == "pp" else 2
        return stake if cards[0] > cards[1] else -stake
    if h == "bp":
        return 1.0
    if h == "pbp":
        return -1.0
    return None


def _regret_matching(regrets: list[float]) -> list[float]:
    """Play each action in proportion to its positive regret; uniformly when no regret is positive."""
    positive = [max(r, 0.0) for r in regrets]
    total = sum(positive)
    return [r / total for r in positive] if total > 0 else [1 / len(regrets)] * len(regrets)


# Plain Python floats, not NumPy: with two actions per node the per-call overhead of tiny arrays made CFR 3× slower.
def _cfr(
    h: str,
    cards: tuple[int, int],
    reach: tuple[float, float],
    regrets: dict[str, list[float]],
    strat_sum: dict[str, list[float]],
) -> float:
    util = _kuhn_terminal(h, cards)
    if util is not None:
        return util
    player = len(h) % 2
    key = f"{'JQK'[cards[player]]}{h}"
    r = regrets.setdefault(key, [0.0, 0.0])
    sigma = _regret_matching(r)
    total = strat_sum.setdefault(key, [0.0, 0.0])
    values = [0.0, 0.0]
    for a, act in enumerate("pb"):
        total[a] += reach[player] * sigma[a]
        nr = (reach[0] * sigma[a], reach[1]) if player == 0 else (reach[0], reach[1] * sigma[a])
        values[a] = _cfr(h + act, cards, nr, regrets, strat_sum)
    node = sigma[0] * values[0] + sigma[1] * values[1]
    sign = 1 if player == 0 else -1  # values are for player 1; regrets are for the acting player
    for a in range(2):
        r[a] += reach[1 - player] * sign * (values[a] - node)
    return node


def _kuhn_value(h: str, cards: tuple[int, int], avg: dict[str, list[float]]) -> float:
    util = _kuhn_terminal(h, cards)
    if util is not None:
        return util
    key = f"{'JQK'[cards[len(h) % 2]]}{h}"
    return sum(avg[key][a] * _kuhn_value(h + act, cards, avg) for a, act in enumerate("pb"))


@tool({"iterations": 2000, "seed": 0})
def cfr_kuhn(iterations: int, seed: Seed = 0) -> dict[str, Any]:
    """Vanilla CFR on Kuhn poker (all six deals each iteration): average strategy, game value for player 1, regrets.

    ``seed`` is kept for the documented interface but has no effect: vanilla CFR enumerates every deal instead of
    sampling one, so a run is deterministic (chance-sampling CFR would be the variant that uses it).
    """
    require(1 <= iterations <= 20_000, "iterations must be between 1 and 20000")
    deals = [(a, b) for a in range(3) for b in range(3) if a != b]
    regrets: dict[str, list[float]] = {}
    strat_sum: dict[str, list[float]] = {}
    for _ in range(iterations):
        for cards in deals:
            _cfr("", cards, (1.0, 1.0), regrets, strat_sum)
    avg = {k: _regret_matching(v) for k, v in strat_sum.items()}  # sums are >= 0: this just normalises them
    value = sum(_kuhn_value("", c, avg) for c in deals) / len(deals)
    return {
        "game_value": value,
        "average_strategy": {k: avg[k] for k in sorted(avg)},
        "regrets": {k: [r / iterations for r in regrets[k]] for k in sorted(regrets)},
        "iterations": iterations,
        "explanation": [
            "information sets: own card + betting history; actions [pass, bet]",
            "each iteration walks all 6 deals; regret matching gives the current strategy",
            f"the average strategy converges to a Nash equilibrium; value for player 1 ≈ {value:.4f} "
            "(theory: -1/18 ≈ -0.0556)",
            f"seed {seed} has no effect: vanilla CFR enumerates every deal instead of sampling, so it is deterministic",
        ],
        "seed": seed,
    }


@tool({"regrets": [-2, 3, 1]})
def regret_matching(regrets: list[float] | list[list[float]]) -> dict[str, Any]:
    """Regret matching: the next strategy is proportional to the positive cumulative regrets (uniform if none)."""
    r = as_array(regrets, "regrets", ndim=(1, 2))
    rows = r if r.ndim == 2 else r[None, :]
    strategies = np.array([_regret_matching(row.tolist()) for row in rows])
    steps = [
        f"R⁺ = max(R, 0) = {fmt(np.maximum(row, 0))}; "
        + (f"divide by its sum {np.maximum(row, 0).sum():.4g}" if (row > 0).any() else "no positive regret: uniform")
        + f" → {fmt(strategy)}"
        for row, strategy in zip(rows[:10], strategies, strict=False)  # a few worked rows are enough to follow
    ]
    return {"strategy": strategies if r.ndim == 2 else strategies[0], "explanation": steps}


@tool({"visits": [500, 250, 50], "temperature": 1.0})
def visit_count_policy(visits: list[float], temperature: float = 1.0) -> dict[str, Any]:
    """AlphaZero move probabilities from root visit counts: π(a) ∝ N(a)^(1/τ); temperature 0 means argmax."""
    n = as_array(visits, "visits", ndim=1)
    require(bool(np.all(n >= 0)) and n.sum() > 0, "visits must be non-negative with at least one positive")
    require(temperature >= 0, "temperature must be >= 0 (0 picks the most visited move)")
    if temperature == 0:
        probs = (n == n.max()) / np.sum(n == n.max())  # ties share the mass
        how = "τ → 0: all mass on the most visited move"
    else:
        # N^(1/τ) overflows for small τ; in log space relative to the largest count it cannot.
        logs = np.where(n > 0, np.log(np.where(n > 0, n, 1)), -np.inf) / temperature
        probs = np.exp(logs - logs.max())
        probs /= probs.sum()
        how = f"π = N^(1/{temperature:g}) / Σ N^(1/{temperature:g})"
    return {"probs": probs, "explanation": [how, f"probabilities {fmt(probs)}"]}


@tool({"row_payoffs": [[0, -1, 1], [1, 0, -1], [-1, 1, 0]], "iterations": 1000})
def fictitious_play(
    row_payoffs: list[list[float]], col_payoffs: list[list[float]] | None = None, iterations: int = 1000
) -> dict[str, Any]:
    """Fictitious play: each player best-responds to the other's empirical mixture (zero-sum if col_payoffs omitted)."""
    a = as_array(row_payoffs, "row_payoffs", ndim=2)
    b = as_array(col_payoffs, "col_payoffs", ndim=2) if col_payoffs is not None else -a
    require(a.shape == b.shape, "payoff matrices must have the same shape")
    require(1 <= iterations <= 100_000, "iterations must be between 1 and 100000")
    rc, cc = np.zeros(a.shape[0]), np.zeros(a.shape[1])
    rc[0], cc[0] = 1, 1
    history = []
    for t in range(1, iterations):
        r = int(np.argmax(a @ (cc / cc.sum())))
        c = int(np.argmax((rc / rc.sum()) @ b))
        rc[r] += 1
        cc[c] += 1
        if t in (1, 2, 5, 10, 100, 1000, 10000):
            history.append({"iteration": t, "row": rc / rc.sum(), "col": cc / cc.sum()})
    return {
        "row_strategy": rc / rc.sum(),
        "col_strategy": cc / cc.sum(),
        "history": history,
        "explanation": [
            "each round both play a best response to the opponent's empirical frequencies",
            f"after {iterations} rounds: row {fmt(rc / rc.sum())}, column {fmt(cc / cc.sum())}",
        ],
    }


@tool({"payoffs": [[0, 3], [1, 2]], "x0": [0.2, 0.8], "steps": 200, "dt": 0.1})
def replicator_dynamics(
    payoffs: list[list[float]], x0: list[float], steps: int = 100, dt: float = 0.1
) -> dict[str, Any]:
    """Replicator dynamics (Euler steps): ẋ_i = x_i ((Ax)_i - xᵀAx) for a symmetric game with payoff matrix A."""
    a = as_array(payoffs, "payoffs", ndim=2)
    x = as_array(x0, "x0", ndim=1)
    require(a.shape == (len(x), len(x)), "payoffs must be n×n for n strategies in x0")
    require(abs(x.sum() - 1) < 1e-6 and np.all(x >= 0), "x0 must be a probability vector")
    require(1 <= steps <= 10_000, f"need 1 <= steps <= 10000, got {steps}")
    require(0 < dt <= 1, f"need 0 < dt <= 1, got {dt:g}")
    record = set(evenly_spaced(steps, 51))  # only the snapshots are kept, never the whole path
    traj, at = [x.copy()], [0]
    for step in range(1, steps + 1):
        fit = a @ x
        x = np.clip(x + dt * x * (fit - x @ fit), 0, None)
        x = x / x.sum()
        if step in record:
            traj.append(x.copy())
            at.append(step)
    return {
        "trajectory": traj,
        "trajectory_steps": at,
        "final": x,
        "explanation": ["strategies with above-average fitness grow in share", f"final shares {fmt(x)}"],
    }
