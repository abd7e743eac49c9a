"""Argument validation: unknown names, strict JSON types and bounds each fail with a message naming the cause, never a
silently different computation; `tutor tool run --json` reports failures as JSON on stdout."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tutor.cli import app
from tutor.errors import ToolError
from tutor.tools.registry import ToolInfo, list_tools, run_tool

TOOLS = list_tools()
KV = {"n_layers": 32, "n_kv_heads": 8, "head_dim": 128, "seq_len": 4096}


@pytest.mark.parametrize("info", TOOLS, ids=lambda t: t.name)
def test_every_tool_rejects_an_unknown_argument_and_lists_the_valid_ones(info: ToolInfo) -> None:
    with pytest.raises(ToolError) as raised:
        run_tool(info.name, {**info.example, "zzz_not_an_argument": 1})
    message = str(raised.value)
    assert message.startswith(f"{info.name}: zzz_not_an_argument: unknown argument; arguments: ")
    assert message.endswith(", ".join(info.schema["properties"]))


@pytest.mark.parametrize(
    ("name", "args", "typo", "meant"),
    [
        ("kv_cache_bytes", {**KV, "batch_size": 8}, "batch_size", "batch"),
        ("lora_params", {"d_in": 64, "d_out": 64, "rnak": 8}, "rnak", "rank"),  # also makes `rank` missing
        ("softmax", {"x": [1.0, 2.0], "temprature": 0.5}, "temprature", "temperature"),
    ],
)
def test_a_misspelt_argument_suggests_the_closest_name(name: str, args: dict[str, Any], typo: str, meant: str) -> None:
    with pytest.raises(ToolError, match=rf"^{name}: {typo}: unknown argument; did you mean {meant}\? arguments: "):
        run_tool(name, args)


def _numeric_scalars(info: ToolInfo) -> list[tuple[str, str]]:
    return [
        (info.name, key)
        for key, value in info.example.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]


NUMERIC = [pair for info in TOOLS for pair in _numeric_scalars(info)]


@pytest.mark.parametrize(("name", "key"), NUMERIC, ids=[f"{n}-{k}" for n, k in NUMERIC])
def test_numbers_as_strings_or_booleans_are_refused(name: str, key: str) -> None:
    example = next(t.example for t in TOOLS if t.name == name)
    for wrong in (str(example[key]), True):
        with pytest.raises(ToolError, match=rf"^{name}: {key}: Input should be a valid (integer|number), got "):
            run_tool(name, {**example, key: wrong})


def test_the_reported_loose_call_is_refused() -> None:
    with pytest.raises(ToolError, match=r'd_in: Input should be a valid integer, got "4096"'):
        run_tool("lora_params", {"d_in": "4096", "d_out": True, "rank": 8})
    with pytest.raises(ToolError, match=r"d_out: Input should be a valid integer, got true"):
        run_tool("lora_params", {"d_in": 4096, "d_out": True, "rank": 8})


@pytest.mark.parametrize(
    ("name", "args", "where"),
    [
        ("softmax", {"x": [1.0, True]}, "x"),  # inside an array
        ("softmax", {"x": ["1", 2.0]}, "x"),
        ("attention", {"q": [[1]], "k": [[1]], "v": [[1]], "causal": 1}, "causal"),  # 1 is not a boolean either
        ("lora_params", {"d_in": 4096.5, "d_out": 64, "rank": 8}, "d_in"),  # a fraction is not an integer
        ("activation", {"name": 3, "x": [1.0]}, "name"),
    ],
)
def test_other_loose_types_are_refused(name: str, args: dict[str, Any], where: str) -> None:
    with pytest.raises(ToolError, match=rf"^{name}: {where}"):
        run_tool(name, args)


def test_a_bad_array_element_is_named_by_its_indices() -> None:
    with pytest.raises(ToolError, match=r'^softmax: x\[1\]\[1\]: Input should be a valid number, got "4"$'):
        run_tool("softmax", {"x": [[1, 2], [3, "4"]]})


def test_json_numbers_are_interchangeable_where_the_value_allows() -> None:
    # JSON has one number type: 1 for a float argument, and 4096.0 or 1e3 for an integer one, are the same numbers.
    assert run_tool("softmax", {"x": [1, 2], "temperature": 1}) == run_tool("softmax", {"x": [1.0, 2.0]})
    lora = {"d_in": 4096, "d_out": 1000, "rank": 8}
    assert run_tool("lora_params", {**lora, "d_in": 4096.0, "d_out": 1e3}) == run_tool("lora_params", lora)
    # NumPy scalars, as the exercise references pass them, are numbers too
    assert run_tool("cross_entropy", {"logits": [[1.0, 2.0]], "target": [np.int64(1)]})["loss"] > 0


BOUNDS = [
    ("multi_head_attention", {"n_heads": 0}, r"n_heads: Input should be greater than or equal to 1, got 0"),
    ("multi_head_attention", {"n_heads": 3}, r"d_model 4 must be divisible by n_heads 3"),
    ("lora_params", {"d_in": 64, "d_out": 64, "rank": 0}, r"rank: .*greater than or equal to 1, got 0"),
    ("kv_cache_bytes", {**KV, "seq_len": 0}, r"seq_len: .*greater than or equal to 1, got 0"),
    ("kv_cache_bytes", {**KV, "n_kv_heads": -8}, r"n_kv_heads: .*greater than or equal to 1, got -8"),
    ("sample_next_token", {"logits": [1.0, 2.0], "strategy": "top_k", "k": 0}, r"1 <= k <= 2 .*got k = 0"),
    ("sample_next_token", {"logits": [1.0, 2.0], "strategy": "top_k"}, r"strategy 'top_k' needs k"),
    ("sample_next_token", {"logits": [1.0, 2.0], "strategy": "top_p", "p": 0}, r"0 < p <= 1, got p = 0"),
    ("sample_next_token", {"logits": [1.0, 2.0], "k": 1}, r"k is used only with strategy 'top_k'"),
    ("sample_next_token", {"logits": [1.0, 2.0], "temperature": 0}, r"> 0, got 0: .*'greedy'"),
    ("sample_next_token", {"logits": [1.0, 2.0], "temperature": -1}, r"> 0, got -1: a negative one reverses"),
    ("sample_next_token", {"logits": [1.0, 2.0], "seed": -1}, r"seed: .*greater than or equal to 0"),
    ("softmax", {"x": [1.0], "temperature": 0}, r"temperature must be > 0, got 0: .*one-hot argmax"),
    ("softmax", {"x": [1.0], "temperature": -0.5}, r"temperature must be > 0, got -0.5"),
    ("visit_count_policy", {"visits": [1, 2], "temperature": -1}, r"temperature must be >= 0"),
    ("positional_encoding", {"seq_len": 0, "d_model": 4}, r"seq_len: .*greater than or equal to 1"),
    ("positional_encoding", {"seq_len": 4, "d_model": 3}, r"d_model must be even .*got 3"),
    ("ddpm_forward", {"x0": [1.0], "t": 1, "num_steps": 0}, r"num_steps: .*greater than or equal to 1"),
    ("ddpm_forward", {"x0": [1.0], "t": 1, "beta_start": 0}, r"0 < beta_start <= beta_end < 1, got 0 and 0.02"),
    ("ddpm_forward", {"x0": [1.0], "t": 0}, r"every t must be in 1\.\.1000"),
    ("layer_norm", {"x": [1.0, 2.0], "eps": -1e-5}, r"eps: .*greater than or equal to 0"),
    ("adam_step", {"param": [1.0], "grad": [1.0], "eps": -1.0}, r"eps: .*greater than or equal to 0"),
    ("mcts", {"iterations": 10, "c": -1}, r"c: .*greater than or equal to 0"),
    ("mcts", {"iterations": 0}, r"iterations must be between 1 and 20000"),
    ("cfr_kuhn", {"iterations": 10, "seed": -3}, r"seed: .*greater than or equal to 0"),
    ("replicator_dynamics", {"payoffs": [[1, 0], [0, 1]], "x0": [0.5, 0.5], "dt": 0}, r"need 0 < dt <= 1, got 0"),
    ("replicator_dynamics", {"payoffs": [[1, 0], [0, 1]], "x0": [0.5, 0.5], "steps": 0}, r"1 <= steps <= 10000, got 0"),
    ("ndcg", {"relevance": [1, 2], "k": 0}, r"k: .*greater than or equal to 1"),
    ("moe_flops", {"d_model": 8, "d_ff": 8, "n_experts": 4, "top_k": 0}, r"top_k: .*greater than or equal to 1"),
    ("causal_mask", {"n": 0}, r"n must be between 1 and 256"),
]


@pytest.mark.parametrize(("name", "args", "message"), BOUNDS, ids=[f"{b[0]}-{b[2][:24]}" for b in BOUNDS])
def test_zero_and_negative_arguments_state_their_bound(name: str, args: dict[str, Any], message: str) -> None:
    example = next(t.example for t in TOOLS if t.name == name)
    with pytest.raises(ToolError, match=message):
        run_tool(name, {**example, **args} if name == "multi_head_attention" else args)


def _invoke_json(*argv: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["tool", "run", *argv, "--json"])
    return result.exit_code, json.loads(result.output)  # the whole output is one JSON object


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["kv_cache_bytes", "--args", json.dumps({**KV, "batch_size": 8})], "batch_size: unknown argument"),
        (["lora_params", "--args", "{rank: 8"], "--args is not valid JSON"),
        (["no_such_tool"], "unknown tool 'no_such_tool'"),
        (["softmax", "--args", '{"x": [1], "temperature": 0}'], "temperature must be > 0"),
    ],
)
def test_cli_json_reports_errors_as_json_on_stdout(argv: list[str], message: str) -> None:
    code, out = _invoke_json(*argv)
    assert code == 2 and set(out) == {"error", "tool"} and out["tool"] == argv[0] and message in out["error"]


def test_cli_without_json_still_raises_the_error_for_the_entry_point_to_print() -> None:
    result = CliRunner().invoke(app, ["tool", "run", "softmax", "--args", '{"x": [1], "temperature": 0}'])
    assert isinstance(result.exception, ToolError) and result.output == ""
