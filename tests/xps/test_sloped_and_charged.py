"""Sloped backgrounds and charging: a fitted linear term on any XPS background (``linear = true``), one
charge ``shift`` for the region, and centres given ``offset_from`` another component.

The data are made here by an independent forward calculation in plain numpy (not ``spectra.simulate``
and not the package's model): CasaXPS GL(30) product lines, normalised numerically to their FWHM and
area; spin-orbit doublets with 2:1 areas and 1.18 eV (S 2p) or 0.61 eV (Si 2p) splitting; a
Shirley-type step proportional to the cumulative integral of the true peaks plus a constant and a
linear slope; seeded Poisson noise. Every spectrum has its own slope (up to ±10 % of the peak
height across the window), charge (up to ±1 eV), chemical shifts within the library ranges and FWHM
(0.7–1.8 eV).

* the recipe options are checked (``linear`` only where a kind takes it; shift references, offset
  chains and unknown references refused with a RecipeError);
* the batched Jacobian of the new terms equals central differences, on the numba kernel and on the
  numpy partials (``SPECTRA_NUMBA=0``), and the one-spectrum model equals the batched one;
* the lmfit and batched engines agree to 0.01 σ with the same success flags on 20 spectra;
* ``component_table()`` reports absolute centres with σ from the covariance;
* a recovery study with the documented recipe (``linear = true``, ``shift`` free, FWHM bounds
  widened to 0.5–2.2 eV) on S 2p (PS4 + Li2S), Li 1s (Li6PS5Cl + Li2S) and Si 2p (Si0 + LixSi +
  SiO2): 2σ coverage ≥ 93 %, |mean pull| < 0.25, pull sd within 0.8–1.2 for the Li2S / LixSi
  fraction and no σ of 0, on both engines (100 spectra per region on the batched engine, the first 40
  of them on lmfit; ``SPECTRA_SLOW=1`` runs 400 and 200 as well, marker ``slow``);
* without ``linear = true`` the same kind of sloped data give fractions biased by several σ.
"""
from __future__ import annotations

import functools
import math
import os
import warnings

import numpy as np
import pytest

from spectra import fit
from spectra.dataarray import xps_spectrum
from spectra.errors import RecipeError
from spectra.fitting.batch import fit_many
from spectra.xps import library
from spectra.xps.batched import BatchedXPS, supported
from spectra.xps.peak_model import XPSModel, start_table, static_backgrounds
from spectra.xps.problem import XPSProblem
from spectra.xps.recipe import parse_xps_recipe

from ..forward_lines import gl30

# ------------------------------------------------------------------------------ the forward calculation


#: per region: window, doublet splitting (None: singlets), components (library centre, ± chemical
#: spread of the truth), the component whose fraction is studied, and the true fractions given its f
REGIONS = {
    "S 2p": {"window": (155.0, 172.0), "splitting": 1.18, "components": {"PS4": (161.6, 0.1), "Li2S": (160.0, 0.2)},
             "target": "Li2S", "fractions": lambda f: {"PS4": 1 - f, "Li2S": f}},
    "Li 1s": {"window": (50.0, 61.0), "splitting": None,
              "components": {"Li6PS5Cl": (56.0, 0.1), "Li2S": (55.0, 0.1)},
              "target": "Li2S", "fractions": lambda f: {"Li6PS5Cl": 1 - f, "Li2S": f}},
    "Si 2p": {"window": (94.0, 107.0), "splitting": 0.61,
              "components": {"Si0": (99.4, 0.05), "LixSi": (97.5, 0.3), "SiO2": (103.45, 0.15)},
              "target": "LixSi", "fractions": lambda f: {"Si0": 0.7 * (1 - f), "LixSi": f, "SiO2": 0.3 * (1 - f)}},
}
#: largest |slope| across the window (fraction of the peak height) and |charge| (eV) of the study
SLOPE, CHARGE = 0.10, 1.0


