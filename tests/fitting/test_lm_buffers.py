"""The condition number :mod:`spectra.fitting.lm` reports a covariance singular by
(:func:`spectra.fitting.lm._condition`): taken from the eigenvalues where it is clearly regular and
from the singular values (:func:`numpy.linalg.cond`) otherwise, it must tell every matrix singular or
not exactly as :func:`numpy.linalg.cond` does, on either side of the threshold (and a matrix with
NaN entries raises as there).

The matrices are built from chosen eigenvalues, Q·diag(λ)·Qᵀ with a seeded random rotation Q, so
their condition numbers are known without the code under test.
"""
from __future__ import annotations

import numpy as np
import pytest

from spectra.fitting.lm import CLEARLY_REGULAR, SINGULAR, _condition


def _with_condition(condition: float, size: int, rng) -> np.ndarray:
    """A symmetric positive semi-definite matrix whose eigenvalues run from 1 down to 1/condition
    (0 for an infinite condition)."""
    q, _ = np.linalg.qr(rng.normal(size=(size, size)))
    smallest = 0.0 if np.isinf(condition) else 1.0 / condition
    values = np.geomspace(1.0, max(smallest, 1e-300), size)
    values[-1] = smallest
    return (q * values) @ q.T


@pytest.mark.parametrize("size", [1, 2, 9])
def test_singular_flags_match_numpy_cond(size):
    rng = np.random.default_rng(3)
    known = [1.0, 10.0, 1e6, 1e11, 0.5 * CLEARLY_REGULAR, 3 * CLEARLY_REGULAR, 0.5 * SINGULAR, 1e16, 1e20, np.inf]
    if size == 1:  # a 1×1 matrix has condition 1 (or ∞ when it is 0)
        known = [1.0, np.inf]
    stack = np.stack([_with_condition(c, size, rng) for c in known])
    with np.errstate(divide="ignore", invalid="ignore"):
        reference = np.linalg.cond(stack)
    got = _condition(stack)

    def singular(c):
        return ~np.isfinite(c) | (c > SINGULAR)

    np.testing.assert_array_equal(singular(got), singular(reference))
    # the built conditions are recovered where they are far from rounding (below 1e11: relative 1e-3)
    for c, value in zip(known, got):
        if c < 1e11:
            assert value == pytest.approx(c, rel=1e-3)
    # the known ones on either side of SINGULAR are told apart (the construction, not numpy, says so)
    for c, flag in zip(known, singular(got)):
        if c <= 0.5 * SINGULAR or c >= 1e16:
            assert flag == (c >= 1e16)


def test_nan_entries_fail_as_numpy_cond_does():
    stack = np.stack([np.eye(3), np.eye(3)])
    stack[1, 0, 1] = np.nan
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cond(stack)
    with pytest.raises(np.linalg.LinAlgError):
        _condition(stack)
