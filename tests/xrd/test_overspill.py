"""Beam overspill of a fixed divergence slit (recipe key ``overspill``, 2θc in degrees): recovery of 2θc
and the scale from a pattern of the independent forward calculation (:mod:`tests.xrd.forward`, the factor
min(1, sinθ/sinθc) applied here) by both engines, the batched Jacobian column against central
differences, an absent key changing nothing, and the real LaB6 pattern of a fixed-slit diffractometer."""
from __future__ import annotations

import math

import numpy as np
import pytest

import spectra
from spectra.errors import RecipeError
from spectra.xrd.batched import BatchedXRD
from spectra.xrd.pattern_model import XRDModel, parameter_layout
from spectra.xrd.recipe import parse_xrd_recipe

from . import forward as fw
from .batched_checks import assert_jacobian_by_differences, assert_matches_the_model

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

X = np.round(np.arange(18.0, 80.0 + 1e-9, 0.02), 10)
TRUE_CRITICAL, TRUE_SCALE = 40.0, 30.0
LAB6 = {"technique": "xrd", "anode": "Cu", "phases": ["LaB6"],
        "phase_options": {"LaB6": {"size": {"value": 1e4, "vary": False}}}, "instrument": dict(fw.INSTRUMENT)}
OVERSPILL = {"overspill": {"value": 30.0, "min": 5.0, "max": 150.0, "vary": True}}


def footprint(x, critical):
    """min(1, sinθ / sinθc), written out independently of the package."""
    return np.minimum(1.0, np.sin(np.radians(x / 2)) / math.sin(math.radians(critical / 2)))


def overspilled(seed=3):
    lines = fw.phase_pattern(X, "LaB6", TRUE_SCALE, 1e4)
    return fw.noisy(X, fw.background(X) + footprint(X, TRUE_CRITICAL) * lines, seed)


def test_overspill_and_scale_are_recovered_by_both_engines():
    da = overspilled()
    recipe = {**LAB6, **OVERSPILL}
    result = spectra.fit(da, recipe)
    ds = spectra.fit_many([da], recipe, engine="batched")
    assert result.success and 0.9 < result.redchi < 1.12, (result.message, result.redchi)
    assert bool(ds.success[0]), ds.message.values
    # the package's LP is half the forward's: its scale is twice the forward's
    for name, truth in (("overspill", TRUE_CRITICAL), ("LaB6_scale", 2 * TRUE_SCALE)):
        value, sd = result.values[name], result.stderr[name]
        assert abs(value - truth) < 3 * sd, f"{name} {value:.5g} ± {sd:.2g}, true {truth}"
        batched = float(ds.value.sel(param=name)[0])
        assert abs(batched - value) < 0.05 * sd, f"{name}: batched {batched:.6g}, lmfit {value:.6g} ± {sd:.2g}"
    assert {p.name: p.unit for p in parameter_layout(parse_xrd_recipe(recipe))}["overspill"] == "degree"


@pytest.mark.parametrize("profile", ["pseudo-voigt", "pearson7"])
def test_batched_values_and_jacobian_with_overspill(profile):
    """Values equal ``XRDModel``; the ``overspill`` column (and every other column, now scaled by f)
    equals central differences, with 2θc inside the grid and the kink between grid points, in the
    kernel path (pseudo-Voigt) and the numpy path (Pearson VII)."""
    da = overspilled()
    recipe = {**LAB6, "profile": profile, "peaks": [{"name": "p1", "center": 25.0, "fwhm": 0.3}],
              "zero": {"value": 0.01, "vary": True},
              "overspill": {"value": 40.011, "min": 5.0, "max": 150.0, "vary": True},
              "amorphous": ["carbon_black"], "background": {"kind": "chebyshev", "order": 2}}
    model = XRDModel(parse_xrd_recipe(recipe), da.two_theta.values, da.values)
    names = [p.name for p in model.params]
    assert "overspill" in names
    theta = np.array([[p.value for p in model.params]] * 2)
    theta[:, names.index("overspill")] = [40.011, 52.317]
    theta[:, names.index("displacement")] = [60.0, -30.0]  # off 0, where a relative step is lost to rounding
    batched = BatchedXRD(model, names, np.ones(len(names), bool))
    assert batched.plain == (profile == "pseudo-voigt")
    jac = assert_matches_the_model(batched, model, names, theta)
    assert_jacobian_by_differences(batched, jac, theta, names, list(enumerate(names)),
                                   lambda name: 1e-3 if name.startswith("bg_") else 1e-5)
    # the pattern without the key: the lines not reduced anywhere, so the overspilled one is smaller below 2θc
    plain = XRDModel(parse_xrd_recipe({k: v for k, v in recipe.items() if k != "overspill"}), da.two_theta.values,
                     da.values, starts=np.delete(theta[0], names.index("overspill")))
    p = dict(zip(names, theta[0]))
    full = plain.component_curves(p)["LaB6"]
    reduced = model.component_curves(p)["LaB6"]
    np.testing.assert_allclose(reduced, full * footprint(model.x, p["overspill"]), rtol=1e-12, atol=1e-12)


def test_absent_overspill_changes_nothing():
    """Without the key there is no ``overspill`` parameter and the fit is that of a fixed 2θc below the
    window (f = 1 at every point), value for value."""
    da = overspilled()
    without = spectra.fit(da, LAB6)
    below = spectra.fit(da, {**LAB6, "overspill": {"value": 10.0, "min": 5.0, "max": 150.0, "vary": False}})
    assert "overspill" not in without.values and below.values["overspill"] == 10.0
    assert list(without.values) == [k for k in below.values if k != "overspill"]
    assert all(without.values[k] == below.values[k] for k in without.values)
    assert without.redchi == below.redchi


@pytest.mark.parametrize("bad", [{"value": 40.0, "min": 0.0}, {"value": 40.0, "max": 180.0}, "40"])
def test_bad_overspill_is_refused(bad):
    with pytest.raises(RecipeError, match="overspill"):
        parse_xrd_recipe({**LAB6, "overspill": bad})


def test_real_fixed_slit_lab6_needs_overspill(shared_data):
    """The GSAS-II tutorial's LaB6 pattern (fixed divergence slit): its structure-intensity fit improves
    by more than a factor 3 in χ²ᵣ with the overspill correction."""
    da = spectra.read(shared_data / "xrd/gsas2tut_LaB6_Jan2018_v3.raw")[0]
    free = {k: {"value": v, "min": (-1 if k == "v" else 0), "max": 1, "vary": True}
            for k, v in {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.001, "y": 0.02}.items()}
    recipe = {"technique": "xrd", "window": [18, 70], "phases": ["LaB6"],
              "phase_options": {"LaB6": {"size": {"value": 10000, "vary": False}}}, "instrument": free}
    before = spectra.fit(da, recipe)
    after = spectra.fit(da, {**recipe, "overspill": {"value": 40, "min": 5, "max": 150, "vary": True}})
    assert before.success and after.success
    print(f"LaB6 χ²ᵣ without overspill {before.redchi:.2f}, with {after.redchi:.2f}; "
          f"2θc = {after.values['overspill']:.2f} ± {after.stderr['overspill']:.2g}°")
    assert after.redchi < before.redchi / 3
