"""Every exercise: its reference runs, a correct solution passes, a typical bug fails with the hint that names it."""

from __future__ import annotations

import pytest

from tutor.exercises.catalog import EXERCISES
from tutor.exercises.runner import grade_submission

NP = "import numpy as np\n"
SOLUTIONS = {
    "softmax": NP + "def softmax(x, axis=-1):\n    z = x - np.max(x, axis=axis, keepdims=True)\n"
    "    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)\n",
    "layer_norm": NP + "def layer_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(-1, keepdims=True)\n"
    "    v = x.var(-1, keepdims=True)\n    return (x - m) / np.sqrt(v + eps) * gamma + beta\n",
    "rms_norm": NP + "def rms_norm(x, gamma, eps=1e-6):\n"
    "    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * gamma\n",
    "batch_norm": NP + "def batch_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(0, keepdims=True)\n"
    "    v = x.var(0, keepdims=True)\n    return (x - m) / np.sqrt(v + eps) * gamma + beta\n",
    "attention": NP + "def attention(q, k, v, mask=None):\n    s = q @ k.T / np.sqrt(q.shape[-1])\n"
    "    if mask is not None:\n        s = np.where(mask > 0, s, -np.inf)\n    s = s - s.max(-1, keepdims=True)\n"
    "    w = np.exp(s)\n    return (w / w.sum(-1, keepdims=True)) @ v\n",
    "causal_mask": NP + "def causal_mask(n):\n    return np.tril(np.ones((n, n)))\n",
    "gelu": NP + "import math\ndef gelu(x):\n    erf = np.vectorize(math.erf)\n"
    "    return 0.5 * x * (1 + erf(x / math.sqrt(2)))\n",
    "silu": NP + "def silu(x):\n    return x / (1 + np.exp(-x))\n",
    "cross_entropy": NP + "def cross_entropy(logits, targets):\n    z = logits - logits.max(-1, keepdims=True)\n"
    "    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))\n"
    "    return -logp[np.arange(len(targets)), targets].mean()\n",
    "top_p": NP + "def top_p_filter(probs, p):\n    order = np.argsort(-probs, kind='stable')\n"
    "    cum = np.cumsum(probs[order])\n    n = int(np.argmax(cum >= p - 1e-12)) + 1\n"
    "    out = np.zeros_like(probs)\n    out[order[:n]] = probs[order[:n]]\n    return out / out.sum()\n",
    "kv_cache": "def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2):\n"
    "    return 2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value\n",
    "lora_params": "def lora_params(d_in, d_out, rank, n_matrices=1):\n    return rank * (d_in + d_out) * n_matrices\n",
    "lstm_step": NP + "def lstm_step(x, h, c, W_ih, W_hh, b):\n    i, f, g, o = np.split(W_ih @ x + W_hh @ h + b, 4)\n"
    "    s = lambda a: 1 / (1 + np.exp(-a))\n    c2 = s(f) * c + s(i) * np.tanh(g)\n"
    "    return np.concatenate([s(o) * np.tanh(c2), c2])\n",
    "gcn_layer": NP + "def gcn_layer(adjacency, features, weight):\n    a = adjacency + np.eye(len(adjacency))\n"
    "    d = a.sum(1) ** -0.5\n    return d[:, None] * a * d[None, :] @ features @ weight\n",
    "alpha_bar": NP + "def alpha_bar(t, beta_start=1e-4, beta_end=0.02, num_steps=1000):\n"
    "    betas = np.linspace(beta_start, beta_end, num_steps)\n"
    "    return [float(np.prod(1 - betas[:s])) for s in t]\n",
    "regret_matching": NP + "def regret_matching(r):\n    p = np.maximum(r, 0)\n"
    "    return p / p.sum() if p.sum() > 0 else np.ones(len(r)) / len(r)\n",
    "minimax": "from functools import cache\nLINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8),"
    " (0, 4, 8), (2, 4, 6)]\n@cache\ndef search(board, me):\n    for a, b, c in LINES:\n"
    "        if board[a] != '.' and board[a] == board[b] == board[c]:\n"
    "            return 1 if board[a] == 'X' else -1\n"
    "    if '.' not in board:\n        return 0\n    nxt = 'O' if me == 'X' else 'X'\n"
    "    vals = [search(board[:i] + me + board[i + 1:], nxt) for i in range(9) if board[i] == '.']\n"
    "    return max(vals) if me == 'X' else min(vals)\n"
    "def minimax_value(board):\n    return search(board, 'X' if board.count('X') == board.count('O') else 'O')\n",
    "positional_encoding": NP + "def positional_encoding(seq_len, d_model):\n    pe = np.zeros((seq_len, d_model))\n"
    "    pos = np.arange(seq_len)[:, None]\n    div = 10000 ** (np.arange(0, d_model, 2) / d_model)\n"
    "    pe[:, 0::2] = np.sin(pos / div)\n    pe[:, 1::2] = np.cos(pos / div)\n    return pe\n",
    "adam_step": NP + "def adam_step(param, grad, m, v, t, lr=1e-3):\n    m = 0.9 * m + 0.1 * grad\n"
    "    v = 0.999 * v + 0.001 * grad ** 2\n    mh, vh = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)\n"
    "    return param - lr * mh / (np.sqrt(vh) + 1e-8)\n",
    "gp_mean": NP
    + "def gp_mean(x_train, y_train, x_test, noise=0.0):\n    xt, xs = np.array(x_train), np.array(x_test)\n"
    "    k = lambda a, b: np.exp(-0.5 * (a[:, None] - b[None, :]) ** 2)\n"
    "    return k(xs, xt) @ np.linalg.solve(k(xt, xt) + noise * np.eye(len(xt)), np.array(y_train))\n",
}

