"""The vectorised Levenberg-Marquardt engine (:mod:`spectra.fitting.lm`) on its own.

* continuous batching: with a working set smaller than the batch (``window``), spectra leave it as
  they finish and waiting ones take their places; every spectrum gets exactly the numbers it gets
  when fitted alone, and ``on_done`` hears of each spectrum once, with those numbers;
* a parameter whose best value lies on its bound reaches it in a few iterations (not hundreds).

The spectra come from ``spectra.simulate`` with seeded noise, some with a Li2S line shifted outside
its centre range so that its centre ends on the bound.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from spectra import simulate
from spectra.fitting.batch import fit_many
from spectra.fitting.lm import levenberg_marquardt
from spectra.fitting.prepare import as_raw, prepare
from spectra.fitting.problem import problem_for

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": {"kind": "active-shirley", "linear": True},
          "overrides": {"Li2S": {"center": {"value": 160.0, "min": 159.8, "max": 160.3}}}}


def _items(n: int, seed: int = 0):
    """Prepared items of ``n`` spectra with their start models; every third has Li2S at 159.5 eV,
    below its centre range (its fit ends on the bound)."""
    problem = problem_for(RECIPE)
    rng = np.random.default_rng(seed)
    items = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(n):
            f = rng.uniform(0.1, 0.5)
            centers = {"Li2S": 159.5} if k % 3 == 0 else {}
            da, _ = simulate.xps("S 2p", {"PS4": 1 - f, "Li2S": f}, peak_counts=rng.uniform(3e3, 2e4), seed=seed + k,
                                 centers=centers)
            ready, failures = prepare([k], as_raw(da, problem.axis, problem.file_region, problem.name), None, problem,
                                      "poisson")
            assert not failures
            items += ready
    problem.attach_models(items)
    return problem, items


def _fit(problem, items, **kwargs):
    stack = {name: np.stack([getattr(it, name) for it in items]) for name in ("y", "sigma", "lo", "hi", "start")}
    return levenberg_marquardt(problem.batched_model(items), np.clip(stack["start"], stack["lo"], stack["hi"]),
                               stack["lo"], stack["hi"], problem.vary, stack["y"], stack["sigma"], **kwargs)


def test_continuous_batching_gives_each_spectrum_its_fit_alone():
    problem, items = _items(12)
    alone = [_fit(problem, [item]) for item in items]
    heard = {}
    windowed = _fit(problem, items, window=4, on_done=lambda rows, fit: heard.update(
        {int(r): (fit.theta[k], fit.chi2[k], fit.iterations[k]) for k, r in enumerate(rows)}))
    together = _fit(problem, items)
    assert sorted(heard) == list(range(12))
    for k, one in enumerate(alone):
        for fit in (windowed, together):
            np.testing.assert_array_equal(fit.theta[k], one.theta[0])
            np.testing.assert_array_equal(fit.covariance[k], one.covariance[0])
            assert fit.chi2[k] == one.chi2[0] and fit.iterations[k] == one.iterations[0]
            assert fit.message[k] == one.message[0] and fit.converged[k] == one.converged[0]
        np.testing.assert_array_equal(heard[k][0], one.theta[0])
        assert heard[k][1] == one.chi2[0] and heard[k][2] == one.iterations[0]
    # the spectra finish at different iterations: the working set was refilled as they did
    assert len(set(windowed.iterations.tolist())) > 1


def test_fit_many_results_do_not_depend_on_the_working_set():
    das = [simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=s, centers={"Li2S": 159.5})[0]
           for s in range(10)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small, large = fit_many(das, RECIPE, chunk_size=3), fit_many(das, RECIPE, chunk_size=64)
    np.testing.assert_array_equal(small.value.values, large.value.values)
    np.testing.assert_array_equal(small.nfev.values, large.nfev.values)


def test_a_best_fit_on_a_bound_is_reached_in_few_iterations():
    problem, items = _items(12, seed=40)
    fit = _fit(problem, items)
    li2s = problem.names.index("Li2S_center")
    on_bound = np.arange(12) % 3 == 0
    assert fit.converged.all()
    assert np.allclose(fit.theta[on_bound, li2s], 159.8, atol=1e-6)  # at its lower bound
    assert fit.iterations.max() <= 20


@pytest.mark.parametrize("window", [1, 5])
def test_a_window_larger_or_smaller_than_needed_is_fine(window):
    problem, items = _items(3, seed=70)
    np.testing.assert_array_equal(_fit(problem, items, window=window).theta, _fit(problem, items).theta)
