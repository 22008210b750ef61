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


@pytest.mark.parametrize("numba", ["1", "0"])
def test_adding_the_scaled_integral_in_place(numba, monkeypatch):
    """``y += k ∫y`` (the active Shirley term in Jacobian rows): against scipy's integral, on a strided view
    of 5 of 9 rows (the other rows untouched), row counts that are and are not multiples of four, with
    NaN and inf factors propagating as in numpy."""
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    x, (_, _, y) = _inputs()
    k = np.array([0.3, -1.5, 0.0, np.inf, np.nan])
    for rows in (slice(0, 5), slice(0, 8), slice(1, 9, 2)):
        whole = np.random.default_rng(4).normal(size=(5, 9, 341))
        before = whole.copy()
        view = whole[:, rows]
        with np.errstate(invalid="ignore"):
            expected = before[:, rows] + k[:, None, None] * integrate.cumulative_trapezoid(before[:, rows], x, axis=-1,
                                                                                            initial=0.0)
            kernels.add_scaled_cumulative(view, k, x[None, :])
        np.testing.assert_allclose(view[:3], expected[:3], rtol=1e-12, atol=1e-12)
        assert np.isnan(view[4]).all() and np.array_equal(np.isnan(view[3]), np.isnan(expected[3]))
        untouched = np.ones(9, bool)
        untouched[rows] = False
        np.testing.assert_array_equal(whole[:, untouched], before[:, untouched])


def test_adding_the_scaled_integral_numba_and_numpy_agree_exactly(monkeypatch):
    x, (_, _, y) = _inputs()
    k = np.array([0.3, -1.5, 2.0, 1e-3, 7.0])
    fast = np.ascontiguousarray(y)
    kernels.add_scaled_cumulative(fast, k, x)
    monkeypatch.setenv("SPECTRA_NUMBA", "0")
    slow = np.ascontiguousarray(y)
    kernels.add_scaled_cumulative(slow, k, x)
    np.testing.assert_array_equal(fast, slow)