def _spectrum(region: str, rng, *, slope: float | None = None, height: float = 1e4, step: float = 0.05):
    """One spectrum of ``region`` and its truth (fraction ``f``, charge ``q``, centres, widths, slope).

    The FWHM of each component is drawn from 0.7–1.8 eV (Li 1s: one FWHM for both, as the recipe
    shares it); the peaks' maximum is ``height`` counts; the background is a constant (0.3–1 ×
    height) + a Shirley-type step (0.1–0.4 × height, ∝ the cumulative integral of the true peaks) +
    ``slope`` × height × (x − x_low)/(window width), the slope drawn from ±:data:`SLOPE` unless given.
    """
    r = REGIONS[region]
    low, high = r["window"]
    x = np.round(np.arange(low, high + step / 2, step), 10)
    f = rng.uniform(0.2, 0.5)
    charge = rng.uniform(-CHARGE, CHARGE)
    shared = rng.uniform(0.7, 1.8)
    centers, widths = {}, {}
    for name, (center, spread) in r["components"].items():
        centers[name] = center + rng.uniform(-spread, spread) + charge
        widths[name] = shared if region == "Li 1s" else rng.uniform(0.7, 1.8)
    peaks = np.zeros_like(x)
    for name, area in r["fractions"](f).items():
        peaks += gl30(x, centers[name], widths[name], area)
        if r["splitting"]:
            peaks += gl30(x, centers[name] + r["splitting"], widths[name], 0.5 * area)
    peaks *= height / peaks.max()
    integral = np.concatenate(([0.0], np.cumsum(0.5 * (peaks[1:] + peaks[:-1]) * np.diff(x))))
    slope = rng.uniform(-SLOPE, SLOPE) if slope is None else slope
    background = (rng.uniform(0.3, 1.0) * height + rng.uniform(0.1, 0.4) * height * integral / integral[-1]
                  + slope * height * (x - low) / (high - low))
    counts = rng.poisson(peaks + background).astype(float)
    da = xps_spectrum(x, counts, energy_axis="binding", excitation_energy=1486.6, units="counts", region=region)
    return da, {"f": f, "q": charge, "centers": centers, "widths": widths, "slope": slope}


#: FWHM bounds widened as a user would for lab spectra (the library ranges are narrower)
FWHM = {"value": 1.2, "min": 0.5, "max": 2.2}


def _recipe(region: str, *, linear: bool = True, shift: bool = True) -> dict:
    """The documented recipe: active Shirley with ``linear = true``, a free ``shift``, widened FWHM
    bounds; Li 1s with Li2S's centre given as an offset from Li6PS5Cl's and one shared FWHM."""
    names = list(REGIONS[region]["components"])
    overrides = {name: {"fwhm": dict(FWHM)} for name in names}
    if region == "Li 1s":
        overrides = {"Li6PS5Cl": {"center": {"value": 56.0, "min": 55.7, "max": 56.3}, "fwhm": dict(FWHM)},
                     "Li2S": {"center": {"offset_from": "Li6PS5Cl", "value": -1.0, "min": -1.4, "max": -0.6},
                              "fwhm": {"same_as": "Li6PS5Cl"}}}
    recipe = {"region": region, "components": names, "lineshape": "GL(30)", "overrides": overrides,
              "background": {"kind": "active-shirley", "linear": True} if linear else "active-shirley"}
    if shift:
        recipe["shift"] = {"value": 0.0, "min": -3.0, "max": 3.0}
    return recipe


@functools.cache
def _study(region: str, trials: int, seed: int):
    """``trials`` seeded spectra of ``region`` (cached: the engines fit the same spectra)."""
    rng = np.random.default_rng(seed)
    return tuple(_spectrum(region, rng) for _ in range(trials))


