"""Delta-method propagation for stacks of fits: fractions of amounts and standard deviations from
stacked covariance matrices."""
from __future__ import annotations

import numpy as np


def shares(amounts: np.ndarray, covariance: np.ndarray):
    """Fractions ``a_c / Σ a`` (N, C) of amounts (N, C) and their covariances (N, C, C), by the delta
    method from the amounts' covariances."""
    total = amounts.sum(axis=1, keepdims=True)
    fraction = amounts / total
    to_fraction = (np.eye(amounts.shape[1])[None] - fraction[:, :, None]) / total[:, :, None]  # ∂f_c/∂a_d
    return fraction, np.einsum("ncd,nde,nfe->ncf", to_fraction, covariance, to_fraction)


def diagonal_sd(covariance: np.ndarray) -> np.ndarray:
    """Standard deviations (N, C) from stacked covariances (N, C, C)."""
    return np.sqrt(np.maximum(np.einsum("ncc->nc", covariance), 0.0))
