"""Monte Carlo replicas prepared without start values (``Problem.attach_models(items, start=best)``).

Replicas are refitted from the best fit, so estimating start values from each replica's data (the
XPS charge-shift search and area solve, the XRD linear solve) was work thrown away. These tests
check that leaving it out changes nothing a user sees:

* the replicas' bounds and static backgrounds are the ones the data-start path (``attach_models``
  without ``start``, what Monte Carlo did before) makes, bound by bound and point by point, also for
  a background whose bounds depend on each replica's data (``linear``: slope within ±10 × the span);
* refitted parameters, fractions and :func:`monte_carlo` summaries equal those of the same replicas
  prepared by the data-start path (the expected values are computed here by that path), on the
  batched engine (three XPS recipes, one XRD recipe) and the lmfit engine;
* on 20 S 2p spectra made by an independent forward calculation (CasaXPS GL(30) doublets from
  ``tests/forward_lines.py``, a Shirley-type step, a slope and a charge shift, seeded Poisson
  noise), the 2.5-97.5 % Monte Carlo interval of the Li2S fraction covers the truth in at least 16
  (a 95 % interval covers it in 19 on average; P(≤ 15 of 20) = 0.3 %).

No timing is asserted (the machine is shared); ``benchmarks/bench_batch.py`` times 1,000 replicas.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from spectra import simulate
from spectra.dataarray import xps_spectrum
from spectra.fitting.batch import fit_many
from spectra.fitting.lm import levenberg_marquardt
from spectra.fitting.montecarlo import monte_carlo, refit, replicas, summary
from spectra.fitting.prepare import as_raw, prepare
from spectra.fitting.problem import Item, problem_for

from ..forward_lines import gl30

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

#: the documented recipe for sloped, charged S 2p regions (active Shirley + slope, one charge shift)
DOCUMENTED = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)",
              "background": {"kind": "active-shirley", "linear": True}, "shift": {"value": 0, "min": -3, "max": 3},
              "overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": -1.6, "min": -1.8, "max": -1.4}}}}
#: a static Shirley recomputed from every replica
STATIC = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley", "lineshape": "GL(30)"}
#: a fitted linear background, whose slope bounds come from each replica's data (±10 × its span)
LINEAR = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "linear", "lineshape": "GL(30)"}
XRD_RECIPE = {"technique": "xrd", "phases": ["Si", "Li2S"], "window": [20.0, 60.0]}
WINDOW, STEP, SPLITTING = (155.0, 172.0), 0.05, 1.18


def s2p(rng) -> tuple:
    """One S 2p spectrum (PS4 + Li2S GL(30) doublets, 2:1 areas, on a Shirley-type step, a constant
    and a slope, charged by up to ±0.2 eV; peak height 10⁴ counts) and its true Li2S fraction."""
    x = np.round(np.arange(WINDOW[0], WINDOW[1] + STEP / 2, STEP), 10)
    f, charge = rng.uniform(0.15, 0.5), rng.uniform(-0.2, 0.2)
    ps4 = rng.uniform(161.5, 161.7) + charge
    li2s = ps4 - rng.uniform(1.5, 1.7)
    peaks = np.zeros_like(x)
    for center, area in ((ps4, 1 - f), (li2s, f)):
        width = rng.uniform(1.0, 1.3)
        peaks += gl30(x, center, width, area) + gl30(x, center + SPLITTING, width, 0.5 * area)
    peaks *= 1e4 / peaks.max()
    integral = np.concatenate(([0.0], np.cumsum(0.5 * (peaks[1:] + peaks[:-1]) * STEP)))
    background = 5e3 + 2e3 * integral / integral[-1] + rng.uniform(-500, 1000) * (x - x[0]) / np.ptp(x)
    counts = rng.poisson(peaks + background).astype(float)
    return xps_spectrum(x, counts, energy_axis="binding", excitation_energy=1486.6, units="counts", region="S 2p"), f


def fitted(da, recipe):
    """The problem, the prepared item, its batched best fit (P,) and the model at it (n,)."""
    problem = problem_for(recipe, dict(da.attrs))
    (item,), failures = prepare([0], as_raw(da, problem.axis), None, problem)
    assert not failures
    problem.attach_models([item])
    fit = levenberg_marquardt(problem.batched_model([item]), item.start[None], item.lo[None], item.hi[None],
                              problem.vary, item.y[None], item.sigma[None])
    assert fit.converged[0]
    best = fit.theta[0]
    return problem, item, best, problem.batched_model([item]).evaluate(best[None], False)[0][0]


def data_start_replicas(problem, reps):
    """The same replicas prepared as before the fast path: start values estimated from each one's data."""
    slow = [Item(r.index, r.x, r.y, r.sigma, r.factor) for r in reps]
    problem.attach_models(slow)
    return slow


def stacked(reps, key):
    values = [getattr(r, key) for r in reps]
    return None if values[0] is None else np.stack(values)


@pytest.fixture(scope="module")
def s2p_spectrum():
    return s2p(np.random.default_rng(15))[0]


@pytest.fixture(scope="module")
def xrd_pattern():
    da, _ = simulate.xrd({"Si": {"scale": 8.0, "size": 300.0}, "Li2S": {"scale": 100.0, "size": 10.0}},
                         two_theta=(18.0, 62.0), step=0.04, seed=1)
    return da


