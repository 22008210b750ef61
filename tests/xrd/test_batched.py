"""The batched XRD engine: its model and analytic Jacobian against ``XRDModel`` and central
differences (numpy and numba kernels), agreement with the lmfit engine, derived weight fractions
against the single-fit result, faults, Monte Carlo and recovery on synthetic patterns."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import spectra
from spectra import kernels, simulate
from spectra.fitting.batch import fit_many, write_results
from spectra.studies.xrd_recovery import SCENARIOS, recipe_for, recovery
from spectra.xrd.batched import BatchedXRD
from spectra.xrd.pattern_model import XRDModel
from spectra.xrd.recipe import parse_xrd_recipe

from .batched_checks import assert_jacobian_by_differences, assert_matches_the_model

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

#: the study's carbon-containing anode with 8 nm Li2S, and its joint model
PHASES = {**SCENARIOS["lithiated with carbon"]["phases"], "Li2S": {"scale": 60.0, "size": 8.0}}
RECIPE = recipe_for(SCENARIOS["lithiated with carbon"])
#: every kind of term: cubic, hexagonal (a and c) and other (cell scale) cells, a free peak, a hump,
#: varying instrument widths and zero shift
EVERYTHING = {"technique": "xrd", "phases": ["Li6PS5Cl", "Li2S", "Si", "graphite", "Li2MnO3"],
              "amorphous": ["carbon_black"], "background": {"kind": "chebyshev", "order": 2},
              "zero": {"value": 0.01, "min": -0.5, "max": 0.5},
              "instrument": {k: {"value": v, "vary": True}
                             for k, v in {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.01, "y": 0.02}.items()},
              "peaks": [{"name": "p1", "center": 33.0, "fwhm": 0.4}]}


def pattern(seed=1, noise=True):
    da, _ = simulate.xrd(PHASES, two_theta=(15.0, 56.0), step=0.03, amorphous={"carbon_black": 3000.0},
                         displacement=60.0, seed=seed, background=(150.0, -20.0, 5.0), noise=noise)
    return da


def everything_model(monochromatic=False):
    da = pattern()
    recipe = {**EVERYTHING, "wavelength": 1.540562} if monochromatic else EVERYTHING
    model = XRDModel(parse_xrd_recipe(recipe), da.two_theta.values, da.values)
    names = [p.name for p in model.params]
    base = np.array([p.value for p in model.params])
    lo, hi = np.array([p.min for p in model.params]), np.array([p.max for p in model.params])
    theta = np.clip(base * (1 + 0.01 * np.random.default_rng(0).standard_normal((3, base.size))), lo, hi)
    theta[:, names.index("zero")] = [0.01, -0.02, 0.03]
    theta[:, names.index("displacement")] = [60.0, -30.0, 10.0]
    return model, names, theta


@pytest.mark.parametrize("monochromatic", [False, True], ids=["Cu Ka1+Ka2", "monochromatic"])
def test_values_equal_the_xrd_model(kernel, monochromatic):
    model, names, theta = everything_model(monochromatic)
    total, _ = BatchedXRD(model, names, np.ones(len(names), bool)).evaluate(theta, False)
    for row, values in zip(total, theta):
        reference = model.evaluate(dict(zip(names, values)))[0]
        assert np.max(np.abs(row - reference)) <= 1e-9 * np.max(np.abs(reference))


@pytest.mark.parametrize("monochromatic", [False, True], ids=["Cu Ka1+Ka2", "monochromatic"])
def test_jacobian_equals_central_differences(kernel, monochromatic):
    model, names, theta = everything_model(monochromatic)
    batched = BatchedXRD(model, names, np.ones(len(names), bool))
    _, jac = batched.evaluate(theta, True)
    for k, name in enumerate(names):
        step = 1e-6 * max(abs(theta[0, k]), 1e-3)
        up, down = theta.copy(), theta.copy()
        up[:, k] += step
        down[:, k] -= step
        numeric = (batched.evaluate(up, False)[0] - batched.evaluate(down, False)[0]) / (2 * step)
        scale = np.max(np.abs(numeric))
        # background coefficients are linear: central differences of large totals lose ~1e-4 to rounding
        tolerance = 1e-3 if name.startswith("bg_") else 1e-5
        assert np.max(np.abs(jac[:, k] - numeric)) <= tolerance * scale, name


def test_numba_and_numpy_kernels_agree(monkeypatch):
    if kernels._compiled() is None:
        pytest.skip("numba is not installed (pip install spectra-xpsxrd[fast])")
    model, names, theta = everything_model()
    results = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("SPECTRA_NUMBA", flag)
        results[flag] = BatchedXRD(model, names, np.ones(len(names), bool)).evaluate(theta, True)
    assert np.allclose(results["0"][0], results["1"][0], rtol=1e-12, atol=0)
    assert np.allclose(results["0"][1], results["1"][1], rtol=1e-9, atol=1e-12 * np.abs(results["0"][1]).max())


def stack(n, seed=0):
    expected = pattern(noise=False)
    counts = np.random.default_rng(seed).poisson(expected.values, size=(n, expected.size)).astype(float)
    return xr.DataArray(counts, dims=("spectrum", "two_theta"), coords={"two_theta": expected.two_theta.values},
                        attrs=expected.attrs)


def test_batched_agrees_with_lmfit_engine():
    data = stack(6)
    batched = fit_many(data, RECIPE, engine="batched")
    reference = fit_many(data, RECIPE, engine="lmfit")
    assert batched.attrs["engine"] == "batched" and reference.attrs["engine"] == "lmfit"
    assert (batched.success.values == reference.success.values).all() and batched.success.all()
    pull = (batched.value - reference.value) / reference.stderr
    assert float(np.nanmax(np.abs(pull))) < 0.01
    assert float(np.nanmax(np.abs(batched.stderr / reference.stderr - 1))) < 1e-3


def test_derived_quantities_equal_the_single_fit():
    """Weight fractions and sizes of fit_many equal XRDFitResult's (uncertainties package, full
    covariance) for the same pattern."""
    da = pattern(seed=4)
    single = spectra.fit(da, RECIPE)
    many = fit_many([da], RECIPE, engine="batched").isel(spectrum=0)
    fractions = single.weight_fractions()
    for phase in PHASES:
        row = many.sel(phase=phase)
        assert float(row.weight_fraction) == pytest.approx(fractions[phase].n, rel=1e-4)
        assert float(row.weight_fraction_stderr) == pytest.approx(fractions[phase].s, rel=1e-2)
    assert float(many.size.sel(phase="Li2S")) == pytest.approx(single.size("Li2S").n, rel=1e-4)
    assert float(many.size_stderr.sel(phase="Li2S")) == pytest.approx(single.size("Li2S").s, rel=1e-2)
    assert many.size.attrs["units"] == "nm" and np.isnan(float(many.size_stderr.sel(phase="Si")))


def test_bad_patterns_fail_alone():
    good = pattern(seed=2)
    holes = good.copy(data=np.where(np.arange(good.size) == 100, np.nan, good.values))
    wrong_axis = good.rename(two_theta="binding_energy")
    result = fit_many([good, holes, wrong_axis, good], RECIPE)
    assert result.success.values.tolist() == [True, False, False, True]
    assert "non-finite" in str(result.message.values[1]) and "two_theta" in str(result.message.values[2])
    assert np.allclose(result.value.values[0], result.value.values[3])


def test_monte_carlo_intervals_match_the_covariance():
    """With a fitted (not static) background, Monte Carlo replicas and the covariance describe the
    same noise: the 16-84 % half-width of the Li2S weight fraction equals its σ within 20 %."""
    result = fit_many([pattern(seed=3)], RECIPE, mc_replicas=300, seed=1).isel(spectrum=0)
    q = result.mc_fraction.sel(phase="Li2S")
    half_width = float(q.sel(quantile=0.84) - q.sel(quantile=0.16)) / 2
    assert half_width == pytest.approx(float(result.weight_fraction_stderr.sel(phase="Li2S")), rel=0.2)


def test_batched_recovery_of_li2s():
    """60 seeded patterns of the carbon-containing anode (Li2S 8 nm): every size within 10 %, and
    scale pulls calibrated. Thresholds at 3 standard errors for N = 60: coverage ≥ 0.954 -
    3·sqrt(0.954·0.046/60) = 0.87, |mean pull| ≤ 3/sqrt(60) = 0.39, pull sd within 0.7-1.3."""
    r = recovery("lithiated with carbon", 60.0, 8.0, trials=60, seed=700, engine="batched")
    assert r.size_within_10pct == 1.0 and r.significant == 1.0
    assert r.coverage_2sigma >= 0.87
    assert abs(r.mean_pull) <= 0.39
    assert 0.7 <= r.pull_std <= 1.3


def test_dask_blocks_and_netcdf_round_trip(tmp_path):
    """A dask-backed stack of patterns runs block by block with the local result, and the result
    (with its per-phase variables) survives the NetCDF writer."""
    pytest.importorskip("dask", reason="dask is in the test extra; install spectra-xpsxrd[dask]")
    data = stack(6, seed=2)
    local = fit_many(data, RECIPE)
    spread = fit_many(data.chunk({"spectrum": 3}), RECIPE, chunk_size=3)
    assert spread.attrs["blocks"] == 2
    assert np.allclose(spread.value, local.value, rtol=1e-9, atol=0)
    path = write_results(local, tmp_path / "fits.nc")
    back = xr.open_dataset(path, engine="h5netcdf")
    assert np.allclose(back.weight_fraction, local.weight_fraction) and back.size.attrs["units"] == "nm"
    back.close()


def test_radiation_comes_from_the_patterns_when_the_recipe_names_none():
    """Like spectra.fit, a recipe without anode or wavelength fits with the patterns' own radiation;
    a pattern measured with other radiation than the run's fails alone, with the reason."""
    phases = {"Si": {"scale": 8.0, "size": 300.0}, "Li2S": {"scale": 60.0, "size": 8.0}}
    recipe = {"technique": "xrd", "phases": ["Si", "Li2S"], "window": [10.0, 40.0],
              "phase_options": {"Si": {"size": {"value": 300, "vary": False}}}}
    mo = [simulate.xrd(phases, two_theta=(10.0, 40.0), step=0.02, anode="Mo", seed=s)[0] for s in (1, 2)]
    cu = simulate.xrd(phases, two_theta=(10.0, 40.0), step=0.02, anode="Cu", seed=3)[0]
    result = fit_many([*mo, cu], recipe)
    assert result.success.values.tolist() == [True, True, False]
    assert "measured with Cu radiation, but this run fits Mo" in str(result.message.values[2])
    single = spectra.fit(mo[0], recipe)
    assert float(result.value.sel(spectrum=0, param="Si_a")) == pytest.approx(single.values["Si_a"], abs=1e-5)
    assert float(result.value.sel(spectrum=0, param="Si_a")) == pytest.approx(5.431, abs=0.002)


