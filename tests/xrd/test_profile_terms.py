"""Profile terms recovered from patterns of an independent forward calculation (:mod:`tests.xrd.forward`,
plain numpy, not ``XRDModel``), by both engines: Bérar–Baldinozzi asymmetry with a refined Kα2 ratio,
Pearson VII and split pseudo-Voigt profiles, microstrain beside the Scherrer size (Williamson–Hall
separation) and March–Dollase preferred orientation; and the recipe rules of these terms.

Tolerances: each recovered value within 3σ of the truth and within a stated absolute or relative
bound; χ²ᵣ within 0.9–1.12 (Poisson noise, the true model); for the orientation ensemble at least 6 of
8 seeds within 2σ (the issue's ≥ 90 % over many trials is the slow study below).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import spectra
from spectra.errors import RecipeError
from spectra.recipe import load_recipe
from spectra.xrd.problem import XRDProblem

from . import forward as fw

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

LAB6 = {"technique": "xrd", "anode": "Cu", "phases": ["LaB6"],
        "phase_options": {"LaB6": {"size": {"value": 1e4, "vary": False}}}, "instrument": dict(fw.INSTRUMENT)}


def grid(low, high, step=0.02):
    return np.round(np.arange(low, high + 1e-9, step), 10)


def both(da, recipe):
    """The single fit and the batched fit_many Dataset of one pattern."""
    return spectra.fit(da, recipe), spectra.fit_many([da], recipe)


def check(result, ds, name, truth, tolerance):
    """``name`` within 3σ and ``tolerance`` of ``truth`` in both engines, which agree."""
    value, sd = result.values[name], result.stderr[name]
    assert result.success and 0.9 < result.redchi < 1.12, (result.message, result.redchi)
    message = f"{name} {value:.5g} ± {sd:.2g}, true {truth}"
    assert abs(value - truth) < 3 * sd and abs(value - truth) < tolerance, message
    batched = float(ds.value.sel(param=name)[0])
    assert bool(ds.success[0]), ds.message.values
    assert abs(batched - value) < 0.1 * sd, f"{name}: batched {batched:.6g}, lmfit {value:.6g} ± {sd:.2g}"


def test_asymmetry_and_ka2_ratio_are_recovered():
    x = grid(18.0, 80.0)
    da = fw.noisy(x, fw.background(x) + fw.phase_pattern(x, "LaB6", 30.0, 1e4, asym=(0.03, -0.01), ka2_ratio=0.45), 1)
    recipe = {**LAB6, "ka2_ratio": {"value": 0.5, "vary": True},
              "instrument": {**fw.INSTRUMENT, "asym_p1": {"value": 0.0, "vary": True},
                             "asym_p2": {"value": 0.0, "vary": True}}}
    result, ds = both(da, recipe)
    check(result, ds, "inst_asym_p1", 0.03, 0.006)
    check(result, ds, "inst_asym_p2", -0.01, 0.002)
    check(result, ds, "ka2_ratio", 0.45, 0.005)


def test_axial_divergence_is_recovered():
    """Lines averaged over axial rays (shift A cot 2θ t², A = 0.04°): A within 3σ and 0.004°."""
    x = grid(18.0, 88.0)
    da = fw.noisy(x, fw.background(x) + fw.phase_pattern(x, "LaB6", 30.0, 1e4, axial=0.04), 5)
    recipe = {**LAB6, "instrument": {**fw.INSTRUMENT, "axial": {"value": 0.01, "vary": True}}}
    result, ds = both(da, recipe)
    check(result, ds, "inst_axial", 0.04, 0.004)


def test_all_four_asymmetry_terms_within_three_sigma():
    """P1…P4 together: over 18–88° the 1/tanθ and 1/tan 2θ terms are strongly correlated (cot 2θ =
    (cotθ − tanθ)/2), so their σ are large; each is still within 3σ and the engines agree."""
    x = grid(18.0, 88.0)
    truth = (0.03, -0.01, 0.02, -0.005)
    da = fw.noisy(x, fw.background(x) + fw.phase_pattern(x, "LaB6", 30.0, 1e4, asym=truth), 4)
    recipe = {**LAB6, "instrument": {**fw.INSTRUMENT, **{f"asym_p{k}": {"value": 0.0, "vary": True}
                                                           for k in range(1, 5)}}}
    result, ds = both(da, recipe)
    for k, value in enumerate(truth, start=1):
        check(result, ds, f"inst_asym_p{k}", value, 0.3)


@pytest.mark.parametrize(("profile", "key", "truth", "shape", "tolerance"),
                         [("pearson7", "pearson_m", 1.6, 1.6, 0.1), ("split-pseudo-voigt", "split", 0.15, 0.15, 0.02)])
def test_profile_shape_is_recovered(profile, key, truth, shape, tolerance):
    x = grid(18.0, 64.0)
    name = {"split-pseudo-voigt": "split"}.get(profile, profile)
    da = fw.noisy(x, fw.background(x) + fw.phase_pattern(x, "LaB6", 30.0, 1e4, profile=name, shape=shape), 2)
    recipe = {**LAB6, "profile": profile, "instrument": {**fw.INSTRUMENT, key: {"value": 1.0 if key == "pearson_m"
                                                                              else 0.0, "vary": True}}}
    result, ds = both(da, recipe)
    check(result, ds, f"inst_{key}", truth, tolerance)


def test_size_and_strain_separate():
    """10 nm Li2S with ε = 0.003 (Lorentzian Scherrer ∝ 1/cosθ and 4ε tanθ): both recovered (up to 88°:
    the committed reflection list ends at 90°)."""
    x = grid(20.0, 88.0, 0.025)
    da = fw.noisy(x, fw.background(x) + fw.phase_pattern(x, "Li2S", 400.0, 10.0, strain=0.003), 3)
    recipe = {"technique": "xrd", "anode": "Cu", "phases": ["Li2S"], "instrument": dict(fw.INSTRUMENT),
              "phase_options": {"Li2S": {"strain": {"value": 0.001, "vary": True}}}}
    result, ds = both(da, recipe)
    check(result, ds, "Li2S_size", 10.0, 1.0)
    check(result, ds, "Li2S_strain", 0.003, 0.0003)


def orientation_pattern(seed, r=0.8):
    x = grid(20.0, 80.0, 0.03)
    expected = (fw.background(x) + fw.phase_pattern(x, "Li2S", 150.0, 12.0)
                + fw.phase_pattern(x, "graphite", 2000.0, 60.0, po_r=r))
    return fw.noisy(x, expected, seed)


ORIENTED = {"technique": "xrd", "anode": "Cu", "phases": ["Li2S", "graphite"], "instrument": dict(fw.INSTRUMENT),
            "phase_options": {"graphite": {"refine_cell": False,
                                           "preferred_orientation": {"hkl": [0, 0, 1],
                                                                     "r": {"value": 1.0, "min": 0.5, "max": 2.0}}}}}


def test_march_dollase_r_is_recovered():
    result, ds = both(orientation_pattern(10), ORIENTED)
    check(result, ds, "graphite_po_r", 0.8, 0.03)
    # the orientation does not bias the other phase's size
    assert abs(result.values["Li2S_size"] / 12.0 - 1) < 0.1


def test_march_dollase_r_coverage_over_seeds():
    ds = spectra.fit_many([orientation_pattern(seed) for seed in range(20, 28)], ORIENTED)
    assert ds.success.values.all(), ds.message.values
    r, sd = ds.value.sel(param="graphite_po_r").values, ds.stderr.sel(param="graphite_po_r").values
    pulls = (r - 0.8) / sd
    assert np.sum(np.abs(pulls) < 2) >= 6 and np.all(np.abs(pulls) < 4), pulls


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SPECTRA_SLOW") != "1", reason="slow study: set SPECTRA_SLOW=1")
def test_march_dollase_r_within_two_sigma_in_ninety_percent_of_trials():
    ds = spectra.fit_many([orientation_pattern(seed) for seed in range(100, 160)], ORIENTED)
    assert ds.success.values.all(), ds.message.values
    pulls = (ds.value.sel(param="graphite_po_r").values - 0.8) / ds.stderr.sel(param="graphite_po_r").values
    assert np.mean(np.abs(pulls) < 2) >= 0.9, pulls


# ---------------------------------------------------------------------------------------- recipe rules
def names(recipe):
    return XRDProblem(load_recipe(recipe)).names


def test_recipes_without_the_new_terms_keep_their_parameters():
    assert names({"technique": "xrd", "anode": "Cu", "phases": ["Si"], "window": [20, 60]}) == [
        "Si_scale", "Si_a", "Si_size", "displacement", "zero", "inst_u", "inst_v", "inst_w", "inst_x", "inst_y",
        "bg_c0", "bg_c1", "bg_c2", "bg_c3"]


def test_new_terms_add_their_parameters():
    got = names({"technique": "xrd", "anode": "Cu", "phases": ["graphite"], "profile": "pearson7",
                 "ka2_ratio": {"value": 0.5, "vary": True}, "instrument": {"asym_p1": 0.01},
                 "phase_options": {"graphite": {"strain": 0.001, "preferred_orientation": {"hkl": [0, 0, 1]}}}})
    for name in ("graphite_strain", "graphite_po_r", "ka2_ratio", "inst_asym_p1", "inst_pearson_m"):
        assert name in got, name
    assert "inst_asym_p2" not in got and "inst_split" not in got


@pytest.mark.parametrize(("recipe", "words"), [
    ({"profile": "voigt"}, "profile must be one of"),
    ({"instrument": {"split": 0.1}}, "belong to another profile"),
    ({"instrument": {"q": 0.1}}, "unknown keys ['q']"),
    ({"phase_options": {"Si": {"preferred_orientation": {"hkl": [0, 0, 0]}}}}, "not all zero"),
    ({"phase_options": {"Si": {"preferred_orientation": {"hkl": [0, 0, 1], "r": {"value": 1, "min": 0}}}}},
     "must stay positive"),
    ({"phase_options": {"Si": {"strain": {"value": 0.1}}}}, "outside"),
    ({"ka2_ratio": 1.5}, "ka2_ratio must be a number from 0 to 1"),
    ({"wavelength": 0.7, "ka2_ratio": {"value": 0.5, "vary": True}}, "monochromatic"),
])
def test_recipe_errors_name_the_key(recipe, words):
    with pytest.raises(RecipeError) as info:
        names({"technique": "xrd", "anode": "Cu", "phases": ["Si"], **recipe})
    assert words in str(info.value), str(info.value)
