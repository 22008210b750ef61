"""Linear least squares for start values: the amounts that enter a model linearly (areas, phase
scales, background coefficients) solved from the data, with non-negative amounts kept so."""
from __future__ import annotations

import numpy as np


def nonnegative_solve(gram: np.ndarray, proj: np.ndarray, total: np.ndarray, nonnegative: np.ndarray,
                      *, rounds: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coefficients of N problems from their normal equations, with the coefficients
    marked ``nonnegative`` kept ≥ 0 (a negative one is set to 0 and the rest re-solved, a few rounds:
    an active-set step, enough for start values).

    Parameters
    ----------
    gram : ndarray (N, k, k)
        ``AᵀA`` of each problem's design (columns already weighted).
    proj : ndarray (N, k)
        ``Aᵀy``.
    total : ndarray (N,)
        ``yᵀy``.
    nonnegative : ndarray of bool (N, k) or (k,)
        Which coefficients are amounts.
    rounds : int
        Active-set rounds.

    Returns
    -------
    coef : ndarray (N, k)
    ssr : ndarray (N,)
        Residual sum of squares at ``coef``.
    """
    n_spec, k = proj.shape
    if k == 0:
        return np.zeros((n_spec, 0)), np.asarray(total, dtype=float)
    nonnegative = np.broadcast_to(nonnegative, (n_spec, k))
    active = np.ones((n_spec, k), bool)
    eye = np.eye(k)[None]
    coef = np.zeros((n_spec, k))
    for _ in range(rounds):
        mask = active[:, :, None] & active[:, None, :]
        g = np.where(mask, gram, 0.0) + eye * (~active)[:, :, None]
        scale = np.maximum(np.einsum("nii->ni", g), 1e-300)
        g = g + eye * (1e-12 * scale)[:, :, None]  # a tiny ridge: collinear columns stay solvable
        coef = np.linalg.solve(g, np.where(active, proj, 0.0)[..., None])[..., 0]
        negative = nonnegative & active & (coef < 0)
        if not negative.any():
            break
        active &= ~negative
    coef = np.where(active, coef, 0.0)
    ssr = total - 2 * np.einsum("nk,nk->n", coef, proj) + np.einsum("nk,nkl,nl->n", coef, gram, coef)
    return coef, ssr
