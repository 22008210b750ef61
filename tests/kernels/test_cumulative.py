"""The cumulative trapezoid (:func:`spectra.kernels.cumulative_trapezoid`, which
:func:`spectra.backgrounds.curves.cumulative_trapezoid` is) gives the same numbers on the numba path
and with ``SPECTRA_NUMBA=0`` (the same sums in the same order), and agrees with scipy's, for 1-D to
3-D inputs, non-contiguous views and an axis per row."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from spectra import kernels


def _inputs():
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(150.0, 170.0, 341))
    return x, (rng.normal(size=341), rng.normal(size=(7, 341)), rng.normal(size=(5, 9, 341))[:, ::2])


def test_numba_and_numpy_paths_agree_exactly(monkeypatch):
    x, ys = _inputs()
    compiled = [kernels.cumulative_trapezoid(y, x) for y in ys]
    monkeypatch.setenv("SPECTRA_NUMBA", "0")
    for y, fast in zip(ys, compiled):
        np.testing.assert_array_equal(fast, kernels.cumulative_trapezoid(y, x))


@pytest.mark.parametrize("numba", ["1", "0"])
def test_agrees_with_scipy(numba, monkeypatch):
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    x, ys = _inputs()
    for y in ys:
        expected = integrate.cumulative_trapezoid(y, x, axis=-1, initial=0.0)
        np.testing.assert_allclose(kernels.cumulative_trapezoid(y, x), expected, rtol=1e-12, atol=1e-12)
    rows = np.stack([x, x + 0.5 * np.arange(341) / 341])          # a different axis per row
    y = ys[1][:2]
    expected = np.stack([integrate.cumulative_trapezoid(y[k], rows[k], initial=0.0) for k in range(2)])
    np.testing.assert_allclose(kernels.cumulative_trapezoid(y, rows), expected, rtol=1e-12, atol=1e-12)