def _fit(das, recipe, engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_many(list(das), recipe, engine=engine)


# ------------------------------------------------------------------------------ recipes
@pytest.mark.parametrize("kind", ["shirley", "active-shirley", "tougaard", "tougaard-fitted"])
def test_linear_term_adds_one_fitted_parameter(kind):
    spec = parse_xps_recipe({"region": "S 2p", "components": ["PS4"], "background": {"kind": kind, "linear": True}})
    problem = XPSProblem(spec)
    entry = spec.background.entry
    assert entry.name == f"{kind}+linear" and not entry.static and entry.partials is not None
    assert problem.names[-1] == "bg_linear" and problem.units[-1] == "counts/eV" and problem.vary[-1]
    plain = XPSProblem(parse_xps_recipe({"region": "S 2p", "components": ["PS4"], "background": kind}))
    assert problem.names == [*plain.names, "bg_linear"] and supported(spec) is None


@pytest.mark.parametrize("background", [{"kind": "linear", "linear": True}, {"kind": "step", "linear": True},
                                        {"kind": "none", "linear": True}, {"kind": "shirley", "linear": 1},
                                        {"kind": "active-shirley", "linear": "yes"}])
def test_linear_term_is_checked_through_the_kinds_options(background):
    with pytest.raises(RecipeError, match="linear"):
        parse_xps_recipe({"region": "S 2p", "components": ["PS4"], "background": background})


def test_shift_and_relative_centres_in_recipes():
    spec = parse_xps_recipe(_recipe("Li 1s"))
    problem = XPSProblem(spec)
    assert problem.names[0] == "shift" and problem.units[0] == "eV" and problem.vary[0]
    by_name = {c.name: c for c in spec.components}
    assert spec.shift_reference == "Li6PS5Cl" and not by_name["Li6PS5Cl"].center.vary  # anchors the shift
    li2s = by_name["Li2S"].center
    assert by_name["Li2S"].center_offset_from == "Li6PS5Cl" and (li2s.value, li2s.min, li2s.max) == (-1.0, -1.4, -0.6)
    assert spec.nominal_centers() == {"Li6PS5Cl": 56.0, "Li2S": 55.0}
    # without a value the offset and its bounds come from the library (Li2S relative to PS4's centre)
    spec = parse_xps_recipe({"region": "S 2p", "components": ["PS4", "Li2S"],
                             "overrides": {"Li2S": {"center": {"offset_from": "PS4"}}}})
    li2s, species = spec.components[1].center, library.region("S 2p").species
    ps4 = species["PS4"].center
    assert (li2s.value, li2s.min, li2s.max) == pytest.approx(
        (species["Li2S"].center - ps4, species["Li2S"].center_range[0] - ps4, species["Li2S"].center_range[1] - ps4))
    # a recipe that fixes an absolute centre anchors the shift itself; a fixed shift needs no anchor
    spec = parse_xps_recipe({"region": "S 2p", "components": ["PS4", "Li2S"], "shift": 0.2,
                             "overrides": {"Li2S": {"center": {"value": 160.0, "vary": False}}}})
    assert spec.shift_reference is None and spec.components[0].center.vary and spec.shift.value == 0.2
    spec = parse_xps_recipe({"region": "S 2p", "components": ["PS4", "Li2S"], "shift": {"value": 0.4, "vary": False}})
    assert spec.shift_reference is None and all(c.center.vary for c in spec.components)
    spec = parse_xps_recipe({"region": "S 2p", "components": ["PS4", "Li2S"], "shift": {"reference": "Li2S"}})
    assert spec.shift_reference == "Li2S" and spec.components[0].center.vary and not spec.components[1].center.vary
    assert (spec.shift.value, spec.shift.min, spec.shift.max) == (0.0, -3.0, 3.0)


@pytest.mark.parametrize("recipe,match", [
    ({"overrides": {"Li2S": {"center": {"offset_from": "P2Sx", "value": -1.6}}}}, "not another component"),
    ({"overrides": {"Li2S": {"center": {"offset_from": "Li2S", "value": -1.6}}}}, "not another component"),
    ({"components": ["PS4", "Li2S", "P2Sx"], "overrides": {"Li2S": {"center": {"offset_from": "PS4"}},
                                                           "P2Sx": {"center": {"offset_from": "Li2S"}}}}, "chains"),
    ({"overrides": {"Li2S": {"center": {"offset_from": 3}}}}, "component name"),
    ({"overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": 0.5}}}}, "outside"),
    ({"shift": {"value": 0, "reference": "S8"}}, "not a component"),
    ({"shift": {"value": 0, "reference": "Li2S"}, "overrides": {"Li2S": {"center": {"offset_from": "PS4"}}}},
     "absolute centre"),
    ({"shift": 0, "overrides": {"PS4": {"center": {"value": 161.6, "vary": True}}}}, "must be fixed"),
    ({"shift": {"value": 5}}, "outside"),
    ({"shift": True}, "expected a number"),
])
def test_bad_shift_and_offset_recipes_are_refused(recipe, match):
    with pytest.raises(RecipeError, match=match):
        parse_xps_recipe({"region": "S 2p", "components": ["PS4", "Li2S"], **recipe})