def test_background_subtracted_patterns_are_fitted_like_a_single_fit():
    """The documented route for other backgrounds: subtract one first (here the known background of
    a synthetic pattern, so the noise goes negative), then fit without a Chebyshev term; fit_many
    accepts such patterns as spectra.fit does. Counting weights of subtracted intensities are
    meaningless (σ = √max(y, 1) of a difference), so the engines are compared with unit weights,
    as the docs recommend for subtracted patterns; Poisson weights are accepted too."""
    phases = {"Li6PS5Cl": {"scale": 1.0, "size": 150.0}, "Li2S": {"scale": 60.0, "size": 8.0}}
    da, truth = simulate.xrd(phases, two_theta=(15.0, 56.0), step=0.03, background=(150.0, -20.0, 5.0), seed=6)
    background = XRDModel(parse_xrd_recipe(truth.recipe), da.two_theta.values, da.values).background(truth.params)
    subtracted = da - background
    assert float(subtracted.min()) < 0
    recipe = {"technique": "xrd", "phases": list(phases), "background": "none",
              "phase_options": {"Li6PS5Cl": {"size": {"value": 150, "vary": False}}}}
    assert bool(fit_many([subtracted], recipe).success[0]) and spectra.fit(subtracted, recipe).success
    many = fit_many([subtracted], recipe, engine="batched", weights="none")
    single = spectra.fit(subtracted, recipe, weights="none")
    assert bool(many.success[0]) and single.success
    pull = (many.value.isel(spectrum=0) - [single.values[n] for n in many.param.values]) / many.stderr.isel(spectrum=0)
    assert float(np.nanmax(np.abs(pull))) < 0.01