@pytest.mark.parametrize("recipe", [DOCUMENTED, STATIC, LINEAR], ids=["documented", "static-shirley", "linear"])
def test_replicas_without_data_starts_refit_as_before(s2p_spectrum, recipe):
    problem, item, best, expected = fitted(s2p_spectrum, recipe)
    fast = replicas(problem, item, expected, 200, np.random.default_rng(4), best=best)
    slow = data_start_replicas(problem, fast)
    for key in ("lo", "hi"):  # what the model takes from each replica's data is made
        assert np.array_equal(stacked(fast, key), stacked(slow, key)), key
    if recipe is STATIC:  # the static Shirley, recomputed from each replica
        assert np.array_equal(stacked(fast, "background"), stacked(slow, "background"))
        assert np.ptp(stacked(fast, "background")[:, 0]) > 0
    else:  # fitted backgrounds: nothing computed before the fit
        assert stacked(fast, "background") is None and stacked(slow, "background") is None
    if recipe is LINEAR:
        assert np.ptp(stacked(fast, "hi")[:, problem.names.index("bg_slope")]) > 0  # bounds from each replica
    lo, hi = stacked(fast, "lo"), stacked(fast, "hi")
    assert np.array_equal(stacked(fast, "start"), np.clip(best, lo, hi))
    assert not np.allclose(stacked(slow, "start"), stacked(fast, "start"))  # the two paths did differ
    theta, fraction, ok = refit(problem, fast, best, engine="batched")
    theta0, fraction0, ok0 = refit(problem, slow, best, engine="batched")
    assert ok.mean() > 0.95 and np.array_equal(ok, ok0)
    np.testing.assert_allclose(theta, theta0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fraction, fraction0, rtol=1e-9, atol=1e-12)


def test_monte_carlo_summary_equals_the_data_start_path(s2p_spectrum):
    """:func:`monte_carlo` (fast path) against its replicas refitted after the data-start preparation."""
    problem, item, best, expected = fitted(s2p_spectrum, DOCUMENTED)
    mc = monte_carlo(problem, item, best, expected, 200, seed=9, engine="batched")
    slow = data_start_replicas(problem, replicas(problem, item, expected, 200, np.random.default_rng(9)))
    theta, fraction, ok = refit(problem, slow, best, engine="batched")
    assert mc["failed"] == int((~ok).sum())
    for k, label in enumerate(problem.fraction_labels):
        assert mc["fractions"][label] == pytest.approx(summary(fraction[ok, k]), rel=1e-9, abs=1e-12)
    for k, name in enumerate(problem.names):
        assert mc["params"][name] == pytest.approx(summary(theta[ok, k]), rel=1e-9, abs=1e-12, nan_ok=True)


def test_lmfit_engine_refits_as_before(s2p_spectrum):
    problem, item, best, expected = fitted(s2p_spectrum, STATIC)
    fast = replicas(problem, item, expected, 4, np.random.default_rng(2), best=best)
    theta, fraction, ok = refit(problem, fast, best, engine="lmfit")
    theta0, fraction0, ok0 = refit(problem, data_start_replicas(problem, fast), best, engine="lmfit")
    assert ok.all() and ok0.all()
    np.testing.assert_allclose(theta, theta0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fraction, fraction0, rtol=1e-9, atol=1e-12)


def test_xrd_replicas_refit_as_before(xrd_pattern):
    problem, item, best, expected = fitted(xrd_pattern, XRD_RECIPE)
    fast = replicas(problem, item, expected, 20, np.random.default_rng(3), best=best)
    slow = data_start_replicas(problem, fast)
    assert all(r.model is not None for r in fast)
    for key in ("lo", "hi"):
        assert np.array_equal(stacked(fast, key), stacked(slow, key)), key
    assert not np.allclose(stacked(slow, "start"), stacked(fast, "start"))
    theta, fraction, ok = refit(problem, fast, best, engine="batched")
    theta0, fraction0, ok0 = refit(problem, slow, best, engine="batched")
    assert ok.all() and ok0.all()
    np.testing.assert_allclose(theta, theta0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fraction, fraction0, rtol=1e-9, atol=1e-12)


def test_xrd_monte_carlo_runs_through_fit_many(xrd_pattern):
    result = fit_many([xrd_pattern], XRD_RECIPE, mc_replicas=30, seed=1).isel(spectrum=0)
    q = result.mc_fraction.sel(phase="Li2S").values
    assert np.all(np.isfinite(q)) and np.all(np.diff(q) >= 0)
    assert q[0] < float(result.weight_fraction.sel(phase="Li2S")) < q[-1]


def test_monte_carlo_interval_covers_the_truth_of_independent_spectra():
    rng = np.random.default_rng(2026)
    pairs = [s2p(rng) for _ in range(20)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_many([da for da, _ in pairs], DOCUMENTED, mc_replicas=200, seed=5)
    assert result.success.all()
    q = result.mc_fraction.sel(component="Li2S")
    low, high = q.sel(quantile=0.025).values, q.sel(quantile=0.975).values
    truth = np.array([f for _, f in pairs])
    assert np.all(np.isfinite(low)) and np.all(high > low)
    assert np.sum((low <= truth) & (truth <= high)) >= 16
