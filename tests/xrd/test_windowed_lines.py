"""The windowed line kernel of the batched XRD engine (:mod:`spectra.kernels.windowed`): its values and
Jacobian against a full pseudo-Voigt evaluation written here (partials by complex steps), the stated
bound on what the window drops, the numpy version against the compiled one, and fits of patterns from
the independent forward calculation (:mod:`tests.xrd.forward`) with and without windows."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from spectra import kernels
from spectra.fitting.batch import fit_many
from spectra.kernels import windowed
from spectra.xrd import batched

from . import forward as fw

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

X = np.round(np.arange(15.0, 56.0 + 1e-9, 0.03), 10)
N_SPEC, N_LINES, N_FREE = 3, 12, 6


def random_lines(seed=0, n_spec=N_SPEC):
    """Lines across (and a little beyond) the grid, narrow and broad, Gaussian to Lorentzian, each with
    sensitivities to three of the varying parameters."""
    rng = np.random.default_rng(seed)
    shape = (n_spec, N_LINES)
    c1 = rng.uniform(X[0] - 2.0, X[-1] + 2.0, shape)
    c2 = c1 + rng.uniform(0.05, 0.3, shape)
    w = np.exp(rng.uniform(math.log(0.05), math.log(1.5), shape))
    eta, area = rng.uniform(0.0, 1.0, shape), rng.uniform(10.0, 1000.0, shape)
    cols = np.array([np.sort(rng.choice(N_FREE, 3, replace=False)) for _ in range(N_LINES)])
    mask = np.zeros((N_LINES, N_FREE))
    mask[np.arange(N_LINES)[:, None], cols] = 1.0
    sens = rng.standard_normal((5, n_spec, N_LINES, N_FREE)) * mask
    return c1, c2, w, eta, area, sens, cols


def full_sum(c1, c2, w, eta, area, ratio, sens):
    """Σ A [pV(c1) + r pV(c2)] on X at every point, with pV = (1 − η) G + η L of unit area, and its
    Jacobian Σ_j ∂/∂p_j · sens_j, the partials by complex steps (exact to rounding)."""
    x = X[None, None, :]

    def curve(c1, c2, w, eta, area):
        def pv(c):
            sigma = w[..., None] / (2 * math.sqrt(2 * math.log(2)))
            d = x - c[..., None]
            gauss = np.exp(-0.5 * d**2 / sigma**2) / (sigma * math.sqrt(2 * math.pi))
            lorentz = (w[..., None] / 2) / (math.pi * (d**2 + (w[..., None] / 2) ** 2))
            return (1 - eta[..., None]) * gauss + eta[..., None] * lorentz
        return area[..., None] * (pv(c1) + ratio * pv(c2))

    params = [c1, c2, w, eta, area]
    per_line = curve(*params)
    jac = np.zeros((c1.shape[0], sens.shape[3], X.size))
    step = 1e-30
    for j in range(5):
        shifted = [p.astype(complex) for p in params]
        shifted[j] = shifted[j] + 1j * step
        partial = curve(*shifted).imag / step
        jac += np.einsum("bkf,bkn->bfn", sens[j], partial)
    return per_line.sum(axis=1), jac


@pytest.mark.parametrize("ratio", [0.5, 0.0], ids=["Ka1+Ka2", "Ka1 only"])
def test_equals_the_full_evaluation(kernel, ratio):
    """At the default reach the window drops < 5e-21 of each line: values and Jacobian equal the
    full sum to rounding (1e-12 of the largest value or Jacobian element)."""
    c1, c2, w, eta, area, sens, cols = random_lines()
    total, jac = windowed.pseudo_voigt_lines(X, c1, c2, w, eta, area, ratio, sens, cols, True)
    ref_total, ref_jac = full_sum(c1, c2, w, eta, area, ratio, sens)
    assert np.max(np.abs(total - ref_total)) <= 1e-12 * np.max(np.abs(ref_total))
    assert np.max(np.abs(jac - ref_jac)) <= 1e-12 * np.max(np.abs(ref_jac))
    values_only, none = windowed.pseudo_voigt_lines(X, c1, c2, w, eta, area, ratio, sens, cols, False)
    assert none is None and np.array_equal(values_only, total)


def test_what_a_short_window_drops_is_the_stated_gaussian_tail(kernel):
    """At reach k = 1.5 the difference from the full sum is the Gaussian beyond the window: below the
    docstring's bound (1 − η) A (1 + r) exp(−4 ln2 k²) / (σ √(2π)) summed over lines at every point,
    and not far below it (the bound is what is dropped at the window's edge)."""
    c1, c2, w, eta, area, sens, cols = random_lines(seed=3)
    eta[:] = np.minimum(eta, 0.5)  # Gaussian enough for the difference to be well above rounding
    reach, ratio = 1.5, 0.5
    total, _ = windowed.pseudo_voigt_lines(X, c1, c2, w, eta, area, ratio, sens, cols, False, reach=reach)
    ref_total, _ = full_sum(c1, c2, w, eta, area, ratio, sens)
    sigma = w / (2 * math.sqrt(2 * math.log(2)))
    bound = ((1 - eta) * area * (1 + ratio) * math.exp(-4 * math.log(2) * reach**2)
             / (sigma * math.sqrt(2 * math.pi))).sum(axis=1)
    dropped = np.max(np.abs(ref_total - total), axis=1)
    assert np.all(dropped <= bound) and np.all(dropped >= 0.01 * bound)
    assert np.all(ref_total - total >= -1e-12 * np.max(ref_total))  # only positive terms are dropped


def test_numpy_equals_numba(monkeypatch):
    if kernels._compiled() is None:
        pytest.skip("numba is not installed (pip install spectra-xpsxrd[fast])")
    c1, c2, w, eta, area, sens, cols = random_lines(seed=1)
    results = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("SPECTRA_NUMBA", flag)
        results[flag] = windowed.pseudo_voigt_lines(X, c1, c2, w, eta, area, 0.5, sens, cols, True)
    assert np.allclose(results["0"][0], results["1"][0], rtol=1e-12, atol=0)
    assert np.allclose(results["0"][1], results["1"][1], rtol=0, atol=1e-12 * np.abs(results["0"][1]).max())


def test_window_indices():
    """Each window runs from the first point at or above min(c1, c2) − k·FWHM to the last at or below
    max(c1, c2) + k·FWHM, clipped to the grid (empty off it); without Kα2 only c1 counts."""
    c1, c2, w = np.array([[20.0, 14.5, 10.0]]), np.array([[20.3, 14.6, 10.1]]), np.array([[0.1, 0.2, 0.2]])
    start, stop = windowed.windows(X, c1, c2, w, 0.5, 4.0)
    assert X[start[0, 0]] >= 19.6 > X[start[0, 0] - 1] and X[stop[0, 0] - 1] <= 20.7 < X[stop[0, 0]]
    assert start[0, 1] == 0 and X[stop[0, 1] - 1] <= 15.4 < X[stop[0, 1]]
    assert start[0, 2] == stop[0, 2] == 0
    start, stop = windowed.windows(X, c1, c2, w, 0.0, 4.0)
    assert X[stop[0, 0] - 1] <= 20.4 < X[stop[0, 0]]


#: Li2S (8 nm: broad, nearly Lorentzian lines) and Si (narrow lines) on a cubic background, from the
#: independent forward calculation with 60 µm displacement
RECIPE = {"technique": "xrd", "anode": "Cu", "phases": ["Si", "Li2S"], "instrument": dict(fw.INSTRUMENT),
          "background": {"kind": "chebyshev", "order": 3}, "radius_mm": fw.RADIUS_MM,
          "displacement": {"value": 0.0, "min": -500.0, "max": 500.0},
          "phase_options": {"Si": {"size": {"value": 200, "vary": False}}}}


def forward_stack(n):
    expected = (fw.background(X) + fw.phase_pattern(X, "Si", 40.0, 200.0, displacement_um=60.0)
                + fw.phase_pattern(X, "Li2S", 200.0, 8.0, displacement_um=60.0))
    counts = np.stack([fw.noisy(X, expected, seed).values for seed in range(n)])
    return xr.DataArray(counts, dims=("spectrum", "two_theta"), coords={"two_theta": X},
                        attrs={"units": "counts", "anode": "Cu"})


def test_fits_do_not_move(monkeypatch):
    """fit_many on 8 independent-forward patterns with windows and with every line evaluated in full
    (``LINE_REACH = inf``): every varying parameter within 0.01 σ, σ within 1e-6 relative."""
    data = forward_stack(8)
    windowed_fit = fit_many(data, RECIPE, engine="batched", workers=1)
    monkeypatch.setattr(batched, "LINE_REACH", np.inf)
    full_fit = fit_many(data, RECIPE, engine="batched", workers=1)
    assert windowed_fit.success.all() and full_fit.success.all()
    varying = windowed_fit.stderr.notnull().any("spectrum")
    assert int(varying.sum()) >= 8  # scales, cells, Li2S size, displacement, background
    pull = ((windowed_fit.value - full_fit.value) / full_fit.stderr).where(varying)
    assert float(np.nanmax(np.abs(pull))) < 0.01
    assert float(np.nanmax(np.abs(windowed_fit.stderr / full_fit.stderr - 1))) < 1e-6
