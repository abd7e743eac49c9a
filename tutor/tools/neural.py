"""Sequence models, attention and the building blocks of a network."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from tutor.tools.arrays import (
    MAX_TOKENS,
    Epsilon,
    Heads,
    Seed,
    Width,
    as_array,
    fmt,
    require,
    require_result_size,
    require_temperature,
    require_tokens,
    sigmoid,
    stable_softmax,
)
from tutor.tools.registry import tool

Matrix = list[list[float]]
Vector = list[float]


def _gates(x: Vector, h_prev: Vector, W_ih: Matrix, W_hh: Matrix, b_ih: Vector | None, b_hh: Vector | None, k: int):
    xv, hv = as_array(x, "x", ndim=1), as_array(h_prev, "h_prev", ndim=1)
    wi, wh = as_array(W_ih, "W_ih", ndim=2), as_array(W_hh, "W_hh", ndim=2)
    hidden = hv.shape[0]
    require(
        wi.shape == (k * hidden, xv.shape[0]),
        f"W_ih must be ({k}*H, D) = ({k * hidden}, {xv.shape[0]}), got {wi.shape}",
    )
    require(wh.shape == (k * hidden, hidden), f"W_hh must be ({k}*H, H) = ({k * hidden}, {hidden}), got {wh.shape}")
    bi = as_array(b_ih, "b_ih", ndim=1) if b_ih is not None else np.zeros(k * hidden)
    bh = as_array(b_hh, "b_hh", ndim=1) if b_hh is not None else np.zeros(k * hidden)
    require(bi.shape == (k * hidden,) and bh.shape == (k * hidden,), f"biases must have length {k}*H = {k * hidden}")
    return xv, hv, wi @ xv + bi, wh @ hv + bh


@tool(
    {
        "x": [1.0, 0.5],
        "h_prev": [0.0],
        "c_prev": [0.0],
        "W_ih": [[0.5, 0.1], [0.4, -0.2], [0.3, 0.8], [-0.1, 0.6]],
        "W_hh": [[0.2], [0.5], [-0.3], [0.4]],
    }
)
def lstm_step(
    x: Vector,
    h_prev: Vector,
    c_prev: Vector,
    W_ih: Matrix,
    W_hh: Matrix,
    b_ih: Vector | None = None,
    b_hh: Vector | None = None,
) -> dict[str, Any]:
    """One LSTM cell step (PyTorch layout, gates i, f, g, o): every gate, the new cell and hidden state."""
    _, _, gx, gh = _gates(x, h_prev, W_ih, W_hh, b_ih, b_hh, 4)
    c0 = as_array(c_prev, "c_prev", ndim=1)
    z = gx + gh
    i, f, g, o = np.split(z, 4)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c = f * c0 + i * g
    h = o * np.tanh(c)
    return {
        "i": i,
        "f": f,
        "g": g,
        "o": o,
        "c": c,
        "h": h,
        "explanation": [
            f"pre-activations z = W_ih x + b_ih + W_hh h_prev + b_hh = {fmt(z)}",
            f"i = σ(z_i) = {fmt(i)}, f = σ(z_f) = {fmt(f)}, g = tanh(z_g) = {fmt(g)}, o = σ(z_o) = {fmt(o)}",
            f"c = f ⊙ c_prev + i ⊙ g = {fmt(c)}",
            f"h = o ⊙ tanh(c) = {fmt(h)}",
        ],
    }


@tool({"x": [1.0, 0.5], "h_prev": [0.4], "W_ih": [[0.3, -0.2], [0.1, 0.4], [0.6, 0.5]], "W_hh": [[0.5], [-0.3], [0.8]]})
def gru_step(
    x: Vector, h_prev: Vector, W_ih: Matrix, W_hh: Matrix, b_ih: Vector | None = None, b_hh: Vector | None = None
) -> dict[str, Any]:
    """One GRU cell step (PyTorch equations, gates r, z, n): reset, update, candidate and new hidden state."""
    _, hv, gx, gh = _gates(x, h_prev, W_ih, W_hh, b_ih, b_hh, 3)
    xr, xz, xn = np.split(gx, 3)
    hr, hz, hn = np.split(gh, 3)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    h = (1 - z) * n + z * hv
    return {
        "r": r,
        "z": z,
        "n": n,
        "h": h,
        "explanation": [
            f"r = σ(W_ir x + b_ir + W_hr h + b_hr) = {fmt(r)}",
            f"z = σ(W_iz x + b_iz + W_hz h + b_hz) = {fmt(z)}",
            f"n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) = {fmt(n)}",
            f"h = (1 - z) ⊙ n + z ⊙ h_prev = {fmt(h)}",
        ],
    }


def _attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool) -> tuple[np.ndarray, np.ndarray]:
    require(q.shape[-1] == k.shape[-1], f"q and k need the same last dimension, got {q.shape} and {k.shape}")
    require(k.shape[0] == v.shape[0], f"k and v need the same number of rows, got {k.shape} and {v.shape}")
    scores = q @ k.T / math.sqrt(q.shape[-1])
    if causal:
        require(q.shape[0] == k.shape[0], "a causal mask needs as many queries as keys")
        scores = np.where(np.tril(np.ones_like(scores)) > 0, scores, -np.inf)
    return scores, stable_softmax(scores)


@tool(
    {
        "q": [[1, 0], [0, 1], [1, 1], [0, 0]],
        "k": [[1, 0], [0, 1], [1, 1], [0, 0]],
        "v": [[1, 2], [3, 4], [5, 6], [7, 8]],
        "causal": False,
    }
)
def attention(q: Matrix, k: Matrix, v: Matrix, causal: bool = False) -> dict[str, Any]:
    """Scaled dot-product attention with an optional causal mask: scores, weights and output."""
    qa, ka, va = as_array(q, "q", ndim=2), as_array(k, "k", ndim=2), as_array(v, "v", ndim=2)
    require_tokens(len(qa), "q")
    require_tokens(len(ka), "k")
    require_result_size(len(qa) * va.shape[1], "the output (q rows × v columns)")
    scores, weights = _attend(qa, ka, va, causal)
    out = weights @ va
    # JSON has no -inf, and a stand-in such as -1e9 reads as a real score: a masked entry is null.
    return {
        "scores": np.where(np.isfinite(scores), scores, None),
        "weights": weights,
        "output": out,
        "explanation": [
            f"scores = q kᵀ / √d_k with d_k = {qa.shape[1]}"
            + (
                "; future positions are masked (-inf before the softmax, so their weight is 0), shown as null"
                if causal
                else ""
            ),
            "weights = softmax over the keys (each row sums to 1)",
            "output = weights · v",
        ],
    }


@tool({"n": 5})
def causal_mask(n: int) -> dict[str, Any]:
    """Causal (look-ahead) mask of size n: 1 where attention is allowed (j <= i), 0 elsewhere."""
    require(1 <= n <= MAX_TOKENS, f"n must be between 1 and {MAX_TOKENS}")
    mask = np.tril(np.ones((n, n), dtype=int))
    return {
        "mask": mask,
        "allowed": int(mask.sum()),
        "explanation": [
            "row i may attend to columns 0..i (lower triangle, diagonal included)",
            f"{int(mask.sum())} of {n * n} positions allowed; blocked ones get -inf before the softmax",
        ],
    }


@tool(
    {
        "x": [[1, 0, 1, 0], [0, 1, 0, 1]],
        "w_q": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        "w_k": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        "w_v": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        "w_o": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
        "n_heads": 2,
    }
)
def multi_head_attention(
    x: Matrix, w_q: Matrix, w_k: Matrix, w_v: Matrix, w_o: Matrix, n_heads: Heads, causal: bool = False
) -> dict[str, Any]:
    """Multi-head self-attention: project, split into heads, attend per head, concatenate, project out."""
    xa = as_array(x, "x", ndim=2)
    n, d = xa.shape
    require_tokens(n, "x")
    require(d % n_heads == 0, f"d_model {d} must be divisible by n_heads {n_heads}")
    require_result_size(n_heads * n * n, "the per-head weights (n_heads × tokens²)")
    mats = {key: as_array(m, key, ndim=2) for key, m in (("w_q", w_q), ("w_k", w_k), ("w_v", w_v), ("w_o", w_o))}
    for name, m in mats.items():
        require(m.shape == (d, d), f"{name} must be (d_model, d_model) = ({d}, {d}), got {m.shape}")
    hd = d // n_heads
    q, k, v = xa @ mats["w_q"], xa @ mats["w_k"], xa @ mats["w_v"]
    heads, outs = [], []
    for h in range(n_heads):
        sl = slice(h * hd, (h + 1) * hd)
        _, w = _attend(q[:, sl], k[:, sl], v[:, sl], causal)
        heads.append(w)
        outs.append(w @ v[:, sl])
    concat = np.concatenate(outs, axis=1)
    return {
        "heads": heads,
        "concat": concat,
        "output": concat @ mats["w_o"],
        "explanation": [
            f"head size = d_model / n_heads = {d} / {n_heads} = {hd}",
            "each head attends with its own slice of Q, K, V",
            "heads are concatenated along features, then multiplied by w_o",
        ],
    }


@tool({"seq_len": 4, "d_model": 6})
def positional_encoding(
    seq_len: Annotated[int, Field(ge=1, le=4096)], d_model: Annotated[int, Field(ge=2, le=1024)], base: float = 10000.0
) -> dict[str, Any]:
    """Sinusoidal positional encodings: PE[pos, 2i] = sin(pos/base^(2i/d)), PE[pos, 2i+1] = cos(same angle)."""
    require(d_model % 2 == 0, f"d_model must be even (columns come in sin/cos pairs), got {d_model}")
    require(base > 0, "base must be positive")
    require_result_size(seq_len * d_model, "the encoding (seq_len × d_model)")
    pos = np.arange(seq_len)[:, None]
    freq = base ** (np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((seq_len, d_model))
    pe[:, 0::2] = np.sin(pos / freq)
    pe[:, 1::2] = np.cos(pos / freq)
    return {
        "pe": pe,
        "explanation": [
            f"frequencies 1/base^(2i/d) for i = 0..{d_model // 2 - 1}",
            "even columns sin, odd columns cos of pos × frequency",
        ],
    }


@tool({"x": [[1, 0, 1, 0], [1, 0, 1, 0]]})
def rope(x: Matrix, positions: list[int] | None = None, base: float = 10000.0) -> dict[str, Any]:
    """Rotary position embedding: rotate each pair (2i, 2i+1) of x at position p by angle p·base^(-2i/d)."""
    xa = as_array(x, "x", ndim=2)
    n, d = xa.shape
    require(d % 2 == 0, "the feature dimension must be even")
    require(base > 0, "base must be positive")
    pos = np.arange(n) if positions is None else as_array(positions, "positions", ndim=1)
    require(len(pos) == n, "positions must have one entry per row of x")
    theta = base ** (-np.arange(0, d, 2) / d)
    angles = pos[:, None] * theta[None, :]
    cos, sin = np.cos(angles), np.sin(angles)
    out = np.empty_like(xa)
    out[:, 0::2] = xa[:, 0::2] * cos - xa[:, 1::2] * sin
    out[:, 1::2] = xa[:, 0::2] * sin + xa[:, 1::2] * cos
    return {
        "rotated": out,
        "angles": angles,
        "explanation": [
            "pair (x_2i, x_2i+1) is rotated by angle pos·θ_i with θ_i = base^(-2i/d)",
            "dot products of rotated q and k depend only on the relative position",
        ],
    }


@tool({"x": [1.0, 2.0, 3.0], "temperature": 1.0})
def softmax(x: Vector | Matrix, temperature: float = 1.0) -> dict[str, Any]:
    """Numerically stable softmax over the last axis, with temperature."""
    require_temperature(temperature, "as temperature → 0 the softmax approaches a one-hot argmax")
    xa = as_array(x, "x", ndim=(1, 2))
    probs = stable_softmax(xa / temperature)
    return {
        "probs": probs,
        "explanation": [
            f"divide by temperature {temperature}",
            "subtract the max (stability)",
            "exponentiate and normalise so each row sums to 1",
        ],
    }


@tool({"logits": [2.0, 1.0, 0.1], "target": 0})
def cross_entropy(logits: Vector | Matrix, target: int | list[int]) -> dict[str, Any]:
    """Cross-entropy from logits via log-sum-exp (mean over rows for a batch), with probabilities and perplexity."""
    la = as_array(logits, "logits", ndim=(1, 2))
    batch = la if la.ndim == 2 else la[None, :]
    targets = np.atleast_1d(np.asarray(target, dtype=int))
    require(len(targets) == batch.shape[0], f"need one target per row: {batch.shape[0]} rows, {len(targets)} targets")
    require(
        bool(np.all((targets >= 0) & (targets < batch.shape[1]))),
        f"targets must be class indices 0..{batch.shape[1] - 1}",
    )
    z = batch - batch.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    losses = -logp[np.arange(len(targets)), targets]
    loss = float(losses.mean())
    perplexity = math.exp(loss) if loss < 700 else None  # e^loss overflows a float beyond ~709
    probs = np.exp(logp)
    return {
        "loss": loss,
        "losses": losses,
        "probs": probs if la.ndim == 2 else probs[0],
        "perplexity": perplexity,
        "explanation": [
            "log p = logits - logsumexp(logits)",
            f"loss = -log p[target] = {fmt(losses)}",
            f"mean loss {loss:.4f}; perplexity = e^loss = {'overflow' if perplexity is None else f'{perplexity:.4f}'}",
        ],
    }


def _norm_params(x: np.ndarray, gamma: Vector | None, beta: Vector | None, axis_len: int):
    g = as_array(gamma, "gamma", ndim=1) if gamma is not None else np.ones(axis_len)
    b = as_array(beta, "beta", ndim=1) if beta is not None else np.zeros(axis_len)
    require(g.shape == (axis_len,) and b.shape == (axis_len,), f"gamma and beta must have length {axis_len}")
    return g, b


@tool({"x": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]})
def layer_norm(
    x: Vector | Matrix | list[Matrix], gamma: Vector | None = None, beta: Vector | None = None, eps: Epsilon = 1e-5
) -> dict[str, Any]:
    """LayerNorm over the last (feature) axis of each example, then scale by gamma and shift by beta."""
    xa = as_array(x, "x", ndim=(1, 2, 3))
    g, b = _norm_params(xa, gamma, beta, xa.shape[-1])
    mean, var = xa.mean(axis=-1, keepdims=True), xa.var(axis=-1, keepdims=True)
    y = (xa - mean) / np.sqrt(var + eps) * g + b
    return {
        "y": y,
        "mean": mean[..., 0],
        "var": var[..., 0],
        "explanation": [
            "mean and (biased) variance over the last axis, per example",
            "y = (x - mean) / sqrt(var + eps) · gamma + beta",
        ],
    }


@tool({"x": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]})
def rms_norm(x: Vector | Matrix | list[Matrix], gamma: Vector | None = None, eps: Epsilon = 1e-6) -> dict[str, Any]:
    """RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · gamma (no mean subtraction, no bias)."""
    xa = as_array(x, "x", ndim=(1, 2, 3))
    g, _ = _norm_params(xa, gamma, None, xa.shape[-1])
    rms = np.sqrt((xa**2).mean(axis=-1, keepdims=True) + eps)
    return {
        "y": xa / rms * g,
        "rms": rms[..., 0],
        "explanation": ["rms = sqrt(mean(x²) + eps) over the last axis", "y = x / rms · gamma"],
    }


@tool({"x": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]})
def batch_norm(
    x: Matrix, gamma: Vector | None = None, beta: Vector | None = None, eps: Epsilon = 1e-5
) -> dict[str, Any]:
    """Training-mode BatchNorm of (batch, features): statistics per feature over the batch (axis 0)."""
    xa = as_array(x, "x", ndim=2)
    g, b = _norm_params(xa, gamma, beta, xa.shape[1])
    mean, var = xa.mean(axis=0), xa.var(axis=0)
    return {
        "y": (xa - mean) / np.sqrt(var + eps) * g + b,
        "mean": mean,
        "var": var,
        "explanation": [
            "mean and biased variance per feature over the batch",
            "at inference, running averages replace them",
        ],
    }


def _activation(name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.special import erf

    s = sigmoid(x)
    if name == "relu":
        return np.maximum(x, 0), (x > 0).astype(float)
    if name == "leaky_relu":
        return np.where(x > 0, x, 0.01 * x), np.where(x > 0, 1.0, 0.01)
    if name == "gelu":
        cdf, pdf = 0.5 * (1 + erf(x / math.sqrt(2))), np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
        return x * cdf, cdf + x * pdf
    if name == "gelu_tanh":
        c = math.sqrt(2 / math.pi)
        t = np.tanh(c * (x + 0.044715 * x**3))
        return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * c * (1 + 3 * 0.044715 * x**2)
    if name in ("silu", "swish"):
        return x * s, s * (1 + x * (1 - s))
    if name == "tanh":
        return np.tanh(x), 1 - np.tanh(x) ** 2
    if name == "sigmoid":
        return s, s * (1 - s)
    if name == "softplus":
        return np.logaddexp(0, x), s
    raise ValueError(f"unknown activation {name!r}")


@tool({"name": "gelu", "x": [-1.0, 0.0, 1.0], "derivative": False})
def activation(
    name: Literal["relu", "leaky_relu", "gelu", "gelu_tanh", "silu", "swish", "tanh", "sigmoid", "softplus"],
    x: Vector | Matrix,
    derivative: bool = False,
) -> dict[str, Any]:
    """An activation (relu, leaky_relu, gelu, gelu_tanh, silu/swish, tanh, sigmoid, softplus) or its derivative."""
    xa = as_array(x, "x", ndim=(0, 1, 2))
    y, dy = _activation(name, xa)
    return {"y": dy if derivative else y, "explanation": [f"{name}{chr(39) if derivative else ''}(x) element-wise"]}


@tool({"input_size": 32, "kernel_size": 3, "stride": 1, "padding": 1, "in_channels": 3, "out_channels": 64})
def conv_output_size(
    input_size: Width,
    kernel_size: Width,
    stride: Width = 1,
    padding: Annotated[int, Field(ge=0, le=1_000_000)] = 0,
    dilation: Width = 1,
    in_channels: Width | None = None,
    out_channels: Width | None = None,
    bias: bool = True,
    spatial_dims: Annotated[int, Field(ge=1, le=3)] = 2,
) -> dict[str, Any]:
    """Convolution output size per spatial dimension, floor((n + 2p - d(k-1) - 1)/s) + 1, and the layer's parameters."""
    require((in_channels is None) == (out_channels is None), "give both in_channels and out_channels, or neither")
    span = dilation * (kernel_size - 1) + 1
    padded = input_size + 2 * padding
    require(span <= padded, f"the kernel spans {span} cells but the padded input has only {padded}")
    out = (padded - span) // stride + 1
    steps = [
        f"effective kernel d(k-1)+1 = {span}; floor(({input_size} + 2·{padding} - {span})/{stride}) + 1 = {out}",
    ]
    params = None
    if in_channels is not None and out_channels is not None:
        weights = kernel_size**spatial_dims * in_channels * out_channels
        params = weights + (out_channels if bias else 0)
        steps.append(
            f"parameters: {kernel_size}^{spatial_dims}·{in_channels}·{out_channels} = {weights:,}"
            + (f" + {out_channels} biases = {params:,}" if bias else "")
            + " (weights are shared across positions, so the input size does not matter)"
        )
    return {"output_size": out, "params": params, "explanation": steps}


