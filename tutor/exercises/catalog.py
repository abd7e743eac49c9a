"""Code exercises: a signature, a task, generated cases, the reference tool that answers them, and known bugs.

Each case's expected value comes from the reference-implementation tool (tutor.tools), computed in the tutor's
process. A learner's output that matches a known buggy variant earns that variant's hint.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tutor.tools.registry import run_tool

Case = dict[str, Any]  # {"args": [...], "kwargs": {...}, "label": "..."}
Reference = Callable[..., Any]


@dataclass(frozen=True)
class Exercise:
    name: str
    topic: str
    function: str
    signature: str
    task: str
    cases: Callable[[], list[Case]]
    reference: Reference
    bugs: dict[str, Reference] = field(default_factory=dict)  # hint -> buggy implementation it explains
    rtol: float = 1e-5
    atol: float = 1e-6


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _tool(tool_name: str, key: str, /, **args: Any) -> Any:
    plain = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    return run_tool(tool_name, plain)[key]


# softmax ---------------------------------------------------------------------------------------------------------
def _softmax_ref(x: np.ndarray, axis: int = -1) -> Any:
    moved = np.moveaxis(np.atleast_1d(x), axis, -1)
    probs = np.asarray(_tool("softmax", "probs", x=moved.reshape(-1, moved.shape[-1]))).reshape(moved.shape)
    return np.moveaxis(probs, -1, axis).reshape(np.shape(x))


def _softmax_cases() -> list[Case]:
    r = _rng(0)
    return [
        {"args": [np.array([1.0, 2.0, 3.0])], "label": "a vector"},
        {"args": [r.normal(size=(3, 4))], "label": "rows of a matrix"},
        {"args": [r.normal(size=(3, 4))], "kwargs": {"axis": 0}, "label": "axis=0"},
        {"args": [np.array([5.0])], "label": "length 1"},
        {"args": [np.array([1000.0, 1001.0, 1002.0])], "label": "large values (overflow)"},
        {"args": [np.array([-1000.0, -1000.0])], "label": "large negative values"},
    ]


def _softmax_naive(x: np.ndarray, axis: int = -1) -> Any:
    with np.errstate(all="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)


def _softmax_wrong_axis(x: np.ndarray, axis: int = -1) -> Any:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def _softmax_axis0(x: np.ndarray, axis: int = -1) -> Any:
    e = np.exp(x - np.max(x, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _softmax_ignores_axis(x: np.ndarray, axis: int = -1) -> Any:
    return _softmax_ref(x)


# layer norm / rms norm / batch norm ------------------------------------------------------------------------------
def _ln_cases() -> list[Case]:
    r = _rng(1)
    x = r.normal(size=(2, 5))
    return [
        {"args": [x, np.ones(5), np.zeros(5)], "label": "unit gamma, zero beta"},
        {"args": [r.normal(size=(3, 4)), r.normal(size=4), r.normal(size=4)], "label": "random gamma and beta"},
        {"args": [r.normal(size=(2, 3, 4)), np.ones(4), np.zeros(4)], "label": "a (B, T, C) tensor"},
        {"args": [np.full((2, 3), 7.0), np.ones(3), np.zeros(3)], "label": "constant rows (variance 0)"},
        {"args": [1e4 * r.normal(size=(2, 4)), np.ones(4), np.zeros(4)], "label": "large values"},
        {"args": [1e-3 * r.normal(size=(2, 4)), np.ones(4), np.zeros(4)], "label": "tiny variance (eps matters)"},
    ]


def _ln_ref(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> Any:
    return _tool("layer_norm", "y", x=x, gamma=gamma, beta=beta, eps=eps)


def _ln_batch_axis(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> Any:
    mu, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def _ln_std_eps(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> Any:
    mu, std = x.mean(axis=-1, keepdims=True), x.std(axis=-1, keepdims=True)
    with np.errstate(all="ignore"):
        return (x - mu) / (std + eps) * gamma + beta


def _rms_cases() -> list[Case]:
    r = _rng(2)
    return [
        {"args": [r.normal(size=(2, 6)), np.ones(6)], "label": "unit gamma"},
        {"args": [r.normal(size=(3, 4)), r.normal(size=4)], "label": "random gamma"},
        {"args": [np.zeros((1, 3)), np.ones(3)], "label": "all zeros"},
    ]


def _rms_mean_subtracted(x: np.ndarray, gamma: np.ndarray, eps: float = 1e-6) -> Any:
    c = x - x.mean(axis=-1, keepdims=True)
    return c / np.sqrt((c**2).mean(axis=-1, keepdims=True) + eps) * gamma


def _bn_cases() -> list[Case]:
    r = _rng(3)
    return [
        {"args": [r.normal(size=(4, 3)), np.ones(3), np.zeros(3)], "label": "batch of 4"},
        {"args": [r.normal(size=(8, 2)), r.normal(size=2), r.normal(size=2)], "label": "random gamma and beta"},
        {"args": [np.array([[1.0, 2.0]]), np.ones(2), np.zeros(2)], "label": "batch of 1 (variance 0)"},
    ]


def _bn_feature_axis(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> Any:
    return _ln_batch_axis(x.T, np.ones(x.shape[0]), np.zeros(x.shape[0]), eps).T * gamma + beta


# attention and masks ---------------------------------------------------------------------------------------------
def _attention_cases() -> list[Case]:
    r = _rng(4)
    n, d = 4, 8
    tril = np.tril(np.ones((n, n)))
    return [
        {"args": [r.normal(size=(n, d)), r.normal(size=(n, d)), r.normal(size=(n, d))], "label": "4 tokens, d=8"},
        {
            "args": [r.normal(size=(n, d)), r.normal(size=(n, d)), r.normal(size=(n, d))],
            "kwargs": {"mask": tril},
            "label": "causal mask (1 = may attend)",
        },
        {"args": [r.normal(size=(1, 2)), r.normal(size=(1, 2)), r.normal(size=(1, 3))], "label": "one token"},
        {
            "args": [30 * r.normal(size=(3, 4)), 30 * r.normal(size=(3, 4)), r.normal(size=(3, 4))],
            "label": "large scores (stability)",
        },
    ]


def _attention_ref(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None) -> Any:
    causal = mask is not None
    if causal and not np.array_equal(mask, np.tril(np.ones_like(mask))):
        raise ValueError("the exercise only uses causal masks")
    return _tool("attention", "output", q=q, k=k, v=v, causal=causal)


def _attention_unscaled(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None) -> Any:
    s = q @ k.T
    if mask is not None:
        s = np.where(mask > 0, s, -np.inf)
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ v


def _attention_softmax_wrong_axis(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None) -> Any:
    s = q @ k.T / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask > 0, s, -1e9)
    w = np.exp(s - s.max(axis=0, keepdims=True))
    return (w / w.sum(axis=0, keepdims=True)) @ v


def _attention_mask_inverted(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None) -> Any:
    return _attention_unscaled(q / np.sqrt(q.shape[-1]), k, v, None if mask is None else 1 - mask + np.eye(len(mask)))


def _mask_cases() -> list[Case]:
    return [{"args": [n], "label": f"n={n}"} for n in (1, 2, 5)]


# activations, losses, sampling -----------------------------------------------------------------------------------
def _act_cases() -> list[Case]:
    return [
        {"args": [np.array([-3.0, -1.0, 0.0, 0.5, 2.0])], "label": "a few points"},
        {"args": [np.linspace(-6, 6, 13).reshape(13)], "label": "a range"},
        {"args": [np.array([-50.0, 50.0])], "label": "large magnitudes"},
    ]


def _gelu_tanh(x: np.ndarray) -> Any:
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def _ce_cases() -> list[Case]:
    r = _rng(5)
    return [
        {"args": [r.normal(size=(3, 5)), [0, 4, 2]], "label": "3 examples, 5 classes"},
        {"args": [np.array([[1000.0, 0.0, -1000.0]]), [0]], "label": "large logits, correct class"},
        {"args": [np.array([[1000.0, 0.0, -1000.0]]), [2]], "label": "large logits, wrong class"},
    ]


def _ce_ref(logits: np.ndarray, targets: list[int]) -> Any:
    return _tool("cross_entropy", "loss", logits=logits, target=list(targets))


def _ce_sum(logits: np.ndarray, targets: list[int]) -> Any:
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -logp[np.arange(len(targets)), targets].sum()


def _top_p_cases() -> list[Case]:
    return [
        {"args": [np.array([0.5, 0.3, 0.15, 0.05]), 0.8], "label": "p=0.8"},
        {"args": [np.array([0.1, 0.6, 0.3]), 0.5], "label": "unsorted, p=0.5"},
        {"args": [np.array([0.25, 0.25, 0.25, 0.25]), 0.6], "label": "ties"},
        {"args": [np.array([1.0]), 0.9], "label": "one token"},
    ]


def _top_p_ref(probs: np.ndarray, p: float) -> Any:
    # The tool filters logits; log(probs) are logits whose softmax is probs (every case's probs are positive).
    return _tool("sample_next_token", "probs", logits=np.log(probs), strategy="top_p", p=p)


def _top_p_exclusive(probs: np.ndarray, p: float) -> Any:
    order = np.argsort(-probs, kind="stable")
    cum = np.cumsum(probs[order])
    out = np.zeros_like(probs)
    out[order[cum <= p]] = probs[order[cum <= p]]
    return out / out.sum()  # nan when even the top token exceeds p, as a learner's version gives


# LLM arithmetic, LSTM, GNN, diffusion, game theory ---------------------------------------------------------------
def _kv_cases() -> list[Case]:
    return [
        {"args": [32, 32, 128, 4096], "label": "7B model, 4k tokens"},
        {"args": [32, 8, 128, 4096], "kwargs": {"batch": 4}, "label": "GQA with 8 KV heads, batch 4"},
        {"args": [2, 1, 4, 1], "kwargs": {"bytes_per_value": 4}, "label": "tiny, fp32"},
    ]


def _kv_ref(
    n_layers: int, n_kv_heads: int, head_dim: int, seq_len: int, batch: int = 1, bytes_per_value: int = 2
) -> Any:
    return _tool(
        "kv_cache_bytes",
        "bytes",
        n_layers=n_layers,
        n_kv_heads=n_kv_heads,
        head_dim=head_dim,
        seq_len=seq_len,
        batch=batch,
        bytes_per_value=bytes_per_value,
    )


def _lstm_cases() -> list[Case]:
    r = _rng(6)
    d, h = 3, 2
    return [
        {
            "args": [
                r.normal(size=d),
                np.zeros(h),
                np.zeros(h),
                r.normal(size=(4 * h, d)),
                r.normal(size=(4 * h, h)),
                r.normal(size=4 * h),
            ],
            "label": "zero initial state",
        },
        {
            "args": [
                r.normal(size=d),
                r.normal(size=h),
                r.normal(size=h),
                r.normal(size=(4 * h, d)),
                r.normal(size=(4 * h, h)),
                np.zeros(4 * h),
            ],
            "label": "non-zero state",
        },
    ]


def _lstm_ref(x: np.ndarray, h: np.ndarray, c: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b: np.ndarray) -> Any:
    out = run_tool(
        "lstm_step",
        {
            "x": x.tolist(),
            "h_prev": h.tolist(),
            "c_prev": c.tolist(),
            "W_ih": W_ih.tolist(),
            "W_hh": W_hh.tolist(),
            "b_ih": b.tolist(),
        },
    )
    return np.concatenate([np.asarray(out["h"]), np.asarray(out["c"])])


def _lstm_tanh_output(
    x: np.ndarray, h: np.ndarray, c: np.ndarray, W_ih: np.ndarray, W_hh: np.ndarray, b: np.ndarray
) -> Any:
    z = W_ih @ x + W_hh @ h + b
    i, f, g, o = np.split(z, 4)
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    c2 = sig(f) * c + sig(i) * np.tanh(g)
    return np.concatenate([sig(o) * c2, c2])


def _gcn_cases() -> list[Case]:
    a = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
    r = _rng(7)
    return [
        {"args": [a, np.eye(3), np.eye(3)], "label": "path graph, identity features"},
        {"args": [a, r.normal(size=(3, 2)), r.normal(size=(2, 2))], "label": "random features and weights"},
        {"args": [np.zeros((2, 2)), np.array([[1.0], [2.0]]), np.array([[1.0]])], "label": "no edges"},
    ]


def _gcn_ref(adjacency: np.ndarray, features: np.ndarray, weight: np.ndarray) -> Any:
    return _tool("gnn_message_pass", "h", adjacency=adjacency, features=features, weight=weight)


def _gcn_no_self_loops(adjacency: np.ndarray, features: np.ndarray, weight: np.ndarray) -> Any:
    deg = adjacency.sum(axis=1)
    with np.errstate(divide="ignore"):
        d = np.where(deg > 0, deg**-0.5, 0.0)
    return d[:, None] * adjacency * d[None, :] @ features @ weight


def _alpha_bar_cases() -> list[Case]:
    return [
        {"args": [[1, 2, 3]], "label": "t = 1, 2, 3"},
        {"args": [[1, 500, 1000]], "label": "start, middle, end"},
    ]


def _alpha_bar_ref(t: list[int], beta_start: float = 1e-4, beta_end: float = 0.02, num_steps: int = 1000) -> Any:
    return _tool(
        "ddpm_forward", "alpha_bar", x0=[0.0], t=list(t), beta_start=beta_start, beta_end=beta_end, num_steps=num_steps
    )


def _alpha_bar_off_by_one(t: list[int], beta_start: float = 1e-4, beta_end: float = 0.02, num_steps: int = 1000) -> Any:
    betas = np.linspace(beta_start, beta_end, num_steps)
    return [float(np.prod(1 - betas[: s - 1])) for s in t]


def _regret_cases() -> list[Case]:
    return [
        {"args": [np.array([1.0, 3.0, 0.0])], "label": "positive regrets"},
        {"args": [np.array([-1.0, 2.0, -3.0])], "label": "mixed signs"},
        {"args": [np.array([-1.0, -2.0])], "label": "all non-positive: uniform"},
    ]


def _regret_ref(regrets: np.ndarray) -> Any:
    return _tool("regret_matching", "strategy", regrets=regrets)


def _regret_abs(regrets: np.ndarray) -> Any:
    a = np.abs(regrets)
    return a / a.sum()


def _minimax_cases() -> list[Case]:
    return [
        {"args": ["XX.OO...."], "label": "X to move can win"},
        {"args": ["XOXOXO..."], "label": "X to move, near the end"},
        {"args": ["........."], "label": "empty board (a draw)"},
        {"args": ["XO.XO...."], "label": "X to move and win in one"},
        {"args": ["XX.OO.X.."], "label": "O to move can win"},
    ]


def _minimax_ref(board: str) -> Any:
    return _tool("minimax", "value", board=board)


_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


@functools.cache
def _tictactoe(board: str, player: str) -> int:
    """Minimax value (+1 X wins) with `player` to move even where the counts disagree, as the buggy variant needs."""
    for a, b, c in _LINES:
        if board[a] != "." and board[a] == board[b] == board[c]:
            return 1 if board[a] == "X" else -1
    if "." not in board:
        return 0
    other = "O" if player == "X" else "X"
    values = [_tictactoe(board[:i] + player + board[i + 1 :], other) for i, cell in enumerate(board) if cell == "."]
    return max(values) if player == "X" else min(values)


def _minimax_x_always_moves(board: str) -> Any:
    return _tictactoe(board, "X")


def _pe_cases() -> list[Case]:
    return [
        {"args": [4, 6], "label": "4 positions, d=6"},
        {"args": [1, 2], "label": "one position"},
        {"args": [3, 8], "label": "3 positions, d=8"},
    ]


def _pe_ref(seq_len: int, d_model: int) -> Any:
    return _tool("positional_encoding", "pe", seq_len=seq_len, d_model=d_model)


def _pe_interleave_wrong(seq_len: int, d_model: int) -> Any:
    pos = np.arange(seq_len)[:, None]
    i = np.arange(d_model)[None, :]
    angle = pos / 10000 ** (i / d_model)
    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle))


def _adam_cases() -> list[Case]:
    return [
        {"args": [np.array([1.0, -2.0]), np.array([0.1, -0.3]), np.zeros(2), np.zeros(2), 1], "label": "first step"},
        {"args": [np.array([0.5]), np.array([2.0]), np.array([0.1]), np.array([0.01]), 10], "label": "step 10"},
    ]


def _adam_ref(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float = 1e-3) -> Any:
    return _tool("adam_step", "param", param=param, grad=grad, m=m, v=v, t=t, lr=lr)


def _adam_no_bias_correction(
    param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float = 1e-3
) -> Any:
    m2 = 0.9 * m + 0.1 * grad
    v2 = 0.999 * v + 0.001 * grad**2
    return param - lr * m2 / (np.sqrt(v2) + 1e-8)


def _lora_cases() -> list[Case]:
    return [
        {"args": [4096, 4096, 8], "label": "one 4096x4096 matrix"},
        {"args": [4096, 11008, 16], "kwargs": {"n_matrices": 3}, "label": "three MLP-sized matrices"},
    ]


def _lora_ref(d_in: int, d_out: int, rank: int, n_matrices: int = 1) -> Any:
    return _tool("lora_params", "params", d_in=d_in, d_out=d_out, rank=rank, n_matrices=n_matrices)


def _lora_full(d_in: int, d_out: int, rank: int, n_matrices: int = 1) -> Any:
    return rank * d_in * d_out * n_matrices


def _gp_cases() -> list[Case]:
    return [
        {"args": [[-1.0, 0.0, 1.0], [0.5, 0.0, -0.5], [0.0, 0.5, 3.0]], "label": "3 points, noise-free"},
        {"args": [[0.0, 2.0], [1.0, 1.0], [1.0, 10.0]], "kwargs": {"noise": 0.1}, "label": "with noise"},
    ]


def _gp_ref(x_train: list[float], y_train: list[float], x_test: list[float], noise: float = 0.0) -> Any:
    return _tool("gp_posterior", "mean", x_train=x_train, y_train=y_train, x_test=x_test, noise=noise)


def _gp_mean(x_train: list[float], y_train: list[float], x_test: list[float], noise: float, gamma: float) -> Any:
    """K(a, b) = exp(-gamma (a - b)^2); the reference's RBF has gamma = 1/2. For the buggy variants."""
    xt, xs = np.asarray(x_train), np.asarray(x_test)
    k_train = np.exp(-gamma * (xt[:, None] - xt[None, :]) ** 2) + noise * np.eye(len(xt))
    return np.exp(-gamma * (xs[:, None] - xt[None, :]) ** 2) @ np.linalg.solve(k_train, np.asarray(y_train))


