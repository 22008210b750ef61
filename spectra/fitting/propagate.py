"""Delta-method propagation for stacks of fits: the one place where standard errors of derived
quantities (areas, fractions, weight fractions) are formed from the parameters' covariances."""
from __future__ import annotations

import numpy as np


def linear(gradient: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Covariances (N, C, C) of quantities with gradients (N, C, F) by the parameters whose
    covariances are (N, F, F): ``G Σ Gᵀ``.

    A NaN in ``covariance`` (a parameter at a bound, a singular fit) makes NaN only the entries of
    quantities whose gradient involves it; the others are propagated from the finite part.
    """
    used = np.flatnonzero((gradient != 0).any(axis=(0, 1)))  # the parameters any quantity depends on
    gradient, covariance = gradient[:, :, used], covariance[:, used][:, :, used]
    unknown = ~np.isfinite(covariance)
    out = gradient @ np.where(unknown, 0.0, covariance) @ gradient.transpose(0, 2, 1)
    if unknown.any():
        touches = (gradient != 0).astype(float)
        reached = touches @ unknown.astype(float) @ touches.transpose(0, 2, 1) > 0
        out[reached] = np.nan
    return out


def shares(amounts: np.ndarray, covariance: np.ndarray):
    """Fractions ``a_c / Σ a`` (N, C) of amounts (N, C) and their covariances (N, C, C), by the delta
    method from the amounts' covariances."""
    total = amounts.sum(axis=1, keepdims=True)
    fraction = amounts / total
    to_fraction = (np.eye(amounts.shape[1])[None] - fraction[:, :, None]) / total[:, :, None]  # ∂f_c/∂a_d
    return fraction, linear(to_fraction, covariance)


def diagonal_sd(covariance: np.ndarray) -> np.ndarray:
    """Standard deviations (N, C) from stacked covariances (N, C, C); NaN where a variance is
    negative or undetermined (never a false zero from rounding)."""
    variance = np.einsum("ncc->nc", covariance)
    return np.sqrt(np.where(variance >= 0, variance, np.nan))


def free_index(names: list[str], vary) -> dict[str, int]:
    """Position of each varying parameter in the covariance matrices."""
    return {n: k for k, n in enumerate(n for n, v in zip(names, vary) if v)}