@tool({"param": [1.0, -2.0], "grad": [0.1, -0.3], "t": 1})
def adam_step(
    param: Vector,
    grad: Vector,
    m: Vector | None = None,
    v: Vector | None = None,
    t: int = 1,
    lr: float = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: Epsilon = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = True,
) -> dict[str, Any]:
    """One Adam (decoupled=False: L2 in the gradient) or AdamW (decoupled=True) step with bias correction."""
    p, g = as_array(param, "param", ndim=1), as_array(grad, "grad", ndim=1)
    require(p.shape == g.shape, "param and grad must have the same length")
    require(t >= 1, "t counts steps from 1")
    require(0 <= beta1 < 1 and 0 <= beta2 < 1, "beta1 and beta2 must be in [0, 1)")
    m0 = as_array(m, "m", ndim=1) if m is not None else np.zeros_like(p)
    v0 = as_array(v, "v", ndim=1) if v is not None else np.zeros_like(p)
    if weight_decay and not decoupled:
        g = g + weight_decay * p
    m1 = beta1 * m0 + (1 - beta1) * g
    v1 = beta2 * v0 + (1 - beta2) * g**2
    m_hat, v_hat = m1 / (1 - beta1**t), v1 / (1 - beta2**t)
    new = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    if weight_decay and decoupled:
        new = new - lr * weight_decay * p
    return {
        "param": new,
        "m": m1,
        "v": v1,
        "m_hat": m_hat,
        "v_hat": v_hat,
        "explanation": [
            f"m = β1 m + (1-β1) g = {fmt(m1)}",
            f"v = β2 v + (1-β2) g² = {fmt(v1)}",
            f"bias correction: m̂ = m/(1-β1^{t}), v̂ = v/(1-β2^{t})",
            f"param -= lr · m̂ / (√v̂ + eps) → {fmt(new)}",
        ],
    }


