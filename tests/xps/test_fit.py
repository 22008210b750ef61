"""XPS deconvolution: recovery on synthetic data with calibrated uncertainties, doublet constraints,
recipes, Monte Carlo, energy referencing, and the CasaXPS cross-check."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import spectra
from spectra import fit, simulate
from spectra.errors import FitError, RecipeError
from spectra.studies.xps_recovery import recovery
from spectra.xps import referencing
from spectra.xps.peak_model import XPSModel
from spectra.xps.recipe import parse_xps_recipe

S2P = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "active-shirley"}
SI2P = {"region": "Si 2p", "components": ["Si0", "LixSi", "SiO2"], "background": "active-shirley"}
LI1S = {"region": "Li 1s", "components": ["Li6PS5Cl", "Li2S"], "background": "active-shirley",
        "overrides": {"Li6PS5Cl": {"center": {"value": 56.0, "min": 55.7, "max": 56.3}},
                      "Li2S": {"center": {"value": 55.2, "min": 54.9, "max": 55.5}, "fwhm": {"same_as": "Li6PS5Cl"}}}}

# Recovery in CI: 80 seeded trials per setting (the full 200-trial study is tools/xps_recovery_study.py).
# Thresholds are 3 binomial/normal standard errors for N = 80 around the ideal values:
# 2σ coverage ≥ 0.954 - 3·sqrt(0.954·0.046/80) = 0.884; |mean pull| < 3/sqrt(80) = 0.34;
# pull standard deviation within 1 ± 3/sqrt(2·80) = [0.76, 1.24].
TRIALS = 80
CASES = [
    ("S 2p", S2P, lambda f: {"PS4": 1 - f, "Li2S": f}, "Li2S", None, 0.05, 1e3),
    ("S 2p", S2P, lambda f: {"PS4": 1 - f, "Li2S": f}, "Li2S", None, 0.6, 1e5),
    ("Si 2p", SI2P, lambda f: {"Si0": 0.7 * (1 - f), "LixSi": f, "SiO2": 0.3 * (1 - f)}, "LixSi", None, 0.3, 1e4),
    ("Li 1s", LI1S, lambda f: {"Li6PS5Cl": 1 - f, "Li2S": f}, "Li2S", {"Li6PS5Cl": 56.0, "Li2S": 55.2}, 0.3, 1e4),
]


@pytest.mark.parametrize("label,recipe,fractions,component,centers,f,peak", CASES,
                         ids=[f"{c[0]}-f{c[5]}-peak{c[6]:.0e}" for c in CASES])
def test_recovery_with_calibrated_uncertainty(label, recipe, fractions, component, centers, f, peak):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = recovery(recipe, fractions(f), component, peak_counts=peak, trials=TRIALS, seed=7, centers=centers)
    assert s.failed == 0
    assert s.coverage_2sigma >= 0.884
    assert abs(s.mean_pull) < 0.34
    assert 0.76 <= s.pull_std <= 1.24


def test_fit_recovers_positions_widths_and_background():
    da, truth = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=3e4, seed=11)
    r = fit(da, S2P)
    assert r.success and 0.8 < r.redchi < 1.2
    for name in ("PS4", "Li2S"):
        assert abs(r.values[f"{name}_center"] - truth.centers[name]) < 4 * r.stderr[f"{name}_center"]
        assert abs(r.values[f"{name}_fwhm"] - truth.fwhm[name]) < 4 * r.stderr[f"{name}_fwhm"]
        assert abs(r.areas()[name].n - truth.areas[name]) < 4 * r.areas()[name].s
    assert r.values["bg_k"] == pytest.approx(truth.background_k, rel=0.03)


def test_doublet_lines_follow_the_constraints():
    spec = parse_xps_recipe({"region": "S 2p", "components": ["Li2S"], "background": "none", "lineshape": "gaussian"})
    x = np.linspace(170, 155, 3001)
    model = XPSModel(spec, x, np.zeros_like(x))
    p = {"Li2S_center": 160.0, "Li2S_fwhm": 1.2, "Li2S_area": 1000.0, "Li2S_splitting": 1.18, "Li2S_ratio": 0.5}
    curve = model.component_curves(p)["Li2S"]
    major = spectra.lineshapes.gaussian(x, 160.0, 1.2, 1000.0)
    minor = curve - major
    assert np.trapezoid(minor, -x) == pytest.approx(500.0, rel=1e-6)  # area ratio 0.5
    assert x[np.argmax(minor)] == pytest.approx(161.18, abs=1e-3)    # splitting 1.18 eV
    half = minor.max() / 2
    above = x[minor >= half]
    assert above.max() - above.min() == pytest.approx(1.2, abs=0.01)  # same FWHM as the major line
    assert spec.components[0].ratio.vary is False and spec.components[0].splitting.vary is False


def test_scofield_ratio_and_shared_fwhm_in_recipes():
    spec = parse_xps_recipe({**S2P, "doublet_ratio": "scofield", "overrides": {"Li2S": {"fwhm": {"same_as": "PS4"}}}})
    assert spec.components[0].ratio.value == pytest.approx(1 / 1.956, abs=2e-4)
    model = XPSModel(spec, np.linspace(170, 155, 301), np.ones(301))
    assert "Li2S_fwhm" not in model.names and "PS4_fwhm" in model.names


@pytest.mark.parametrize("recipe,message", [
    ({"region": "S 2p", "components": ["PS4", "Nope"]}, "not a S 2p species"),
    ({"region": "S 2p", "components": ["PS4"], "colour": "red"}, "unknown recipe keys"),
    ({"region": "S 2p", "components": ["PS4"], "overrides": {"PS4": {"centre": 161}}}, "unknown keys"),
    ({"region": "S 2p", "components": ["PS4"], "overrides": {"PS4": {"center": {"value": 150, "min": 160}}}},
     "outside"),
    ({"region": "S 2p", "components": ["PS4"], "background": "magic"}, "background must be"),
    ({"region": "S 2p", "components": ["PS4"], "lineshape": "XX(3)"}, "unknown line shape"),
    ({"region": "Xe 3d", "components": ["PS4"]}, "not in the core-level library"),
    ({"components": ["PS4"]}, "needs a 'region'"),
])
def test_bad_recipes_name_the_problem(recipe, message):
    with pytest.raises(RecipeError, match=message):
        parse_xps_recipe(recipe)


def test_recipe_from_toml_text_and_hash():
    text = 'region = "S 2p"\ncomponents = ["PS4", "Li2S"]\nlineshape = "GL(30)"\n[overrides.Li2S]\nfwhm = 1.3\n'
    a, b = parse_xps_recipe(text), parse_xps_recipe({"region": "S 2p", "components": ["PS4", "Li2S"],
                                                     "lineshape": "GL(30)",
                                            "overrides": {"Li2S": {"fwhm": 1.3}}})
    assert a.sha256 == b.sha256 and a.components[1].fwhm.value == 1.3


def test_fit_needs_a_one_dimensional_binding_energy_spectrum():
    da, _ = simulate.xps("S 2p", {"PS4": 1.0}, seed=1)
    with pytest.raises(FitError, match="1-D spectrum on binding_energy"):
        fit(da.expand_dims(scan=[0, 1]), S2P)


def test_monte_carlo_agrees_with_covariance():
    da, _truth = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=5)
    r = fit(da, S2P, mc_replicas=150, seed=9)
    mc = r.monte_carlo["fractions"]["Li2S"]
    cov = r.fractions()["Li2S"].s
    assert r.monte_carlo["failed"] == 0
    assert mc["std"] == pytest.approx(cov, rel=0.25)  # 150 replicas: the MC σ itself is ±6 %
    assert mc["p16"] < r.fractions()["Li2S"].n < mc["p84"]


def test_static_shirley_fit_reports_its_settings():
    da, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=5)
    r = fit(da, {**S2P, "background": {"kind": "shirley", "average": 7, "offsets": [0, 0]}})
    info = r.background_info
    assert info["kind"] == "shirley" and info["converged"] and info["iterations"] > 0
    assert info["settings"]["average_points"] == 7
    ds = r.to_dataset()
    assert set(ds.fraction.component.values) == {"PS4", "Li2S"}
    assert ds.attrs["recipe_sha256"] == r.spec.sha256


def test_internal_referencing_removes_a_charge_shift():
    da, _truth = simulate.xps("S 2p", {"PS4": 0.6, "Li2S": 0.4}, peak_counts=2e4, seed=3, charge_shift=0.7)
    recipe = {**S2P, "overrides": {"PS4": {"center": {"value": 162.3, "min": 161.5, "max": 163.0}},
                                   "Li2S": {"center": {"value": 160.7, "min": 160.0, "max": 161.5}}}}
    r = fit(da, recipe)
    shift = referencing.internal_shift(r, "PS4", 161.6)
    assert shift.shift == pytest.approx(-0.7, abs=4 * shift.stderr + 1e-3)
    shifted = referencing.apply(da, shift)
    assert "internal reference" in shifted.attrs["energy_reference"]
    np.testing.assert_allclose(shifted.binding_energy - shifted.binding_energy_measured, shift.shift)
    r2 = fit(shifted, S2P)
    assert r2.values["Li2S_center"] == pytest.approx(160.0, abs=0.02)


def test_separation_referencing():
    s2p, _ = simulate.xps("S 2p", {"Li2S": 1.0}, peak_counts=2e4, seed=4)
    li1s, _ = simulate.xps("Li 1s", {"Li2S": 1.0}, peak_counts=2e4, seed=4, charge_shift=0.5)
    r_s = fit(s2p, {"region": "S 2p", "components": ["Li2S"], "background": "active-shirley"})
    r_li = fit(li1s, {"region": "Li 1s", "components": ["Li2S"], "background": "active-shirley",
                      "overrides": {"Li2S": {"center": {"value": 56.0, "min": 55.0, "max": 57.0}}}})
    shift = referencing.separation_shift(r_s, "Li2S", r_li, "Li2S", separation=160.0 - 55.6)
    assert shift.shift == pytest.approx(-0.5, abs=0.02)


def test_casaxps_cross_check_gl30_shirley(shared_data):
    """CasaXPS's saved GL(30)/Shirley models in feranick_casaxps_fit.vms, refitted by spectra.

    CasaXPS reports areas per second (counts / (dwell 0.2 s × 25 scans)). Tolerances, and why they
    are not tighter:
    * Si 2p (block 2, one GL(30)): position within 0.02 eV and area within 3 %;
    * Pd 3d (block 1, two GL(30) for an asymmetric metal line): positions within 0.2 eV (measured
      0.12 and 0.14 eV) and areas within 30 % (measured +19 % and +27 %). CasaXPS's stored parameters
      are not the least-squares optimum of the stored data under a Shirley background (χ²ᵣ 129 with
      its positions and widths, against 45 for the refit): a symmetric GL(30) is a poor model of the
      asymmetric Pd 3d lines, so the optimum moves with small differences in end averaging and in
      the region limits (CasaXPS's fall between data points).
    """
    from spectra.xps.casa import casa_model, recipe_from_casa

    blocks = spectra.read(shared_data / "xps/feranick_casaxps_fit.vms")
    for index, (pos_tol, area_tol) in ((1, (0.02, 0.03)), (0, (0.2, 0.30))):
        da = blocks[index]
        result = fit(da, recipe_from_casa(da))
        _, comps = casa_model(da)
        per_second = da.attrs["dwell_time"] * da.attrs["n_scans"]
        for k, comp in enumerate(comps, 1):
            assert result.values[f"c{k}_center"] == pytest.approx(1486.7 - comp["position"], abs=pos_tol)
            assert result.areas()[f"c{k}"].n / per_second == pytest.approx(comp["area"], rel=area_tol)


def test_plot_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    da, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, seed=2)
    ax = fit(da, S2P).plot()
    assert ax.get_xlim()[0] > ax.get_xlim()[1]  # binding energy decreases to the right
    assert math.isfinite(fit(da, S2P).redchi)


def test_other_backgrounds_fit_and_chi2_flags_the_wrong_one():
    """On a Shirley-type background a smooth step fits as well as the truth; a straight line or a
    Tougaard background cannot follow it, and the reduced χ² says so."""
    da, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=8)
    step = fit(da, {**S2P, "background": "step"})
    assert step.success and step.redchi < 1.3
    assert abs(step.fractions()["Li2S"].n - 0.3) < 3 * step.fractions()["Li2S"].s
    for kind in ("linear", "tougaard-fitted"):
        r = fit(da, {**S2P, "background": kind})
        assert r.success and r.redchi > 10, kind