# ------------------------------------------------------------------------------ models and Jacobians
#: recipes exercising every new term: the documented ones, static kinds with the linear term, an
#: offset centre without a shift, and a doublet's offset centre with a shift and free splitting
JACOBIAN_RECIPES = {
    "S 2p": _recipe("S 2p"),
    "Li 1s": _recipe("Li 1s"),
    "Si 2p": _recipe("Si 2p"),
    "shirley+linear": {**_recipe("S 2p", shift=False), "background": {"kind": "shirley", "linear": True}},
    "tougaard+linear": {**_recipe("S 2p"), "background": {"kind": "tougaard", "linear": True}},
    "tougaard-fitted+linear": {**_recipe("S 2p"), "background": {"kind": "tougaard-fitted", "linear": True}},
    "offset": {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "linear",
               "overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": -1.6, "min": -1.8, "max": -1.4}}}},
    "offset+shift+splitting": {
        "region": "S 2p", "components": ["PS4", "Li2S", "P2Sx"], "shift": {"value": 0.0, "reference": "P2Sx"},
        "background": {"kind": "active-shirley", "linear": True}, "lineshape": "SGL(20)",
        "overrides": {"Li2S": {"center": {"offset_from": "PS4"},
                               "splitting": {"value": 1.18, "min": 1.1, "max": 1.3, "vary": True}}}},
}


def _region_of(recipe) -> str:
    return recipe["region"]


def _batched(recipe, y, x):
    """The batched model of spectra ``y`` (N, n) on ``x``, its problem, start values (N, P) and the
    background records."""
    spec = parse_xps_recipe(recipe)
    problem = XPSProblem(spec)
    infos, static, curves, seeds = static_backgrounds(spec, x, y)
    start = np.stack([r.value for r in start_table(spec, x, y, static, seeds)], axis=1)
    return BatchedXPS(spec, problem.names, problem.vary, x, curves), problem, start, infos


def _two_spectra(recipe):
    region = _region_of(recipe)
    rng = np.random.default_rng(5)
    das = [_spectrum(region, rng)[0] for _ in range(2)]
    return das[0].binding_energy.values, np.stack([da.values for da in das])


@pytest.mark.parametrize("numba", ["0", "1"], ids=["numpy", "numba"])
@pytest.mark.parametrize("name", list(JACOBIAN_RECIPES))
def test_jacobian_of_the_new_terms_equals_central_differences(name, numba, monkeypatch):
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    recipe = JACOBIAN_RECIPES[name]
    x, y = _two_spectra(recipe)
    model, problem, theta, _ = _batched(recipe, y, x)
    theta = theta * (1 + 0.002 * np.random.default_rng(1).standard_normal(theta.shape))
    if "bg_linear" in problem.names:  # a slope that is not zero
        theta[:, problem.names.index("bg_linear")] += 3.0
    free = [n for n, v in zip(problem.names, problem.vary) if v]
    new = {"shift", "bg_linear"} | {f"{c.name}_center" for c in model.spec.components if c.center_offset_from}
    assert new & set(free)
    _, jac = model.evaluate(theta, True)
    assert jac.shape == (2, len(free), x.size)
    for row, param in enumerate(free):
        k = problem.names.index(param)
        step = 1e-6 * max(abs(theta[0, k]), 1.0)
        up, down = theta.copy(), theta.copy()
        up[:, k] += step
        down[:, k] -= step
        numeric = (model.evaluate(up, False)[0] - model.evaluate(down, False)[0]) / (2 * step)
        assert np.max(np.abs(jac[:, row] - numeric)) <= 1e-6 * np.max(np.abs(numeric)) + 1e-9, param


