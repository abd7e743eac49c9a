"""Each tool against an independent source: torch, scikit-learn, closed forms and published values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tutor.cli import app
from tutor.errors import ToolError
from tutor.tools.registry import list_tools, run_tool

rng = np.random.default_rng(0)


def test_lstm_and_gru_match_torch_cells() -> None:
    d, h = 3, 2
    x, h0, c0 = rng.normal(size=d), rng.normal(size=h), rng.normal(size=h)
    cell = torch.nn.LSTMCell(d, h).double()
    args = {
        "x": x.tolist(),
        "h_prev": h0.tolist(),
        "c_prev": c0.tolist(),
        "W_ih": cell.weight_ih.tolist(),
        "W_hh": cell.weight_hh.tolist(),
        "b_ih": cell.bias_ih.tolist(),
        "b_hh": cell.bias_hh.tolist(),
    }
    out = run_tool("lstm_step", args)
    th, tc = cell(torch.tensor(x)[None], (torch.tensor(h0)[None], torch.tensor(c0)[None]))
    assert np.allclose(out["h"], th[0].detach()) and np.allclose(out["c"], tc[0].detach())
    gru = torch.nn.GRUCell(d, h).double()
    args = {
        "x": x.tolist(),
        "h_prev": h0.tolist(),
        "W_ih": gru.weight_ih.tolist(),
        "W_hh": gru.weight_hh.tolist(),
        "b_ih": gru.bias_ih.tolist(),
        "b_hh": gru.bias_hh.tolist(),
    }
    assert np.allclose(run_tool("gru_step", args)["h"], gru(torch.tensor(x)[None], torch.tensor(h0)[None])[0].detach())


@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch(causal: bool) -> None:
    q, k, v = (rng.normal(size=(4, 8)) for _ in range(3))
    out = run_tool("attention", {"q": q.tolist(), "k": k.tolist(), "v": v.tolist(), "causal": causal})
    ref = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a)[None] for a in (q, k, v)), is_causal=causal
    )
    assert np.allclose(out["output"], ref[0]) and np.allclose(np.sum(out["weights"], axis=1), 1)


def test_attention_masked_scores_are_null_as_the_explanation_says() -> None:
    q = rng.normal(size=(3, 2)).tolist()
    out = run_tool("attention", {"q": q, "k": q, "v": q, "causal": True})
    masked = [[j > i for j in range(3)] for i in range(3)]
    assert [[s is None for s in row] for row in out["scores"]] == masked
    assert all(w == 0 for row, m in zip(out["weights"], masked, strict=True) for w, x in zip(row, m, strict=True) if x)
    assert "masked (-inf before the softmax, so their weight is 0), shown as null" in out["explanation"][0]
    unmasked = run_tool("attention", {"q": q, "k": q, "v": q})
    assert all(isinstance(s, float) for row in unmasked["scores"] for s in row)
    assert "null" not in unmasked["explanation"][0]


def test_multi_head_attention_matches_torch() -> None:
    d, heads = 4, 2
    x = rng.normal(size=(3, d))
    mha = torch.nn.MultiheadAttention(d, heads, bias=False, batch_first=True).double()
    wq, wk, wv = mha.in_proj_weight.detach().numpy().reshape(3, d, d)
    args = {
        "x": x.tolist(),
        "w_q": wq.T.tolist(),
        "w_k": wk.T.tolist(),
        "w_v": wv.T.tolist(),
        "w_o": mha.out_proj.weight.detach().numpy().T.tolist(),
        "n_heads": heads,
    }
    xt = torch.tensor(x)[None]
    assert np.allclose(run_tool("multi_head_attention", args)["output"], mha(xt, xt, xt)[0][0].detach())


def test_norms_softmax_and_cross_entropy_match_torch() -> None:
    x = rng.normal(size=(3, 5))
    g, b = rng.normal(size=5), rng.normal(size=5)
    xt = torch.tensor(x)
    ln = torch.nn.functional.layer_norm(xt, (5,), torch.tensor(g), torch.tensor(b))
    assert np.allclose(run_tool("layer_norm", {"x": x.tolist(), "gamma": g.tolist(), "beta": b.tolist()})["y"], ln)
    rms = torch.nn.functional.rms_norm(xt, (5,), torch.tensor(g), eps=1e-6)
    assert np.allclose(run_tool("rms_norm", {"x": x.tolist(), "gamma": g.tolist()})["y"], rms)
    bn = torch.nn.functional.batch_norm(xt, None, None, torch.tensor(g), torch.tensor(b), training=True)
    assert np.allclose(run_tool("batch_norm", {"x": x.tolist(), "gamma": g.tolist(), "beta": b.tolist()})["y"], bn)
    assert np.allclose(run_tool("softmax", {"x": x.tolist(), "temperature": 2.0})["probs"], torch.softmax(xt / 2, -1))
    ce = torch.nn.functional.cross_entropy(xt, torch.tensor([0, 4, 2]))
    assert math.isclose(run_tool("cross_entropy", {"logits": x.tolist(), "target": [0, 4, 2]})["loss"], ce.item())


@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "tanh", "sigmoid", "softplus", "gelu_tanh"])
def test_activations_and_derivatives_match_autograd(name: str) -> None:
    x = torch.linspace(-4, 4, 17, dtype=torch.float64, requires_grad=True)
    fns = {
        "relu": torch.relu,
        "gelu": torch.nn.functional.gelu,
        "silu": torch.nn.functional.silu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "softplus": torch.nn.functional.softplus,
        "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    }
    y = fns[name](x)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert np.allclose(run_tool("activation", {"name": name, "x": x.tolist()})["y"], y.detach())
    assert np.allclose(
        run_tool("activation", {"name": name, "x": x.tolist(), "derivative": True})["y"], grad, atol=1e-7
    )


@pytest.mark.parametrize("decoupled", [True, False])
def test_adam_step_matches_torch(decoupled: bool) -> None:
    p, grad = rng.normal(size=4), rng.normal(size=4)
    param = torch.tensor(p, requires_grad=True)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls([param], lr=0.01, weight_decay=0.1)
    param.grad = torch.tensor(grad)
    opt.step()
    out = run_tool(
        "adam_step",
        {"param": p.tolist(), "grad": grad.tolist(), "lr": 0.01, "weight_decay": 0.1, "decoupled": decoupled},
    )
    assert np.allclose(out["param"], param.detach())


def test_gp_posterior_matches_sklearn() -> None:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    xt, yt, xs = np.array([-1.0, 0.0, 1.5]), np.array([0.5, 0.0, -0.5]), np.array([0.3, 4.0])
    gp = GaussianProcessRegressor(ConstantKernel(2.0, "fixed") * RBF(0.7, "fixed"), alpha=0.1, optimizer=None)
    gp.fit(xt[:, None], yt)
    mean, std = gp.predict(xs[:, None], return_std=True)
    out = run_tool(
        "gp_posterior",
        {
            "x_train": xt.tolist(),
            "y_train": yt.tolist(),
            "x_test": xs.tolist(),
            "length_scale": 0.7,
            "variance": 2.0,
            "noise": 0.1,
        },
    )
    assert np.allclose(out["mean"], mean, atol=1e-6) and np.allclose(out["variance"], std**2, atol=1e-6)


def test_closed_forms() -> None:
    assert run_tool("lora_params", {"d_in": 4096, "d_out": 4096, "rank": 8})["params"] == 8 * (4096 + 4096)
    assert (
        run_tool("kv_cache_bytes", {"n_layers": 32, "n_kv_heads": 8, "head_dim": 128, "seq_len": 4096, "batch": 2})[
            "bytes"
        ]
        == 2 * 32 * 8 * 128 * 4096 * 2 * 2
    )
    pe = np.array(run_tool("positional_encoding", {"seq_len": 3, "d_model": 4})["pe"])
    assert math.isclose(pe[2, 2], math.sin(2 / 10000 ** (2 / 4))) and math.isclose(pe[2, 3], math.cos(2 / 100))
    ab = run_tool("ddpm_forward", {"x0": [1.0], "t": [1, 2, 3]})["alpha_bar"]
    betas = np.linspace(1e-4, 0.02, 1000)
    assert np.allclose(ab, np.cumprod(1 - betas)[:3])
    assert run_tool("llm_memory", {"n_params": 1e9, "training": True})["bytes_per_param_total"] == 16
    gpt2 = run_tool("transformer_params", {"d_model": 768, "n_layers": 12, "vocab_size": 50257, "max_seq_len": 1024})
    assert abs(gpt2["params"] - 124_439_808) < 1_000


def test_game_theory_published_values() -> None:
    assert abs(run_tool("cfr_kuhn", {"iterations": 3000})["game_value"] + 1 / 18) < 3e-3
    fp = run_tool("fictitious_play", {"row_payoffs": [[0, -1, 1], [1, 0, -1], [-1, 1, 0]], "iterations": 5000})
    assert np.allclose(fp["row_strategy"], 1 / 3, atol=0.02)
    mixed = run_tool("nash_2x2", {"row_payoffs": [[1, -1], [-1, 1]], "col_payoffs": [[-1, 1], [1, -1]]})
    assert mixed["equilibria"] == [{"row": [0.5, 0.5], "col": [0.5, 0.5], "payoffs": [0.0, 0.0], "type": "mixed"}]
    assert run_tool("minimax", {"board": "........."})["value"] == 0
    pd = run_tool("prisoners_dilemma", {})
    assert pd["equilibria"][0]["row"] == "D" and "CC" in pd["pareto_optimal"] and pd["is_dilemma"]
    assert run_tool("mcts", {"iterations": 300, "start": [1, 2]})["best_action"] == "1:1"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=8), st.floats(0.1, 5))
def test_softmax_sums_to_one_and_is_shift_invariant(x: list[float], temperature: float) -> None:
    p = np.array(run_tool("softmax", {"x": x, "temperature": temperature})["probs"])
    shifted = np.array(run_tool("softmax", {"x": [v + 7 for v in x], "temperature": temperature})["probs"])
    assert math.isclose(p.sum(), 1, rel_tol=1e-9) and np.allclose(p, shifted)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 12))
def test_causal_mask_is_lower_triangular(n: int) -> None:
    mask = np.array(run_tool("causal_mask", {"n": n})["mask"])
    assert (mask == np.tril(np.ones((n, n)))).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=4, max_size=4), st.lists(st.integers(-5, 5), min_size=4, max_size=4))
def test_equilibria_are_mutual_best_responses(a: list[int], b: list[int]) -> None:
    A, B = np.array(a, float).reshape(2, 2), np.array(b, float).reshape(2, 2)
    for eq in run_tool("nash_2x2", {"row_payoffs": A.tolist(), "col_payoffs": B.tolist()})["equilibria"]:
        r, c = np.array(eq["row"]), np.array(eq["col"])
        assert r @ A @ c >= max(A @ c) - 1e-9 and r @ B @ c >= max(r @ B) - 1e-9


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(-100, 100), min_size=3, max_size=3), min_size=1, max_size=4))
def test_layer_norm_output_is_standardised(x: list[list[float]]) -> None:
    arr = np.array(x)
    y = np.array(run_tool("layer_norm", {"x": x, "eps": 0.0 if arr.std(axis=1).min() > 1e-3 else 1e-5})["y"])
    if arr.std(axis=1).min() > 1e-3:
        assert np.allclose(y.mean(axis=1), 0, atol=1e-7) and np.allclose(y.var(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("attention", {"q": [[1, 2]], "k": [[1, 2, 3]], "v": [[1]]}, "same last dimension"),
        ("softmax", {"x": [1, float("nan")]}, "NaN"),
        ("causal_mask", {"n": 10**9}, "between 1 and 256"),
        ("lora_params", {"d_in": "wide", "d_out": 2, "rank": 1}, "d_in"),
        ("nash_2x2", {"row_payoffs": [[1, 2, 3]], "col_payoffs": [[1]]}, "2×2"),
        ("minimax", {"board": "XXXXXXXXX"}, "X count"),
        ("softmax", {"x": [[1.0] * 200] * 200}, "more than"),
        ("no_such_tool", {}, "unknown tool"),
    ],
)
def test_bad_inputs_are_tool_errors(name: str, args: dict[str, object], message: str) -> None:
    with pytest.raises(ToolError, match=message):
        run_tool(name, args)


@pytest.mark.parametrize("info", list_tools(), ids=lambda t: t.name)
def test_cli_runs_every_documented_example(info) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["tool", "run", info.name, "--args", json.dumps(info.example), "--json"])
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.output, parse_constant=_refuse_non_finite), dict)


def _refuse_non_finite(token: str) -> None:
    raise AssertionError(f"{token} is not valid strict JSON")


def test_cli_list_and_bad_json() -> None:
    listing = json.loads(CliRunner().invoke(app, ["tool", "list", "--json"]).output)
    assert {"lora_params", "kv_cache_bytes", "nash_2x2", "cfr_kuhn"} <= {t["name"] for t in listing["tools"]}
    bad = CliRunner().invoke(app, ["tool", "run", "lora_params", "--args", "{rank: 8"])
    assert bad.exit_code != 0


def _rope_by_complex_rotation(x: np.ndarray, positions: np.ndarray, base: float) -> np.ndarray:
    """RoPE as in RoFormer: pair (2i, 2i+1) is the complex number z_i, multiplied by e^(i·pos·base^(-2i/d))."""
    d = x.shape[1]
    z = x[:, 0::2] + 1j * x[:, 1::2]
    freqs = 1.0 / base ** (np.arange(d // 2) * 2 / d)
    rotated = z * np.exp(1j * np.outer(positions, freqs))
    return np.stack([rotated.real, rotated.imag], axis=-1).reshape(x.shape)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**32 - 1), st.floats(2, 1e5))
def test_rope_matches_complex_rotation(n: int, half_d: int, seed: int, base: float) -> None:
    r = np.random.default_rng(seed)
    x, positions = r.normal(size=(n, 2 * half_d)), r.integers(0, 4096, size=n)
    out = run_tool("rope", {"x": x.tolist(), "positions": positions.tolist(), "base": base})
    assert np.allclose(out["rotated"], _rope_by_complex_rotation(x, positions, base))
    assert np.allclose(np.linalg.norm(out["rotated"], axis=1), np.linalg.norm(x, axis=1))  # a rotation


def test_rope_dot_products_depend_only_on_relative_position() -> None:
    q, k = rng.normal(size=(1, 8)), rng.normal(size=(1, 8))

    def score(m: int, n: int) -> float:
        rq = run_tool("rope", {"x": q.tolist(), "positions": [m]})["rotated"][0]
        rk = run_tool("rope", {"x": k.tolist(), "positions": [n]})["rotated"][0]
        return float(np.dot(rq, rk))

    assert math.isclose(score(5, 2), score(105, 102)) and math.isclose(score(0, 3), score(40, 43))


LOGITS = [2.0, 1.0, 0.5, -1.0]  # softmax ≈ (0.6095, 0.2242, 0.1360, 0.0303); cumulative 0.6095, 0.8337, 0.9697, 1


@pytest.mark.parametrize(("p", "nucleus"), [(0.5, [0]), (0.8, [0, 1]), (0.9, [0, 1, 2]), (0.99, [0, 1, 2, 3])])
def test_top_p_keeps_the_hand_computed_nucleus(p: float, nucleus: list[int]) -> None:
    out = run_tool("sample_next_token", {"logits": LOGITS, "strategy": "top_p", "p": p, "seed": 3})
    full = torch.softmax(torch.tensor(LOGITS, dtype=torch.float64), 0).numpy()
    expected = np.zeros(4)
    expected[nucleus] = full[nucleus] / full[nucleus].sum()
    assert out["candidates"] == nucleus and np.allclose(out["probs"], expected) and out["token"] in nucleus


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-20, 20), min_size=2, max_size=8, unique=True), st.data())
def test_greedy_is_argmax_and_top_k_keeps_the_k_largest(logits: list[float], data: st.DataObject) -> None:
    assert run_tool("sample_next_token", {"logits": logits})["token"] == int(np.argmax(logits))
    k = data.draw(st.integers(1, len(logits)))
    out = run_tool("sample_next_token", {"logits": logits, "strategy": "top_k", "k": k, "seed": 1})
    top = sorted(np.argsort(logits)[::-1][:k].tolist())
    assert sorted(out["candidates"]) == top and out["token"] in top
    assert math.isclose(sum(out["probs"]), 1) and all(out["probs"][i] == 0 for i in range(len(logits)) if i not in top)


def test_temperature_sampling_follows_the_tempered_softmax() -> None:
    for temperature in (0.5, 2.0):
        expected = torch.softmax(torch.tensor(LOGITS, dtype=torch.float64) / temperature, 0).numpy()
        args = {"logits": LOGITS, "strategy": "temperature", "temperature": temperature}
        assert np.allclose(run_tool("sample_next_token", args)["probs"], expected)
        draws = [run_tool("sample_next_token", {**args, "seed": s})["token"] for s in range(600)]
        assert np.allclose(np.bincount(draws, minlength=4) / 600, expected, atol=0.06)
    sharp = run_tool("sample_next_token", {"logits": LOGITS, "strategy": "temperature", "temperature": 0.1})
    assert sharp["probs"][0] > 0.9999  # a low temperature approaches greedy


def test_bpe_merges_on_hand_worked_corpora() -> None:
    # low/lower/lowest/newer/newest: w+e (count 4), l+o (3), then count-2 ties broken by the smallest pair:
    # ('e','we') < ('lo','we') < ('n','e') < ... , and after e+we the smallest count-2 pair is ('lo','we').
    out = run_tool("bpe_merges", {"corpus": "low lower lowest newer newest", "num_merges": 4})
    assert out["merges"] == [["w", "e"], ["l", "o"], ["e", "we"], ["lo", "we"]]
    assert out["tokens"][2] == ["lowe", "s", "t"]
    out = run_tool("bpe_merges", {"corpus": "ab ab abc", "num_merges": 5})
    assert out["merges"] == [["a", "b"], ["ab", "c"]] and out["tokens"] == [["ab"], ["ab"], ["abc"]]
    # overlapping pairs are counted in full but merged left to right
    assert run_tool("bpe_merges", {"corpus": "aaa", "num_merges": 1})["tokens"] == [["aa", "a"]]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_gcn_layer_matches_the_formula(n: int, seed: int, self_loops: bool) -> None:
    r = np.random.default_rng(seed)
    upper = np.triu(r.integers(0, 2, size=(n, n)), 1)
    a = (upper + upper.T).astype(float)
    x, w = r.normal(size=(n, 3)), r.normal(size=(3, 2))
    out = run_tool(
        "gnn_message_pass",
        {"adjacency": a.tolist(), "features": x.tolist(), "weight": w.tolist(), "self_loops": self_loops},
    )
    a_hat = a + np.eye(n) if self_loops else a
    deg = a_hat.sum(axis=1)
    d_inv_sqrt = np.diag([1 / math.sqrt(v) if v > 0 else 0.0 for v in deg])  # isolated nodes contribute nothing
    assert np.allclose(out["h"], d_inv_sqrt @ a_hat @ d_inv_sqrt @ x @ w)


def test_ddpm_forward_matches_torch_with_the_same_noise() -> None:
    x0, eps, steps = rng.normal(size=5), rng.normal(size=5), [1, 10, 500, 1000]
    out = run_tool("ddpm_forward", {"x0": x0.tolist(), "t": steps, "noise": eps.tolist()})
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - betas, 0)[torch.tensor(steps) - 1]
    x_t = alpha_bar.sqrt()[:, None] * torch.tensor(x0) + (1 - alpha_bar).sqrt()[:, None] * torch.tensor(eps)
    assert np.allclose(out["x_t"], x_t) and np.allclose(out["alpha_bar"], alpha_bar)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 65_536), st.integers(1, 200_000), st.integers(1, 64), st.data(), st.integers(1, 10**6))
def test_moe_flops_closed_form(d_model: int, d_ff: int, n_experts: int, data: st.DataObject, tokens: int) -> None:
    top_k = data.draw(st.integers(1, n_experts))
    out = run_tool(
        "moe_flops", {"d_model": d_model, "d_ff": d_ff, "n_experts": n_experts, "top_k": top_k, "n_tokens": tokens}
    )
    expert = 2 * d_model * d_ff  # up and down projections
    assert out["total_expert_params"] == n_experts * expert and out["active_expert_params"] == top_k * expert
    assert out["flops_per_token"] == 2 * top_k * expert and out["total_flops"] == 2 * top_k * expert * tokens


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.sampled_from([0.5, 1.0, 2.0]))
def test_classification_metrics_match_sklearn(tp: int, fp: int, fn: int, tn: int, beta: float) -> None:
    from sklearn.metrics import accuracy_score, fbeta_score, precision_score, recall_score

    if tp + fp + fn + tn == 0:
        tn = 1
    y_true = [1] * tp + [0] * fp + [1] * fn + [0] * tn
    y_pred = [1] * tp + [1] * fp + [0] * fn + [0] * tn
    out = run_tool("classification_metrics", {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "beta": beta})
    undefined = float("nan")  # sklearn's marker for 0/0; the tool returns null there
    assert out["precision"] == pytest.approx(precision_score(y_true, y_pred, zero_division=undefined), nan_ok=True) or (
        out["precision"] is None and tp + fp == 0
    )
    assert out["recall"] == pytest.approx(recall_score(y_true, y_pred, zero_division=undefined)) or tp + fn == 0
    assert out["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    if tp + fp + fn > 0:
        assert out["f_beta"] == pytest.approx(fbeta_score(y_true, y_pred, beta=beta, zero_division=0.0))


def test_classification_metrics_worked_example() -> None:
    out = run_tool("classification_metrics", {"tp": 40, "fp": 10, "fn": 20, "tn": 930})
    assert (out["precision"], out["accuracy"]) == (0.8, 0.97) and math.isclose(out["recall"], 2 / 3)
    assert math.isclose(out["f_beta"], 80 / 110)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=2, max_size=10),
    st.integers(1, 12),
    st.sampled_from(["linear", "exponential"]),
)
def test_ndcg_matches_sklearn(relevance: list[int], k: int, gain: str) -> None:
    from sklearn.metrics import ndcg_score

    if not any(relevance):
        relevance = [1, *relevance[1:]]
    out = run_tool("ndcg", {"relevance": relevance, "k": k, "gain": gain})
    # sklearn uses the grades as linear gains; for exponential gain hand it 2^rel - 1 directly
    gains = np.array(relevance, float) if gain == "linear" else 2.0 ** np.array(relevance) - 1
    scores = np.arange(len(relevance), 0, -1)  # strictly decreasing: the ranking is the given order
    assert math.isclose(out["ndcg"], ndcg_score([gains], [scores], k=k))


def test_ndcg_worked_example() -> None:
    out = run_tool("ndcg", {"relevance": [3, 2, 0, 1], "k": 3})
    assert math.isclose(out["dcg"], 7 + 3 / math.log2(3)) and math.isclose(out["idcg"], 7 + 3 / math.log2(3) + 0.5)
    assert round(out["ndcg"], 3) == 0.947


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(0, 3),
    st.integers(1, 3),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from([1, 2]),
    st.booleans(),
)
def test_conv_output_size_matches_torch(
    n: int, k: int, stride: int, pad: int, dilation: int, c_in: int, c_out: int, dims: int, bias: bool
) -> None:
    args = {
        "input_size": n,
        "kernel_size": k,
        "stride": stride,
        "padding": pad,
        "dilation": dilation,
        "in_channels": c_in,
        "out_channels": c_out,
        "bias": bias,
        "spatial_dims": dims,
    }
    if dilation * (k - 1) + 1 > n + 2 * pad:
        with pytest.raises(ToolError, match="kernel spans"):
            run_tool("conv_output_size", args)
        return
    out = run_tool("conv_output_size", args)
    conv = (torch.nn.Conv1d if dims == 1 else torch.nn.Conv2d)(c_in, c_out, k, stride, pad, dilation, bias=bias)
    y = conv(torch.zeros(1, c_in, *([n] * dims)))
    assert out["output_size"] == y.shape[-1] and out["params"] == sum(p.numel() for p in conv.parameters())


def test_chinchilla_optimal_reproduces_the_published_configuration() -> None:
    out = run_tool("chinchilla_optimal", {"compute_flops": 5.76e23})  # Chinchilla: 70B parameters, 1.4T tokens
    assert abs(out["params"] - 70e9) / 70e9 < 0.02 and abs(out["tokens"] - 1.4e12) / 1.4e12 < 0.02
    assert math.isclose(6 * out["params"] * out["tokens"], 5.76e23)
    quadrupled = run_tool("chinchilla_optimal", {"compute_flops": 4 * 5.76e23})
    assert math.isclose(quadrupled["params"], 2 * out["params"])


def test_cli_list_shows_argument_signatures() -> None:
    listing = CliRunner().invoke(app, ["tool", "list"]).output
    assert "lora_params(d_in, d_out, rank, n_matrices=1)" in listing
    assert 'mcts(iterations, seed=0, game="nim", c=1.414, start=null)' in listing