def _gp_ignores_noise(x_train: list[float], y_train: list[float], x_test: list[float], noise: float = 0.0) -> Any:
    return _gp_mean(x_train, y_train, x_test, 0.0, 0.5)


def _gp_no_half(x_train: list[float], y_train: list[float], x_test: list[float], noise: float = 0.0) -> Any:
    return _gp_mean(x_train, y_train, x_test, noise, 1.0)


def _gelu_ref(x: np.ndarray) -> Any:
    return _tool("activation", "y", name="gelu", x=x)


def _silu_ref(x: np.ndarray) -> Any:
    return _tool("activation", "y", name="silu", x=x)


EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in [
        Exercise(
            "softmax",
            "losses",
            "softmax",
            "softmax(x, axis=-1)",
            "Return softmax probabilities of the array x along `axis`; it must not overflow for large inputs.",
            _softmax_cases,
            _softmax_ref,
            {
                "Subtract the max along the axis before exp (log-sum-exp trick): large inputs overflow.": (
                    _softmax_naive
                ),
                "Normalise along `axis` with keepdims=True, not over the whole array.": _softmax_wrong_axis,
                "You normalised down axis 0 (each column sums to 1); softmax normalises along `axis`, by default the "
                "last one: use max and sum with axis=axis, keepdims=True.": _softmax_axis0,
                "Your function ignores its `axis` argument: with axis=0 each column, not each row, must sum to 1. "
                "Pass axis=axis to max and sum.": _softmax_ignores_axis,
            },
        ),
        Exercise(
            "layer_norm",
            "normalization",
            "layer_norm",
            "layer_norm(x, gamma, beta, eps=1e-5)",
            "Normalise x over its last (feature) axis, then scale by gamma and shift by beta.",
            _ln_cases,
            _ln_ref,
            {
                "LayerNorm normalises over the last (feature) axis, not over the batch (axis 0).": _ln_batch_axis,
                "Add eps to the variance inside the square root: (x-mu)/sqrt(var+eps).": _ln_std_eps,
            },
            rtol=1e-4,
        ),
        Exercise(
            "rms_norm",
            "normalization",
            "rms_norm",
            "rms_norm(x, gamma, eps=1e-6)",
            "RMSNorm over the last axis: x / sqrt(mean(x**2) + eps) * gamma (no mean subtraction).",
            _rms_cases,
            lambda x, gamma, eps=1e-6: _tool("rms_norm", "y", x=x, gamma=gamma, eps=eps),
            {"RMSNorm does not subtract the mean; that is LayerNorm.": _rms_mean_subtracted},
            rtol=1e-4,
        ),
        Exercise(
            "batch_norm",
            "normalization",
            "batch_norm",
            "batch_norm(x, gamma, beta, eps=1e-5)",
            "Training-mode BatchNorm of x with shape (batch, features): statistics over axis 0.",
            _bn_cases,
            lambda x, gamma, beta, eps=1e-5: _tool("batch_norm", "y", x=x, gamma=gamma, beta=beta, eps=eps),
            {"BatchNorm's statistics are per feature over the batch (axis 0), not per example.": _bn_feature_axis},
            rtol=1e-4,
        ),
        Exercise(
            "attention",
            "attention",
            "attention",
            "attention(q, k, v, mask=None)",
            "Scaled dot-product attention; q, k: (n, d), v: (n, d_v); mask (n, n) has 1 where attention is "
            "allowed. Return the output array (n, d_v).",
            _attention_cases,
            _attention_ref,
            {
                "Scale the scores by 1/sqrt(d_k) before the softmax.": _attention_unscaled,
                "The softmax runs over the keys (last axis, each row sums to 1).": _attention_softmax_wrong_axis,
                "The mask marks allowed positions with 1: blocked ones (0) get -inf before the softmax.": (
                    _attention_mask_inverted
                ),
            },
            rtol=1e-4,
        ),
        Exercise(
            "causal_mask",
            "transformer",
            "causal_mask",
            "causal_mask(n)",
            "Return an (n, n) array of 0/1 with 1 where position i may attend to position j (j <= i).",
            _mask_cases,
            lambda n: _tool("causal_mask", "mask", n=n),
            {
                "A causal mask is lower-triangular (np.tril): each token sees itself and the past.": lambda n: np.triu(
                    np.ones((n, n))
                )
            },
        ),
        Exercise(
            "gelu",
            "activations",
            "gelu",
            "gelu(x)",
            "Exact GELU: x * Phi(x) with Phi the standard normal CDF (use math.erf).",
            _act_cases,
            _gelu_ref,
            {"That is the tanh approximation; the exact GELU uses erf.": _gelu_tanh},
            rtol=1e-6,
        ),
        Exercise(
            "silu",
            "activations",
            "silu",
            "silu(x)",
            "SiLU / swish: x * sigmoid(x), stable for large |x|.",
            _act_cases,
            _silu_ref,
            {"SiLU multiplies by sigmoid(x); plain sigmoid is missing the x.": lambda x: 1 / (1 + np.exp(-x))},
        ),
        Exercise(
            "cross_entropy",
            "losses",
            "cross_entropy",
            "cross_entropy(logits, targets)",
            "Mean cross-entropy of logits (n, classes) against integer targets; stable for large logits.",
            _ce_cases,
            _ce_ref,
            {"Take the mean over examples, not the sum.": _ce_sum},
            rtol=1e-6,
        ),
        Exercise(
            "top_p",
            "decoding",
            "top_p_filter",
            "top_p_filter(probs, p)",
            "Nucleus filtering: keep the smallest set of most probable tokens whose total probability is at "
            "least p, zero the rest, renormalise. Return the new distribution (same length).",
            _top_p_cases,
            _top_p_ref,
            {"Include the token that crosses p: keep tokens until the cumulative sum reaches p.": _top_p_exclusive},
        ),
        Exercise(
            "kv_cache",
            "llm",
            "kv_cache_bytes",
            "kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2)",
            "Bytes of the KV cache: keys and values for every layer, KV head and position.",
            _kv_cases,
            _kv_ref,
            {"Count both K and V (a factor of 2).": lambda *a, **k: _kv_ref(*a, **k) // 2},
        ),
        Exercise(
            "lora_params",
            "finetuning",
            "lora_params",
            "lora_params(d_in, d_out, rank, n_matrices=1)",
            "Trainable parameters LoRA adds: A (rank x d_in) and B (d_out x rank) per adapted matrix.",
            _lora_cases,
            _lora_ref,
            {"LoRA stores two thin matrices, r*(d_in+d_out), not r*d_in*d_out.": _lora_full},
        ),
        Exercise(
            "lstm_step",
            "lstm",
            "lstm_step",
            "lstm_step(x, h, c, W_ih, W_hh, b)",
            "One LSTM step (PyTorch layout: gates i, f, g, o stacked in W_ih (4H, D), W_hh (4H, H), b (4H)). "
            "Return np.concatenate([h_new, c_new]).",
            _lstm_cases,
            _lstm_ref,
            {"h_t = o * tanh(c_t): apply tanh to the new cell state.": _lstm_tanh_output},
            rtol=1e-5,
        ),
        Exercise(
            "gcn_layer",
            "gnn",
            "gcn_layer",
            "gcn_layer(adjacency, features, weight)",
            "One GCN layer without nonlinearity: D^-1/2 (A + I) D^-1/2 X W, with D the degree matrix of A + I.",
            _gcn_cases,
            _gcn_ref,
            {"Add self-loops (A + I) before normalising.": _gcn_no_self_loops},
        ),
        Exercise(
            "alpha_bar",
            "diffusion",
            "alpha_bar",
            "alpha_bar(t, beta_start=1e-4, beta_end=0.02, num_steps=1000)",
            "For a linear beta schedule, return [alpha_bar_t for t in t] where alpha_bar_t = prod_{s<=t}(1-beta_s) "
            "and t is 1-based.",
            _alpha_bar_cases,
            _alpha_bar_ref,
            {"t is 1-based: the product includes beta_t itself.": _alpha_bar_off_by_one},
        ),
        Exercise(
            "regret_matching",
            "cfr",
            "regret_matching",
            "regret_matching(regrets)",
            "CFR's regret matching: a strategy proportional to positive cumulative regrets; uniform if none.",
            _regret_cases,
            _regret_ref,
            {"Clip negative regrets to zero; do not use absolute values.": _regret_abs},
        ),
        Exercise(
            "minimax",
            "game_search",
            "minimax_value",
            "minimax_value(board)",
            "Value of a tic-tac-toe position under perfect play (+1 X wins, 0 draw, -1 O wins). board is a "
            "9-character string of 'X', 'O', '.', row by row; X moves first, so the side to move follows from "
            "the counts.",
            _minimax_cases,
            _minimax_ref,
            {
                "Check whose turn it is: X moves when the counts are equal, O when X has one more, and O minimises "
                "(the value stays from X's side).": _minimax_x_always_moves
            },
        ),
        Exercise(
            "positional_encoding",
            "transformer",
            "positional_encoding",
            "positional_encoding(seq_len, d_model)",
            "Sinusoidal encodings: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same angle).",
            _pe_cases,
            _pe_ref,
            {"Pairs share one frequency: use 2i/d for both columns 2i and 2i+1.": _pe_interleave_wrong},
        ),
        Exercise(
            "adam_step",
            "optimizers",
            "adam_step",
            "adam_step(param, grad, m, v, t, lr=1e-3)",
            "One Adam update (beta1=0.9, beta2=0.999, eps=1e-8) with bias correction; return the new param.",
            _adam_cases,
            _adam_ref,
            {"Divide m and v by (1 - beta^t) (bias correction).": _adam_no_bias_correction},
        ),
        Exercise(
            "gp_mean",
            "gaussian_processes",
            "gp_mean",
            "gp_mean(x_train, y_train, x_test, noise=0.0)",
            "Posterior mean of a zero-mean GP with an RBF kernel (length scale 1, variance 1) at x_test.",
            _gp_cases,
            _gp_ref,
            {
                "Add the noise variance to the diagonal of the training kernel: mean = K*ᵀ (K + noise·I)⁻¹ y.": (
                    _gp_ignores_noise
                ),
                "The RBF kernel is exp(-(x - x')² / 2) for length scale 1: keep the 1/2.": _gp_no_half,
            },
        ),
    ]
}
