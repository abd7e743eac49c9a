"""LLM arithmetic: parameter counts, memory, KV cache, LoRA and mixture-of-experts cost."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import Field

from tutor.tools.arrays import (
    BytesPerValue,
    Count,
    Experts,
    Heads,
    Layers,
    Params,
    SeqLen,
    TrainTokens,
    Vocab,
    Width,
    require,
)
from tutor.tools.registry import tool

GB = 1024**3


@tool({"d_model": 768, "n_layers": 12, "vocab_size": 50257, "max_seq_len": 1024})
def transformer_params(
    d_model: Width,
    n_layers: Layers,
    vocab_size: Vocab,
    d_ff: Width | None = None,
    n_heads: Heads | None = None,
    max_seq_len: Annotated[int, Field(ge=0, le=100_000_000)] = 0,
    tied_embeddings: bool = True,
    bias: bool = True,
    gated_ffn: bool = False,
) -> dict[str, Any]:
    """Parameter count of a decoder-only transformer, with a per-part breakdown."""
    if n_heads is not None:
        require(d_model % n_heads == 0, "d_model must be divisible by n_heads")
    ff = d_ff or 4 * d_model
    attention = 4 * d_model * d_model + (4 * d_model if bias else 0)
    n_ffn_mats = 3 if gated_ffn else 2
    ffn = n_ffn_mats * d_model * ff + ((ff * (n_ffn_mats - 1) + d_model) if bias else 0)
    norms = 2 * (2 * d_model if bias else d_model)
    per_layer = attention + ffn + norms
    embedding = vocab_size * d_model + max_seq_len * d_model
    head = 0 if tied_embeddings else vocab_size * d_model
    final_norm = 2 * d_model if bias else d_model
    total = embedding + n_layers * per_layer + final_norm + head
    return {
        "params": total,
        "embedding": embedding,
        "per_layer": per_layer,
        "attention": attention,
        "ffn": ffn,
        "norms": norms,
        "final_norm": final_norm,
        "lm_head": head,
        "explanation": [
            f"attention: 4·d² {'+ 4d bias ' if bias else ''}= {attention:,}",
            f"FFN: {n_ffn_mats}·d·d_ff{' + biases' if bias else ''} = {ffn:,} (d_ff = {ff})",
            f"per layer with norms: {per_layer:,}; × {n_layers} layers = {n_layers * per_layer:,}",
            f"embeddings {embedding:,}{'' if tied_embeddings else f' + untied head {head:,}'}; total {total:,}",
        ],
    }


@tool({"n_params": 7e9, "bytes_per_param": 2, "training": True})
def llm_memory(
    n_params: Params,
    bytes_per_param: BytesPerValue = 2,
    training: bool = False,
    optimizer: str = "adam",
    master_weights: bool = True,
) -> dict[str, Any]:
    """Memory for a model's weights (inference) or weights + gradients + optimizer state (training with Adam)."""
    require(optimizer in ("adam", "sgd"), "optimizer must be adam or sgd")
    weights = int(n_params * bytes_per_param)
    breakdown = {"weights": weights}
    if training:
        breakdown["gradients"] = int(n_params * bytes_per_param)
        if master_weights and bytes_per_param < 4:
            breakdown["fp32_master_weights"] = int(n_params * 4)
        if optimizer == "adam":
            breakdown["adam_m"] = int(n_params * 4)
            breakdown["adam_v"] = int(n_params * 4)
    total = sum(breakdown.values())
    return {
        "weights_bytes": weights,
        "total_bytes": total,
        "total_gb": total / GB,
        "bytes_per_param_total": total / n_params,
        "breakdown": breakdown,
        "explanation": [f"{k}: {v / GB:.1f} GiB" for k, v in breakdown.items()]
        + [f"total {total / GB:.1f} GiB ({total / n_params:.0f} bytes/param; activations not included)"],
    }


