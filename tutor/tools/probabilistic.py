"""Gaussian processes, diffusion noising and graph message passing."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field

from tutor.errors import ToolError
from tutor.tools.arrays import Seed, as_array, fmt, require, require_result_size
from tutor.tools.registry import tool

# The kernel matrix is n × n and its Cholesky factor costs n³: 2000 points take about a second and 100 MB.
MAX_GP_POINTS = 2000


@tool({"x_train": [-1.0, 0.0, 1.0], "y_train": [0.5, 0.0, -0.5], "x_test": [0.5, 3.0]})
def gp_posterior(
    x_train: list[float] | list[list[float]],
    y_train: list[float],
    x_test: list[float] | list[list[float]],
    length_scale: float = 1.0,
    variance: float = 1.0,
    noise: float = 0.0,
) -> dict[str, Any]:
    """GP regression posterior (zero mean, RBF kernel): predictive mean and variance at the test points."""
    require(length_scale > 0 and variance > 0 and noise >= 0, "length_scale and variance must be positive, noise >= 0")
    xt, xs = as_array(x_train, "x_train", ndim=(1, 2)), as_array(x_test, "x_test", ndim=(1, 2))
    xt, xs = xt.reshape(len(xt), -1), xs.reshape(len(xs), -1)
    y = as_array(y_train, "y_train", ndim=1)
    require(len(y) == len(xt), "y_train needs one value per training point")
    require(xs.shape[1] == xt.shape[1], f"x_test points need {xt.shape[1]} coordinates like x_train")
    require(
        max(len(xt), len(xs)) <= MAX_GP_POINTS,
        f"at most {MAX_GP_POINTS} training and {MAX_GP_POINTS} test points (the kernel matrix grows as n²)",
    )
    from scipy.linalg import solve_triangular
    from scipy.spatial.distance import cdist

    def k(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # cdist, not broadcasting a - b: the (n, m, dims) difference tensor alone took gigabytes
        return variance * np.exp(-0.5 * cdist(a, b, "sqeuclidean") / length_scale**2)

    K = k(xt, xt) + (noise + 1e-10) * np.eye(len(xt))
    try:
        L = np.linalg.cholesky(K)
    except np.linalg.LinAlgError as exc:
        raise ToolError(
            "the kernel matrix is not positive definite (training points too close for this noise): "
            "raise noise or remove near-duplicate x_train points"
        ) from exc
    alpha = solve_triangular(L.T, solve_triangular(L, y, lower=True), lower=False)
    Ks = k(xs, xt)
    mean = Ks @ alpha
    v = solve_triangular(L, Ks.T, lower=True)
    var = np.clip(variance - (v**2).sum(0), 0.0, None)
    return {
        "mean": mean,
        "variance": var,
        "std": np.sqrt(var),
        "explanation": [
            "K = k(X, X) + noise·I with k(a, b) = variance·exp(-|a-b|²/(2·length_scale²))",
            f"mean = k(x*, X) K⁻¹ y = {fmt(mean)}",
            f"variance = k(x*, x*) - k(x*, X) K⁻¹ k(X, x*) = {fmt(var)}",
            "far from the data k(x*, X) → 0, so the variance returns to the prior variance",
        ],
    }


@tool({"x0": [1.0, -0.5], "t": [1, 2, 3], "noise": [0.3, -0.2]})
def ddpm_forward(
    x0: list[float],
    t: int | list[int],
    beta_start: float = 0.0001,
    beta_end: float = 0.02,
    num_steps: Annotated[int, Field(ge=1, le=100_000)] = 1000,
    noise: list[float] | None = None,
    seed: Seed = 0,
) -> dict[str, Any]:
    """DDPM forward noising with a linear beta schedule: alpha_bar_t and x_t = √ᾱ_t x0 + √(1-ᾱ_t) ε (t is 1-based)."""
    require(0 < beta_start <= beta_end < 1, f"need 0 < beta_start <= beta_end < 1, got {beta_start:g} and {beta_end:g}")
    x = as_array(x0, "x0", ndim=1)
    steps = [t] if isinstance(t, int) else list(t)
    require(all(1 <= s <= num_steps for s in steps), f"every t must be in 1..{num_steps}")
    eps = as_array(noise, "noise", ndim=1) if noise is not None else np.random.default_rng(seed).standard_normal(len(x))
    require(eps.shape == x.shape, "noise must have the shape of x0")
    require_result_size(len(steps) * len(x), "x_t (steps in t × length of x0)")
    betas = np.linspace(beta_start, beta_end, num_steps)
    alpha_bar = np.cumprod(1 - betas)
    ab = np.array([alpha_bar[s - 1] for s in steps])
    signal, noise_coef = np.sqrt(ab), np.sqrt(1 - ab)
    x_t = signal[:, None] * x[None, :] + noise_coef[:, None] * eps[None, :]
    return {
        "alpha_bar": ab,
        "x_t": x_t,
        "signal_coef": signal,
        "noise_coef": noise_coef,
        "betas": betas[[s - 1 for s in steps]],
        "explanation": [
            f"β linear from {beta_start} to {beta_end} over {num_steps} steps",
            f"ᾱ_t = Π_(s≤t) (1-β_s) = {fmt(ab)}",
            "x_t = √ᾱ_t·x0 + √(1-ᾱ_t)·ε (one jump, no iteration)",
        ],
    }


@tool({"adjacency": [[0, 1, 0], [1, 0, 1], [0, 1, 0]], "features": [[1.0], [2.0], [3.0]]})
def gnn_message_pass(
    adjacency: list[list[float]],
    features: list[list[float]],
    weight: list[list[float]] | None = None,
    self_loops: bool = True,
) -> dict[str, Any]:
    """One GCN layer without nonlinearity: D^-1/2 (A + I) D^-1/2 X W (symmetric normalisation)."""
    a, x = as_array(adjacency, "adjacency", ndim=2), as_array(features, "features", ndim=2)
    require(a.shape[0] == a.shape[1] == x.shape[0], "adjacency must be n×n and features n×f")
    w = as_array(weight, "weight", ndim=2) if weight is not None else np.eye(x.shape[1])
    require(w.shape[0] == x.shape[1], f"weight must have {x.shape[1]} rows")
    require_result_size(x.shape[0] * w.shape[1], "h (nodes × weight columns)")
    a_hat = a + np.eye(len(a)) if self_loops else a
    deg = a_hat.sum(axis=1)
    d = np.where(deg > 0, 1 / np.sqrt(np.where(deg > 0, deg, 1)), 0.0)
    norm = d[:, None] * a_hat * d[None, :]
    h = norm @ x @ w
    return {
        "h": h,
        "norm_adjacency": norm,
        "degrees": deg,
        "explanation": [
            f"Â = A{' + I' if self_loops else ''}; degrees {fmt(deg)}",
            "Ã = D^-1/2 Â D^-1/2 (each edge weighted 1/√(d_i d_j))",
            f"H = Ã X W = {fmt(h)}",
        ],
    }