@pytest.mark.parametrize("name", list(JACOBIAN_RECIPES))
def test_numba_kernel_equals_numpy_partials_and_the_one_spectrum_model(name, monkeypatch):
    recipe = JACOBIAN_RECIPES[name]
    x, y = _two_spectra(recipe)
    results = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("SPECTRA_NUMBA", flag)
        model, problem, theta, infos = _batched(recipe, y, x)
        results[flag] = model.evaluate(theta, True)
    for numpy_part, numba_part in zip(results["0"], results["1"]):
        assert np.max(np.abs(numpy_part - numba_part)) <= 1e-12 * np.max(np.abs(numpy_part))
    for k in range(len(y)):  # the lmfit engine's model: the same spectrum
        single = XPSModel(parse_xps_recipe(recipe), x, y[k], infos[k]).evaluate(dict(zip(problem.names, theta[k])))[0]
        assert np.max(np.abs(single - results["0"][0][k])) <= 1e-10 * np.max(np.abs(single))


def test_shift_moves_every_line_and_an_offset_follows_its_reference():
    spec = parse_xps_recipe({**_recipe("Li 1s"), "background": "none"})
    x = np.linspace(50.0, 61.0, 1101)
    model = XPSModel(spec, x, np.ones_like(x))
    p = {**model.defaults(), "shift": 0.0, "Li6PS5Cl_area": 1000.0, "Li2S_area": 500.0, "Li6PS5Cl_fwhm": 1.0}
    base = model.component_curves(p)
    moved = model.component_curves({**p, "shift": 0.7})
    for name in base:  # every line moves by the shift, unchanged
        assert x[np.argmax(moved[name])] - x[np.argmax(base[name])] == pytest.approx(0.7, abs=1e-9)
    assert x[np.argmax(base["Li2S"])] == pytest.approx(55.0, abs=1e-9)  # 56.0 + (-1.0)
    follow = model.component_curves({**p, "Li6PS5Cl_center": 56.2})
    assert x[np.argmax(follow["Li2S"])] == pytest.approx(55.2, abs=1e-9)


# ------------------------------------------------------------------------------ engines and results
def test_engines_agree_on_sloped_and_charged_spectra():
    das = [da for da, _ in _study("S 2p", 100, 11)[:14]] + [da for da, _ in _study("Li 1s", 100, 12)[:6]]
    for group, recipe in ((das[:14], _recipe("S 2p")), (das[14:], _recipe("Li 1s"))):
        batched, reference = _fit(group, recipe, "batched"), _fit(group, recipe, "lmfit")
        assert batched.attrs["engine"] == "batched" and reference.attrs["engine"] == "lmfit"
        assert np.array_equal(batched.success.values, reference.success.values) and batched.success.all()
        varying = reference.stderr.notnull().all("spectrum")
        assert bool(varying.sel(param="shift")) and bool(varying.sel(param="bg_linear"))
        diff = np.abs(batched.value - reference.value) / reference.stderr
        assert float(diff.where(varying).max()) < 0.01


def test_component_table_reports_absolute_centres_and_the_charge():
    da, truth = _study("Li 1s", 100, 12)[0]
    result = fit(da, _recipe("Li 1s"))
    assert result.success
    table = result.component_table().set_index("name")
    v, names = result.values, result.varying
    cov = np.asarray(result.covariance)
    assert table.loc["Li6PS5Cl", "center_eV"] == pytest.approx(v["Li6PS5Cl_center"] + v["shift"])
    assert table.loc["Li2S", "center_eV"] == pytest.approx(v["Li6PS5Cl_center"] + v["Li2S_center"] + v["shift"])
    # σ from the covariance: the reference's centre is fixed (it anchors the shift), so the Li2S line's
    # σ² is var(offset) + var(shift) + 2 cov(offset, shift)
    i, j = names.index("Li2S_center"), names.index("shift")
    assert table.loc["Li2S", "center_stderr"] == pytest.approx(math.sqrt(cov[i, i] + cov[j, j] + 2 * cov[i, j]))
    assert table.loc["Li6PS5Cl", "center_stderr"] == pytest.approx(result.stderr["shift"])
    for name in ("Li6PS5Cl", "Li2S"):
        assert abs(table.loc[name, "center_eV"] - truth["centers"][name]) < 4 * table.loc[name, "center_stderr"]
    charge = result.charge_shift
    assert charge.n == v["shift"] and charge.s == pytest.approx(result.stderr["shift"]) and charge.s > 0
    assert abs(charge.n - (truth["centers"]["Li6PS5Cl"] - 56.0)) < 4 * charge.s


