"""The area starts' linear solve (:func:`spectra.xps.peak_model._area_starts`) against one written
here: the design from the independent GL(30) of :mod:`tests.forward_lines` (each component's doublet
at unit major area; without a static background also a step under each, a constant and a slope),
columns at unit norm, solved by ``numpy.linalg.lstsq`` with the documented active-set rule of
:func:`spectra.fitting.linear.nonnegative_solve` (every line or step amplitude that comes out negative
set to 0 and the rest refitted, up to four rounds). Per-spectrum centres (a charge shift: the compiled
line kernel, and the numpy line shapes with ``SPECTRA_NUMBA=0``) and shared centres (one design for
all spectra), with spectra whose Li2S line is absent so that the non-negativity is active.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid

from spectra.xps.peak_model import _area_starts
from spectra.xps.recipe import parse_xps_recipe

from ..forward_lines import gl30

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)",
          "background": {"kind": "active-shirley", "linear": True}, "shift": {"value": 0, "min": -3, "max": 3},
          "overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": -1.6, "min": -1.8, "max": -1.4}}}}
STATIC_RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley", "lineshape": "GL(30)"}
SPLITTING, RATIO = 1.18, 0.5  # the data's doublets (S 2p)


def _data(n: int, seed: int):
    """x (m,), ``n`` spectra (n, m) and their charge shifts (n,): GL(30) doublets near the recipe's
    centres, Li2S absent from every third spectrum, on a constant, a step and a slope; Poisson noise."""
    rng = np.random.default_rng(seed)
    x = np.round(np.arange(155.0, 172.0 + 0.025, 0.05), 10)
    shift = rng.uniform(-2.0, 2.0, n)
    ps4 = 161.6 + shift + rng.uniform(-0.15, 0.15, n)
    share = np.where(np.arange(n) % 3 == 0, 0.0, rng.uniform(0.05, 0.6, n))
    peaks = np.zeros((n, x.size))
    for center, area in ((ps4, 1 - share), (ps4 - rng.uniform(1.45, 1.75, n), share)):
        width = rng.uniform(1.0, 1.3, n)[:, None]
        peaks += gl30(x, center[:, None], width, area[:, None]) \
            + gl30(x, center[:, None] + SPLITTING, width, RATIO * area[:, None])
    peaks *= rng.uniform(3e3, 2e4, n)[:, None] / peaks.max(axis=1, keepdims=True)
    height = peaks.max(axis=1, keepdims=True)
    step = np.cumsum(peaks, axis=1) / np.sum(peaks, axis=1, keepdims=True)
    y = rng.poisson(peaks + height * (0.5 + 0.2 * step + 0.05 * (x - x[0]) / np.ptp(x))).astype(float)
    return x, y, shift


def _reference_areas(spec, x, target, centers, with_steps: bool):
    """Areas (N, K) from the forward model's design at ``centers`` (N, K) for each target (N, n)."""
    fwhm = {c.name: float(c.fwhm.value) for c in spec.components}
    out = []
    for row, c in zip(target, centers):
        lines = [gl30(x, ck, fwhm[comp.name], 1.0) + gl30(x, ck + float(comp.splitting.value), fwhm[comp.name],
                                                          float(comp.ratio.value))
                 for comp, ck in zip(spec.components, c)]
        columns = lines + ([cumulative_trapezoid(line, x, initial=0.0) for line in lines]
                           + [np.ones_like(x), x - x[0]] if with_steps else [])
        design = np.stack(columns, axis=1)
        unit = design / np.linalg.norm(design, axis=0)
        signed = np.arange(design.shape[1]) < len(lines) * (2 if with_steps else 1)
        kept = np.ones(design.shape[1], bool)
        for _ in range(4):
            coef = np.zeros(design.shape[1])
            coef[kept] = np.linalg.lstsq(unit[:, kept], row, rcond=None)[0]
            negative = signed & kept & (coef < 0)
            if not negative.any():
                break
            kept &= ~negative
        coef[~kept] = 0.0
        out.append((coef / np.linalg.norm(design, axis=0))[:len(lines)])
    return np.array(out)


@pytest.mark.parametrize("numba", ["1", "0"])
def test_areas_at_per_spectrum_centres_equal_the_active_set_solve(monkeypatch, numba):
    """Fitted background (steps, constant, slope): per-spectrum centres; areas to 1e-7 of the largest."""
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    spec = parse_xps_recipe(RECIPE)
    x, y, shift = _data(60, 3)
    nominal = spec.nominal_centers()
    center_of = {f"{name}_area": (c + shift)[:, None] for name, c in nominal.items()}
    got = _area_starts(spec, x, y, None, center_of)
    centers = np.stack([nominal[c.name] + shift for c in spec.components], axis=1)
    expected = _reference_areas(spec, x, y, centers, with_steps=True)
    for k, comp in enumerate(spec.components):
        np.testing.assert_allclose(got[f"{comp.name}_area"], expected[:, k], rtol=0,
                                   atol=1e-7 * np.max(expected[:, k]))
    assert np.any(expected[:, 1] == 0.0)  # the non-negativity was active for some spectra


def test_areas_at_shared_centres_on_a_static_background_equal_the_active_set_solve():
    """Static background (subtracted; lines only), one design for every spectrum: areas to 1e-7."""
    spec = parse_xps_recipe(STATIC_RECIPE)
    x, y, _ = _data(40, 5)
    x, y = x[::-1], y[:, ::-1]  # descending, as instruments write binding energies
    static = np.broadcast_to(np.min(y, axis=1, keepdims=True), y.shape)
    nominal = spec.nominal_centers()
    center_of = {f"{name}_area": np.full((len(y), 1), c) for name, c in nominal.items()}
    got = _area_starts(spec, x, y, static, center_of)
    centers = np.tile([nominal[c.name] for c in spec.components], (len(y), 1))
    expected = _reference_areas(spec, x[::-1], (y - static)[:, ::-1], centers, with_steps=False)
    for k, comp in enumerate(spec.components):
        np.testing.assert_allclose(got[f"{comp.name}_area"], expected[:, k], rtol=0,
                                   atol=1e-7 * np.max(expected[:, k]))