@tool({"corpus": "low lower lowest newer newest", "num_merges": 4})
def bpe_merges(corpus: str, num_merges: int) -> dict[str, Any]:
    """Run byte-pair-encoding merges on a toy corpus (characters start as symbols; ties go to the smallest pair)."""
    require(0 <= num_merges <= 200, "num_merges must be between 0 and 200")
    require(len(corpus) <= 5000 and corpus.strip() != "", "corpus must be non-empty text of at most 5000 characters")
    words = [list(w) for w in corpus.split()]
    merges, steps = [], []
    for _ in range(num_merges):
        counts: Counter[tuple[str, str]] = Counter()
        for w in words:
            counts.update(itertools.pairwise(w))
        if not counts:
            break
        best = max(counts.values())
        pair = min(p for p, c in counts.items() if c == best)
        merges.append(list(pair))
        steps.append(f"merge {pair[0]!r}+{pair[1]!r} (count {best})")
        words = [_merge(w, pair) for w in words]
    vocab = sorted({s for w in words for s in w})
    return {"merges": merges, "tokens": words, "vocab": vocab, "explanation": steps or ["no pairs to merge"]}


def _merge(word: list[str], pair: tuple[str, str]) -> list[str]:
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


@tool({"logits": [2.0, 1.0, 0.5, -1.0], "strategy": "top_p", "p": 0.9})
def sample_next_token(
    logits: Vector,
    strategy: Literal["greedy", "temperature", "top_k", "top_p"] = "greedy",
    temperature: float = 1.0,
    k: int | None = None,
    p: float | None = None,
    seed: Seed = 0,
) -> dict[str, Any]:
    """Pick the next token: greedy, temperature, top-k or top-p (nucleus) sampling; probs cover the full vocabulary."""
    la = as_array(logits, "logits", ndim=1)
    require_temperature(temperature, "strategy 'greedy' is the temperature → 0 limit")
    # k or p without its strategy would be ignored, giving an answer to a different question than the one asked
    require(k is None or strategy == "top_k", f"k is used only with strategy 'top_k', not {strategy!r}")
    require(p is None or strategy == "top_p", f"p is used only with strategy 'top_p', not {strategy!r}")
    probs = stable_softmax(la / temperature)
    keep = np.ones_like(probs, dtype=bool)
    order = np.argsort(-la, kind="stable")  # by logit, not probability: probabilities can tie after rounding
    if strategy == "top_k":
        require(k is not None, "strategy 'top_k' needs k")
        require(1 <= k <= len(la), f"top_k needs 1 <= k <= {len(la)} (the vocabulary size), got k = {k}")
        keep[:] = False
        keep[order[:k]] = True
    elif strategy == "top_p":
        require(p is not None, "strategy 'top_p' needs p")
        require(0 < p <= 1, f"top_p needs 0 < p <= 1, got p = {p:g}")
        cum = np.cumsum(probs[order])
        keep[:] = False
        keep[order[: int(np.searchsorted(cum, p - 1e-12)) + 1]] = True
    filtered = np.where(keep, probs, 0.0)
    filtered /= filtered.sum()
    token = int(order[0]) if strategy == "greedy" else int(np.random.default_rng(seed).choice(len(la), p=filtered))
    candidates = [int(i) for i in order if keep[i]]
    return {
        "token": token,
        "probs": filtered,
        "candidates": candidates,
        "explanation": [
            f"softmax(logits / {temperature})",
            f"{strategy}: kept tokens {candidates}",
            f"chose token {token}",
        ],
    }