# (exercise, learner code with a typical bug, a phrase the hint must contain)
BUGGY = [
    (
        "softmax",
        NP + "def softmax(x, axis=-1):\n    e = np.exp(x)\n    return e / e.sum(axis=axis, keepdims=True)\n",
        "Subtract the max",
    ),
    (
        "softmax",
        NP + "def softmax(x, axis=-1):\n    e = np.exp(x - x.max())\n    return e / e.sum(axis=0)\n",
        "down axis 0",
    ),
    (
        "softmax",
        NP + "def softmax(x, axis=-1):\n    e = np.exp(x - x.max(-1, keepdims=True))\n"
        "    return e / e.sum(-1, keepdims=True)\n",
        "ignores its `axis`",
    ),
    (
        "softmax",
        NP + "def softmax(x, axis=-1):\n    e = np.exp(x - np.max(x, axis=axis))\n    return e / e.sum(axis=axis)\n",
        "keepdims=True",
    ),
    (
        "layer_norm",
        NP + "def layer_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(0, keepdims=True)\n"
        "    v = x.var(0, keepdims=True)\n    return (x - m) / np.sqrt(v + eps) * gamma + beta\n",
        "not over the batch",
    ),
    (
        "layer_norm",
        NP + "def layer_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(-1, keepdims=True)\n"
        "    return (x - m) / (x.std(-1, keepdims=True) + eps) * gamma + beta\n",
        "inside the square root",
    ),
    (
        "rms_norm",
        NP + "def rms_norm(x, gamma, eps=1e-6):\n    c = x - x.mean(-1, keepdims=True)\n"
        "    return c / np.sqrt((c ** 2).mean(-1, keepdims=True) + eps) * gamma\n",
        "does not subtract the mean",
    ),
    (
        "batch_norm",
        NP + "def batch_norm(x, gamma, beta, eps=1e-5):\n    m = x.mean(1, keepdims=True)\n"
        "    v = x.var(1, keepdims=True)\n    return (x - m) / np.sqrt(v + eps) * gamma + beta\n",
        "per feature over the batch",
    ),
    (
        "attention",
        NP + "def attention(q, k, v, mask=None):\n    s = q @ k.T\n    if mask is not None:\n"
        "        s = np.where(mask > 0, s, -np.inf)\n    w = np.exp(s - s.max(-1, keepdims=True))\n"
        "    return (w / w.sum(-1, keepdims=True)) @ v\n",
        "sqrt(d_k)",
    ),
    (
        "attention",
        NP + "def attention(q, k, v, mask=None):\n    s = q @ k.T / np.sqrt(q.shape[-1])\n    if mask is not None:\n"
        "        s = np.where(mask > 0, s, -1e9)\n    w = np.exp(s - s.max(0, keepdims=True))\n"
        "    return (w / w.sum(0, keepdims=True)) @ v\n",
        "over the keys",
    ),
    ("causal_mask", NP + "def causal_mask(n):\n    return np.triu(np.ones((n, n)))\n", "lower-triangular"),
    (
        "gelu",
        NP + "def gelu(x):\n    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))\n",
        "tanh approximation",
    ),
    ("silu", NP + "def silu(x):\n    return 1 / (1 + np.exp(-x))\n", "plain sigmoid"),
    (
        "cross_entropy",
        NP + "def cross_entropy(logits, targets):\n    z = logits - logits.max(-1, keepdims=True)\n"
        "    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))\n"
        "    return -logp[np.arange(len(targets)), targets].sum()\n",
        "mean over examples",
    ),
    (
        "top_p",
        NP + "def top_p_filter(probs, p):\n    order = np.argsort(-probs, kind='stable')\n"
        "    keep = order[np.cumsum(probs[order]) <= p]\n    out = np.zeros_like(probs)\n"
        "    out[keep] = probs[keep]\n    return out / out.sum()\n",
        "Include the token that crosses p",
    ),
    (
        "kv_cache",
        "def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch=1, bytes_per_value=2):\n"
        "    return n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value\n",
        "both K and V",
    ),
    (
        "lora_params",
        "def lora_params(d_in, d_out, rank, n_matrices=1):\n    return rank * d_in * d_out * n_matrices\n",
        "two thin matrices",
    ),
    (
        "lstm_step",
        NP + "def lstm_step(x, h, c, W_ih, W_hh, b):\n    i, f, g, o = np.split(W_ih @ x + W_hh @ h + b, 4)\n"
        "    s = lambda a: 1 / (1 + np.exp(-a))\n    c2 = s(f) * c + s(i) * np.tanh(g)\n"
        "    return np.concatenate([s(o) * c2, c2])\n",
        "tanh to the new cell state",
    ),
    (
        "gcn_layer",
        NP + "def gcn_layer(adjacency, features, weight):\n    deg = adjacency.sum(1)\n"
        "    d = np.where(deg > 0, deg, 1.0) ** -0.5 * (deg > 0)\n"
        "    return d[:, None] * adjacency * d[None, :] @ features @ weight\n",
        "self-loops",
    ),
    (
        "alpha_bar",
        NP + "def alpha_bar(t, beta_start=1e-4, beta_end=0.02, num_steps=1000):\n"
        "    betas = np.linspace(beta_start, beta_end, num_steps)\n"
        "    return [float(np.prod(1 - betas[:s - 1])) for s in t]\n",
        "1-based",
    ),
    (
        "regret_matching",
        NP + "def regret_matching(r):\n    return np.abs(r) / np.abs(r).sum()\n",
        "do not use absolute values",
    ),
    (
        "minimax",
        SOLUTIONS["minimax"].replace("'X' if board.count('X') == board.count('O') else 'O'", "'X'"),
        "whose turn",
    ),
    (
        "positional_encoding",
        NP + "def positional_encoding(seq_len, d_model):\n    pos = np.arange(seq_len)[:, None]\n"
        "    i = np.arange(d_model)[None, :]\n    angle = pos / 10000 ** (i / d_model)\n"
        "    return np.where(i % 2 == 0, np.sin(angle), np.cos(angle))\n",
        "share one frequency",
    ),
    (
        "adam_step",
        NP + "def adam_step(param, grad, m, v, t, lr=1e-3):\n    m = 0.9 * m + 0.1 * grad\n"
        "    v = 0.999 * v + 0.001 * grad ** 2\n    return param - lr * m / (np.sqrt(v) + 1e-8)\n",
        "bias correction",
    ),
    ("gp_mean", SOLUTIONS["gp_mean"].replace(" + noise * np.eye(len(xt))", ""), "noise variance to the diagonal"),
    ("gp_mean", SOLUTIONS["gp_mean"].replace("-0.5 *", "-1.0 *"), "keep the 1/2"),
]


