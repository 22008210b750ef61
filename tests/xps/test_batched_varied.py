"""The batched engine on varied S 2p spectra, as a depth profile or a map gives them (issue 15).

The spectra are written here in plain numpy with the GL(30) of ``test_sloped_and_charged`` (an
independent forward calculation, not the package's model): per spectrum a composition of 5–60 %
Li2S, a peak height of 2×10³–2×10⁴ counts, FWHM of 1.0–1.3 eV per component, PS4 at 161.4–161.8 eV
and Li2S 1.45–1.75 eV below it, a charge shift of ±0.2 eV and a sloped Shirley-type background
(constant, step ∝ the cumulative peak integral, slope of −5 % to +11 % of the height across the
window), with seeded Poisson noise. They are fitted with the README's recipe for sloped, charged
regions (active Shirley with ``linear = true``, a free ``shift``, Li2S's centre relative to PS4's).

* both engines agree within 0.01 σ on every parameter, with the same success flags (40 spectra);
* the batched engine converges for all of 300 spectra, in at most 20 iterations for 99 % of them,
  and recovers the Li2S fraction: |mean pull| < 0.25, pull sd 0.8–1.2, 2σ coverage ≥ 90 %.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np
import xarray as xr

from spectra.fitting.batch import fit_many

from .test_sloped_and_charged import gl30

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)",
          "background": {"kind": "active-shirley", "linear": True}, "shift": {"value": 0, "min": -3, "max": 3},
          "overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": -1.6, "min": -1.8, "max": -1.4}}}}


@functools.cache
def _varied(n: int, seed: int) -> tuple[xr.DataArray, np.ndarray]:
    """``n`` varied spectra (a stack) and their true Li2S fractions."""
    rng = np.random.default_rng(seed)
    x = np.round(np.arange(155.0, 172.0 + 0.025, 0.05), 10)
    rows, fractions = [], rng.uniform(0.05, 0.60, n)
    for f in fractions:
        height = rng.uniform(2e3, 2e4)
        ps4 = rng.uniform(161.4, 161.8) + rng.uniform(-0.2, 0.2)
        li2s = ps4 - rng.uniform(1.45, 1.75)
        peaks = np.zeros_like(x)
        for center, area in ((ps4, 1 - f), (li2s, f)):
            width = rng.uniform(1.0, 1.3)
            peaks += gl30(x, center, width, area) + gl30(x, center + 1.18, width, 0.5 * area)
        peaks *= height / peaks.max()
        integral = np.concatenate(([0.0], np.cumsum(0.5 * (peaks[1:] + peaks[:-1]) * np.diff(x))))
        background = (rng.uniform(0.3, 1.0) * height + rng.uniform(0.1, 0.4) * height * integral / integral[-1]
                      + rng.uniform(-0.05, 0.11) * height * (x - x[0]) / (x[-1] - x[0]))
        rows.append(rng.poisson(peaks + background).astype(float))
    da = xr.DataArray(np.array(rows), dims=("spectrum", "binding_energy"), coords={"binding_energy": x},
                      attrs={"technique": "xps", "units": "counts", "region": "S 2p", "excitation_energy": 1486.6})
    return da, fractions


def _fit(da, engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_many(da, RECIPE, engine=engine)


def test_both_engines_agree_on_varied_spectra():
    da, _ = _varied(40, 15)
    batched, reference = _fit(da, "batched"), _fit(da, "lmfit")
    assert np.array_equal(batched.success.values, reference.success.values) and batched.success.all()
    assert float((np.abs(batched.value - reference.value) / reference.stderr).max()) < 0.01


def test_varied_spectra_converge_in_few_iterations_and_recover_the_fraction():
    da, truth = _varied(300, 16)
    result = _fit(da, "batched")
    assert result.success.all()
    assert np.percentile(result.nfev.values, 99) <= 20
    fraction = result.fraction.sel(component="Li2S").values
    pull = (fraction - truth) / result.fraction_stderr.sel(component="Li2S").values
    assert np.isfinite(pull).all()
    assert abs(pull.mean()) < 0.25 and 0.8 < pull.std() < 1.2
    assert np.mean(np.abs(pull) < 2) >= 0.90
