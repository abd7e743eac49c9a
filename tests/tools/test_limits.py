"""Size caps, bounded integer arguments and non-finite results: every bad call is a ToolError named after its tool,
raised before any large computation, with nothing printed to stderr."""

from __future__ import annotations

import dataclasses
import json
import time
import tracemalloc
import warnings
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.errors import ToolError
from tutor.tools import registry
from tutor.tools.registry import run_tool

IDENTITY2 = [[1.0, 0.0], [0.0, 1.0]]
# near-duplicate points and a huge prior variance: rounding errors dwarf the 1e-10 jitter, so Cholesky fails
ILL_CONDITIONED_GP = {"x_train": [0.0, 1e-9, 2e-9], "y_train": [0, 1, 2], "x_test": [0.5], "variance": 1e12}


def _column(n: int) -> list[list[float]]:
    return [[float(i % 7)] for i in range(n)]


CAPS: list[tuple[str, dict[str, Any], str]] = [
    # attention-like tools: at most 256 tokens, and no returned matrix above 65,536 numbers
    ("attention", {"q": _column(3000), "k": _column(3000), "v": _column(3000)}, "at most 256"),
    ("attention", {"q": _column(9000), "k": [[1.0]], "v": [[1.0]]}, "at most 256"),
    ("attention", {"q": _column(256), "k": [[1.0]], "v": [[1.0] * 20_000]}, "at most 65,536"),
    (
        "multi_head_attention",
        {"x": [[1.0, 0.0]] * 300, "w_q": IDENTITY2, "w_k": IDENTITY2, "w_v": IDENTITY2, "w_o": IDENTITY2, "n_heads": 1},
        "at most 256",
    ),
    (
        "multi_head_attention",
        {"x": [[1.0, 0.0]] * 200, "w_q": IDENTITY2, "w_k": IDENTITY2, "w_v": IDENTITY2, "w_o": IDENTITY2, "n_heads": 2},
        "n_heads × tokens²",
    ),
    ("causal_mask", {"n": 10_000}, "between 1 and 256"),
    ("positional_encoding", {"seq_len": 4096, "d_model": 1024}, "at most 65,536"),
    ("gp_posterior", {"x_train": list(range(6000)), "y_train": [0.0] * 6000, "x_test": [0.5]}, "at most 2000"),
    ("gp_posterior", {"x_train": [0.0], "y_train": [0.0], "x_test": list(range(20_000))}, "at most 2000"),
    ("ddpm_forward", {"x0": [1.0] * 1000, "t": list(range(1, 1001))}, "at most 65,536"),
    (
        "gnn_message_pass",
        {"adjacency": [[0.0] * 100] * 100, "features": [[1.0]] * 100, "weight": [[1.0] * 20_000]},
        "h ",
    ),
    ("softmax", {"x": [[1.0] * 200] * 200}, "more than 20,000"),
    # iteration counts
    ("cfr_kuhn", {"iterations": 10**6}, "between 1 and 20000"),
    ("mcts", {"iterations": 10**6}, "between 1 and 20000"),
    ("replicator_dynamics", {"payoffs": IDENTITY2, "x0": [0.5, 0.5], "steps": 10**6}, "steps <= 10000"),
    # integer arguments of the arithmetic tools: real-model scale, and the bound is in the message
    ("kv_cache_bytes", {"n_layers": 1e20, "n_kv_heads": 8, "head_dim": 128, "seq_len": 4096}, "n_layers.*10000"),
    ("kv_cache_bytes", {"n_layers": 10**20, "n_kv_heads": 8, "head_dim": 128, "seq_len": 4096}, "n_layers.*10000"),
    ("kv_cache_bytes", {"n_layers": 32, "n_kv_heads": 8, "head_dim": 128, "seq_len": 10**9}, "seq_len.*100000000"),
    ("kv_cache_bytes", {"n_layers": 32, "n_kv_heads": 8, "head_dim": 128, "seq_len": 8, "batch": 0}, "batch.*1"),
    ("llm_memory", {"n_params": 1e15}, "n_params.*100000000000000"),
    ("llm_memory", {"n_params": 7e9, "bytes_per_param": -2}, "bytes_per_param.*greater than 0"),
    ("transformer_params", {"d_model": 768, "n_layers": 12, "vocab_size": 10**9}, "vocab_size.*10000000"),
    ("lora_params", {"d_in": 4096, "d_out": 4096, "rank": 10**7}, "rank.*1000000"),
    ("moe_flops", {"d_model": 4096, "d_ff": 14336, "n_experts": 8, "top_k": 2, "n_tokens": 10**16}, "n_tokens"),
    ("conv_output_size", {"input_size": 10**7, "kernel_size": 3}, "input_size.*1000000"),
    ("classification_metrics", {"tp": 10**13, "fp": 0, "fn": 0}, "tp.*1000000000000"),
    ("chinchilla_optimal", {"compute_flops": 1e40}, "compute_flops"),
]