#: the profile terms beyond the compiled kernel's case: every one varying
PROFILE_TERMS = {
    "pearson7": {"profile": "pearson7", "instrument": {**EVERYTHING["instrument"],
                                                       "pearson_m": {"value": 1.8, "vary": True}}},
    "split, asymmetry, axial, Ka2, orientation, strain, Pawley": {
        "profile": "split-pseudo-voigt", "ka2_ratio": {"value": 0.48, "vary": True}, "window": [15.0, 56.0],
        "instrument": {**EVERYTHING["instrument"], "split": {"value": 0.1, "vary": True},
                       **{f"asym_p{k}": {"value": v, "vary": True} for k, v in zip(range(1, 5),
                                                                                   (0.02, -0.01, 0.01, 0.005))},
                       "axial": {"value": 0.05, "vary": True}},
        "phase_options": {"Li2S": {"strain": {"value": 0.002}},
                          "graphite": {"preferred_orientation": {"hkl": [0, 0, 1], "r": 0.8}},
                          "Si": {"intensities": "pawley"}}},
}


@pytest.mark.parametrize("terms", list(PROFILE_TERMS))
def test_profile_terms_values_and_jacobian(terms):
    """The numpy path of the batched model (profiles, asymmetry, axial divergence, refined Kα2 ratio) and
    the kernel path with orientation, strain and Pawley terms: values equal ``XRDModel`` and every
    Jacobian column equals central differences."""
    da = pattern()
    model = XRDModel(parse_xrd_recipe({**EVERYTHING, **PROFILE_TERMS[terms]}), da.two_theta.values, da.values)
    names = [p.name for p in model.params]
    base = np.array([p.value for p in model.params])
    lo, hi = np.array([p.min for p in model.params]), np.array([p.max for p in model.params])
    theta = np.clip(base * (1 + 0.01 * np.random.default_rng(0).standard_normal((2, base.size))), lo, hi)
    theta[:, names.index("displacement")] = [60.0, -30.0]
    batched = BatchedXRD(model, names, np.ones(len(names), bool))
    assert not batched.plain
    jac = assert_matches_the_model(batched, model, names, theta)
    # the new terms and what they are chained through (cells, widths, positions, amounts)
    checked = [n for n in names if n.startswith(("inst_", "ka2_", "Si_", "Li2S_", "graphite_", "displacement", "zero"))]
    assert_jacobian_by_differences(batched, jac, theta, names, [(names.index(n), n) for n in checked],
                                   lambda name: 1e-4)