@tool({"n_layers": 32, "n_kv_heads": 32, "head_dim": 128, "seq_len": 4096})
def kv_cache_bytes(
    n_layers: Layers,
    n_kv_heads: Heads,
    head_dim: Width,
    seq_len: SeqLen,
    batch: Count = 1,
    bytes_per_value: BytesPerValue = 2,
) -> dict[str, Any]:
    """KV-cache size: 2 (K and V) × layers × KV heads × head dim × tokens × batch × bytes per value."""
    total = int(2 * n_layers * n_kv_heads * head_dim * seq_len * batch * bytes_per_value)
    per_token = int(2 * n_layers * n_kv_heads * head_dim * bytes_per_value)
    return {
        "bytes": total,
        "gb": total / GB,
        "per_token_bytes": per_token,
        "explanation": [
            f"2 × {n_layers} × {n_kv_heads} × {head_dim} × {seq_len} × {batch} × {bytes_per_value} = {total:,} bytes",
            f"= {total / GB:.3f} GiB; {per_token:,} bytes per token",
        ],
    }


@tool({"d_in": 4096, "d_out": 4096, "rank": 8})
def lora_params(d_in: Width, d_out: Width, rank: Width, n_matrices: Count = 1) -> dict[str, Any]:
    """Trainable parameters LoRA adds: A (rank × d_in) and B (d_out × rank) per adapted matrix."""
    per = rank * (d_in + d_out)
    full = d_in * d_out
    return {
        "params": per * n_matrices,
        "per_matrix": per,
        "full_matrix": full,
        "fraction": per / full,
        "explanation": [
            f"A: {rank}×{d_in}, B: {d_out}×{rank} → {rank}·({d_in}+{d_out}) = {per:,} per matrix",
            f"× {n_matrices} matrices = {per * n_matrices:,}; vs {full:,} for a full matrix ({full / per:.0f}× fewer)",
        ],
    }


@tool({"d_model": 4096, "d_ff": 14336, "n_experts": 8, "top_k": 2})
def moe_flops(
    d_model: Width, d_ff: Width, n_experts: Experts, top_k: Experts, n_tokens: TrainTokens = 1
) -> dict[str, Any]:
    """Mixture-of-experts FFN cost: total vs active expert parameters and FLOPs per token (2 FLOPs per multiply-add)."""
    require(1 <= top_k <= n_experts, "need 1 <= top_k <= n_experts")
    per_expert = 2 * d_model * d_ff
    flops = 2 * top_k * per_expert * n_tokens
    return {
        "total_expert_params": n_experts * per_expert,
        "active_expert_params": top_k * per_expert,
        "flops_per_token": 2 * top_k * per_expert,
        "total_flops": flops,
        "dense_equivalent_flops": 2 * n_experts * per_expert,
        "explanation": [
            f"one expert: 2 matrices of d_model × d_ff = {per_expert:,} params",
            f"{n_experts} experts hold {n_experts * per_expert:,}; {top_k} are active per token",
            f"FLOPs per token ≈ 2 × active params = {2 * top_k * per_expert:,}",
        ],
    }


@tool({"compute_flops": 5.76e23})
def chinchilla_optimal(
    compute_flops: Annotated[float, Field(gt=0, le=1e30)],
    tokens_per_param: Annotated[float, Field(gt=0, le=10_000)] = 20,
    flops_per_param_token: Annotated[float, Field(gt=0, le=100)] = 6,
) -> dict[str, Any]:
    """Compute-optimal model size and tokens for a FLOP budget: C ≈ 6·N·D with the Chinchilla rule D ≈ 20·N."""
    per_n2 = flops_per_param_token * tokens_per_param
    n = math.sqrt(compute_flops / per_n2)
    d = tokens_per_param * n
    return {
        "params": n,
        "tokens": d,
        "explanation": [
            f"C = {flops_per_param_token:g}·N·D (2 FLOPs per parameter per token forward, about 4 backward)",
            f"with D = {tokens_per_param:g}·N: C = {per_n2:g}·N², so N = √(C/{per_n2:g}) = {n:.3g} parameters",
            f"D = {tokens_per_param:g}·N = {d:.3g} tokens; N grows as √C, so 4× the compute doubles the model",
        ],
    }