@pytest.mark.parametrize(("name", "args", "message"), CAPS, ids=[f"{c[0]}-{c[2][:20]}" for c in CAPS])
def test_caps_reject_before_computing(name: str, args: dict[str, Any], message: str) -> None:
    """The rejection must come from validation: a tiny memory peak proves nothing large was allocated first."""
    tracemalloc.start()
    try:
        with pytest.raises(ToolError, match=message):
            run_tool(name, args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, f"{name} allocated {peak:,} bytes before refusing"


def test_attention_at_its_cap_is_fast_and_bounded() -> None:
    q = np.random.default_rng(0).normal(size=(256, 2)).tolist()
    start = time.perf_counter()
    out = run_tool("attention", {"q": q, "k": q, "v": q, "causal": True})
    elapsed = time.perf_counter() - start
    assert elapsed < 10 and len(json.dumps(out)) < 5_000_000


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("adam_step", {"param": [1.0], "grad": [1e308]}),  # g² overflows, so v would be Infinity
        ("softmax", {"x": [1e308, -1e308], "temperature": 1e-300}),
        ("activation", {"name": "gelu_tanh", "x": [1e200], "derivative": True}),
        ("gnn_message_pass", {"adjacency": [[0, 1], [1, 0]], "features": [[1e308], [1e308]], "weight": [[10.0]]}),
    ],
)
def test_overflow_is_a_tool_error_without_warnings(name: str, args: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning would surface here as an exception, not a ToolError
        with pytest.raises(ToolError, match=f"^{name}: the computation (overflowed|produced NaN)"):
            run_tool(name, args)


def test_cli_reports_overflow_as_an_error_not_infinity() -> None:
    result = CliRunner().invoke(
        app, ["tool", "run", "adam_step", "--args", '{"param": [1], "grad": [1e308]}', "--json"]
    )
    assert result.exit_code == 2 and "overflowed" in json.loads(result.output)["error"]
    assert "Infinity" not in result.output


def test_memory_error_becomes_a_tool_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(**_: Any) -> dict[str, Any]:
        raise MemoryError

    info = registry.get_tool("lora_params")
    monkeypatch.setitem(registry._TOOLS, "lora_params", dataclasses.replace(info, fn=exhausted))
    with pytest.raises(ToolError, match=r"^lora_params: ran out of memory"):
        run_tool("lora_params", {"d_in": 8, "d_out": 8, "rank": 2})


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("lora_params", {"d_in": "wide", "d_out": 2, "rank": 1}),  # schema validation
        ("lora_params", [1, 2]),  # not an object
        ("softmax", {"x": [[1.0] * 200] * 200}),  # argument size
        ("softmax", {"x": [1.0], "temperature": float("inf")}),  # non-finite scalar
        ("softmax", {"x": [1.0], "temperature": -1.0}),  # a check inside the tool
        ("adam_step", {"param": [1.0], "grad": [1e308]}),  # non-finite result
        ("gp_posterior", ILL_CONDITIONED_GP),  # LinAlgError
        ("nash_2x2", {"row_payoffs": [[1, 2, 3]], "col_payoffs": [[1]]}),
    ],
)
def test_every_error_starts_with_the_tool_name_once(name: str, args: Any) -> None:
    with pytest.raises(ToolError) as info:
        run_tool(name, args)
    message = str(info.value)
    assert message.startswith(f"{name}: ") and not message.startswith(f"{name}: {name}")


def test_gp_posterior_explains_an_ill_conditioned_kernel() -> None:
    with pytest.raises(ToolError, match=r"not positive definite.*raise noise"):
        run_tool("gp_posterior", ILL_CONDITIONED_GP)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("conv_output_size", {"input_size": 2, "kernel_size": 5}, "kernel spans 5"),
        ("conv_output_size", {"input_size": 8, "kernel_size": 3, "in_channels": 3}, "both in_channels"),
        ("classification_metrics", {"tp": 0, "fp": 0, "fn": 0}, "all zero"),
        ("ndcg", {"relevance": [1, -1]}, ">= 0"),
        ("ndcg", {"relevance": [2000, 1]}, "gain='linear'"),
        ("visit_count_policy", {"visits": [0, 0]}, "at least one positive"),
        ("visit_count_policy", {"visits": [1, 2], "temperature": -1}, "temperature"),
        ("regret_matching", {"regrets": [1, float("nan")]}, "NaN"),
        ("adam_step", {"param": [1.0], "grad": [1.0], "beta1": 1.0}, r"\[0, 1\)"),
        ("rope", {"x": [[1.0, 0.0]], "base": -1.0}, "base must be positive"),
    ],
)
def test_bad_inputs_of_new_checks(name: str, args: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolError, match=message):
        run_tool(name, args)