def test_at_least_fifteen_exercises_across_topics() -> None:
    assert len(EXERCISES) >= 15 and len({e.topic for e in EXERCISES.values()}) >= 10


def test_every_exercise_has_a_solution_a_bug_and_known_bug_hints() -> None:
    assert set(SOLUTIONS) == set(EXERCISES)
    assert {name for name, _, _ in BUGGY} == set(EXERCISES)
    assert all(ex.bugs for ex in EXERCISES.values())


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_answers_every_case(name: str) -> None:
    ex = EXERCISES[name]
    for case in ex.cases():
        ex.reference(*case["args"], **case.get("kwargs", {}))


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_correct_solution_passes(name: str) -> None:
    result = grade_submission(name, SOLUTIONS[name])
    assert result.verdict == "pass" and result.failed == 0, result.as_dict()


@pytest.mark.parametrize(("name", "source", "hint"), BUGGY, ids=[f"{n}: {h}" for n, _, h in BUGGY])
def test_typical_bug_fails_with_its_hint(name: str, source: str, hint: str) -> None:
    result = grade_submission(name, source)
    assert result.verdict == "fail" and hint in result.hint, result.as_dict()
    failing = next(c for c in result.cases if not c["passed"])
    assert failing["expected"] and failing["input"]


def test_a_wrong_shape_is_not_blamed_on_broadcasting() -> None:
    source = NP + "def softmax(x, axis=-1):\n    return np.ones(7)\n"
    result = grade_submission("softmax", source)
    assert result.verdict == "fail" and "output shape" in result.hint and "keepdims" not in result.hint