# ------------------------------------------------------------------------------ recovery
# CI: 100 spectra per region on the batched engine and the first 40 of them on lmfit (the engines
# agree to 0.01 σ, so lmfit's 40 check its own path: starts, model, σ). The thresholds are the issue's.
# For N = 100 the standard errors are 0.021 (coverage at 95.4 %), 0.10 (mean pull), 0.07 (pull sd).
TRIALS = {"batched": 300, "lmfit": 300}
SLOW_TRIALS = {"batched": 2000, "lmfit": 1000}
SEEDS = {"S 2p": 21, "Li 1s": 22, "Si 2p": 23}


def _pulls(region: str, engine: str, trials: int, pool: int):
    data = _study(region, pool, SEEDS[region])[:trials]
    ds = _fit([da for da, _ in data], _recipe(region), engine)
    target = REGIONS[region]["target"]
    fraction = ds.fraction.sel(component=target).values
    sigma = ds.fraction_stderr.sel(component=target).values
    truth = np.array([t["f"] for _, t in data])
    return ds, (fraction - truth) / sigma, sigma


def _check_recovery(region, engine, trials, pool):
    ds, pull, sigma = _pulls(region, engine, trials, pool)
    coverage, mean, sd = float(np.mean(np.abs(pull) < 2)), float(np.mean(pull)), float(np.std(pull, ddof=1))
    print(f"{region} {engine}: n={trials} 2σ coverage {100 * coverage:.1f} % mean pull {mean:+.3f} pull sd {sd:.3f}")
    assert ds.success.all(), ds.message.values[~ds.success.values]
    assert np.all(np.isfinite(sigma) & (sigma > 0))  # no σ of 0 (or NaN)
    assert coverage >= 0.93
    assert abs(mean) < 0.25
    assert 0.8 <= sd <= 1.2


@pytest.mark.parametrize("engine", ["batched", "lmfit"])
@pytest.mark.parametrize("region", list(REGIONS))
def test_recovery_on_sloped_and_charged_spectra(region, engine):
    _check_recovery(region, engine, TRIALS[engine], TRIALS["batched"])


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SPECTRA_SLOW") != "1", reason="the larger recovery study: SPECTRA_SLOW=1")
@pytest.mark.parametrize("engine", ["batched", "lmfit"])
@pytest.mark.parametrize("region", list(REGIONS))
def test_recovery_on_sloped_and_charged_spectra_large(region, engine):
    _check_recovery(region, engine, SLOW_TRIALS[engine], SLOW_TRIALS["batched"])


@pytest.mark.parametrize("region", ["S 2p", "Si 2p"])
def test_sloped_data_without_the_linear_term_are_biased(region):
    """The same kind of spectra with a +8 to +10 % slope: without ``linear = true`` the slope is pushed
    into the peaks and the fraction is off by several σ; with it the pulls are centred."""
    rng = np.random.default_rng(31)
    data = [_spectrum(region, rng, slope=rng.uniform(0.08, 0.10)) for _ in range(40)]
    target = REGIONS[region]["target"]
    truth = np.array([t["f"] for _, t in data])
    mean = {}
    for linear in (False, True):
        ds = _fit([da for da, _ in data], _recipe(region, linear=linear), "batched")
        pull = (ds.fraction.sel(component=target).values - truth) / ds.fraction_stderr.sel(component=target).values
        mean[linear] = float(np.mean(pull))
    assert abs(mean[False]) > 0.5 and abs(mean[False]) > 3 * abs(mean[True])
    assert abs(mean[True]) < 0.5
