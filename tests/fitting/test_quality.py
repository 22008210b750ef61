"""Honest flags (spectra.fitting.quality): a number that cannot be quoted says so, through both verbs
and both engines — never σ = 0 for a parameter stuck at a bound.

Data are written here in numpy (GL-free Gaussian doublets on a flat or linear background, seeded
Poisson noise), so the flags are checked against a truth the package did not make."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

import spectra
from spectra.fitting import quality

S2P = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "linear", "lineshape": "gaussian"}


def _gauss(x, c, w, a):
    s = w / (2 * math.sqrt(2 * math.log(2)))
    return a / (s * math.sqrt(2 * math.pi)) * np.exp(-0.5 * ((x - c) / s) ** 2)


def _spectrum(seed, *, li2s=3000.0, ps4=8000.0, extra=None, background=200.0):
    """Two S 2p doublets (2p3/2 at 161.6 and 160.0 eV, 1.18 eV splitting, 2:1) on a flat
    background, counts; ``extra`` adds (centre, fwhm, area) singlets the recipe does not have."""
    x = np.linspace(171.0, 155.0, 321)
    mean = np.full_like(x, background)
    for c, a in ((161.6, ps4), (160.0, li2s)):
        mean += _gauss(x, c, 1.1, a) + _gauss(x, c + 1.18, 1.1, a / 2)
    for c, w, a in extra or ():
        mean += _gauss(x, c, w, a)
    y = np.random.default_rng(seed).poisson(mean).astype(float)
    return xr.DataArray(y, dims="binding_energy", coords={"binding_energy": x},
                        attrs={"technique": "xps", "units": "counts", "region": "S 2p", "source": f"test seed {seed}"})


def test_well_posed_fit_is_ok_through_both_verbs():
    da = _spectrum(1)
    single = spectra.fit(da, S2P)
    assert single.ok and single.flags == "" and single.at_bound == {}
    assert np.all(np.isfinite(single.table().stderr[single.table().vary]))
    for engine in ("batched", "lmfit"):
        many = spectra.fit_many([da], S2P, engine=engine)
        assert bool(many.ok[0]) and str(many.flags.values[0]) == ""
        assert not many.at_bound.values.any()


def test_absent_component_at_its_bound_has_no_sigma():
    """A component that is not in the data (Li2S area → 0) ends at its lower bound: its σ is NaN,
    never 0, every area fraction (which depends on it) has σ NaN, and the fit is not ok."""
    for seed in range(2, 10):  # however the noise falls, an absent component is flagged or consistent with 0
        r = spectra.fit(_spectrum(seed, li2s=0.0), S2P)
        f = r.fractions()["Li2S"]
        assert not r.ok or f.n < 3 * f.s
    da = _spectrum(7, li2s=0.0)  # this noise takes the area itself to its bound
    single = spectra.fit(da, S2P)
    assert single.success and not single.ok
    assert single.at_bound.get("Li2S_area") == "lower"
    assert math.isnan(single.stderr["Li2S_area"])
    rows = single.table().set_index("quantity")
    assert rows.loc["Li2S_area", "flag"] == "at lower bound"
    assert math.isnan(rows.loc["fraction:Li2S", "stderr"]) and rows.loc["fraction:Li2S", "flag"]
    assert "at lower bound: Li2S_area" in single.summary() and "not ok" in single._repr_html_()
    assert all(math.isnan(f.s) for f in single.fractions().values())
    for engine in ("lmfit", "batched"):  # the batched engine may stop at another bound of this flat valley
        many = spectra.fit_many([da], S2P, engine=engine)
        assert not bool(many.ok[0]) and "at lower bound" in str(many.flags.values[0])
        at = many.at_bound.values[0] != 0
        assert at.any() and np.isnan(many.stderr.values[0, at]).all()
        if at[list(many.param.values).index("Li2S_area")]:
            assert np.isnan(many.fraction_stderr.values[0]).all()


def test_parameters_not_involved_keep_their_sigma():
    """A centre at its bound withdraws that centre's σ only; areas and fractions, whose gradients do
    not involve it, keep theirs (NaN only where the propagation needs the withdrawn entries)."""
    da = _spectrum(3)
    recipe = {**S2P, "overrides": {"Li2S": {"center": {"value": 160.3, "min": 160.2, "max": 160.8}}}}
    single = spectra.fit(da, recipe)  # the truth (160.0) lies below the allowed range
    assert single.at_bound.get("Li2S_center") == "lower"
    assert math.isnan(single.stderr["Li2S_center"])
    assert np.isfinite(single.stderr["Li2S_area"]) and single.stderr["Li2S_area"] > 0
    assert all(np.isfinite(f.s) and f.s > 0 for f in single.fractions().values())


def test_structure_in_the_residuals_is_an_inadequate_model():
    """A third line the recipe does not model leaves a run of positive residuals: flagged."""
    da = _spectrum(4, extra=[(163.5, 1.0, 4000.0)])
    single = spectra.fit(da, S2P)
    assert "model inadequate" in single.flags and not single.ok
    assert single.residual_runs_z < -quality.RUNS_Z or single.redchi > 1.5
    assert "model inadequate" in str(spectra.fit_many([da], S2P).flags.values[0])


def test_unit_weights_have_no_chi_square_test():
    """With weights="none" χ² has no absolute scale: only the runs test can flag the model."""
    da = _spectrum(5)
    assert spectra.fit(da, S2P, weights="none").flags == ""


@pytest.mark.parametrize("value,lo,hi,start,expected", [
    (0.0, 0.0, math.inf, 5000.0, (True, False)),            # an area at 0
    (0.3, 0.0, math.inf, 5000.0, (True, False)),            # within 1e-4 of its start distance: at the bound
    (1.0, 0.0, math.inf, 5000.0, (False, False)),
    (160.2, 160.2, 160.8, 160.5, (True, False)),
    (160.79995, 160.2, 160.8, 160.5, (True, False)[::-1]),  # within 1e-4 of the span of the upper bound
    (160.5, 160.2, 160.8, 160.5, (False, False)),
    (-5.0, -math.inf, math.inf, 0.0, (False, False)),
])
def test_at_bounds_tolerance(value, lo, hi, start, expected):
    lower, upper = quality.at_bounds(*(np.array([[v]]) for v in (value, lo, hi, start)), np.array([True]))
    assert (bool(lower[0, 0]), bool(upper[0, 0])) == expected


def test_runs_test_on_known_sequences():
    alternating = np.tile([1.0, -1.0], 50)
    blocks = np.repeat([1.0, -1.0], 50)
    assert quality.runs_z(alternating) > 5 and quality.runs_z(blocks) < -9
    assert math.isnan(quality.runs_z(np.ones(20)))
