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
        ("causal_mask", {"n": 10**9}, "between 1 and 512"),
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
    assert isinstance(json.loads(result.output), dict)


def test_cli_list_and_bad_json() -> None:
    listing = json.loads(CliRunner().invoke(app, ["tool", "list", "--json"]).output)
    assert {"lora_params", "kv_cache_bytes", "nash_2x2", "cfr_kuhn"} <= {t["name"] for t in listing["tools"]}
    bad = CliRunner().invoke(app, ["tool", "run", "lora_params", "--args", "{rank: 8"])
    assert bad.exit_code != 0
