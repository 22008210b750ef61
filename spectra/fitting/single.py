"""Fit one spectrum or pattern with lmfit, the reference engine: :func:`fit`."""
from __future__ import annotations

import hashlib

import numpy as np
import xarray as xr

from ..errors import FitError
from .dataset import versions
from .lmfit_engine import fit_model
from .montecarlo import monte_carlo
from .options import validate
from .prepare import as_raw, prepare
from .problem import problem_for


def fit(da: xr.DataArray, recipe, **options):
    """Fit one spectrum or pattern with the model a recipe describes (lmfit).

    Parameters
    ----------
    da : xarray.DataArray
        A 1-D spectrum on the technique's axis: ``binding_energy`` (XPS, counts or counts/s) or
        ``two_theta`` (XRD, counts per step).
    recipe : str, pathlib.Path or dict
        A recipe of any registered technique (a ``.toml`` path, TOML text or a dict).
    weights : {"poisson", "none"}
        ``poisson`` (default) weights each point by 1/σ from counting statistics (σ² = counts, at
        least one count; counts/s are converted with dwell time × scans when the file records them).
    method : {"leastsq", "least_squares"}, optional
        lmfit minimiser; the technique's default when None (MINPACK ``leastsq``; XRD recipes with
        free peaks use ``least_squares``).
    mc_replicas : int
        When ≥ 2, also refit that many Poisson replicas of the fitted model (``result.monte_carlo``).
    seed : int, optional
        Seed of the Monte Carlo replicas.

    Returns
    -------
    LeastSquaresResult
        The technique's result (:class:`spectra.xps.result.XPSFitResult`,
        :class:`spectra.xrd.result.XRDFitResult`).

    Raises
    ------
    spectra.errors.SpectraError
        An invalid option (named, with its allowed values; options of ``fit_many`` alone are refused
        with the reason), an invalid recipe, or data that cannot be fitted — for the same reasons
        :func:`spectra.fit_many` gives a spectrum ``success = False``.
    """
    opts = validate("fit", options)
    attrs = dict(getattr(da, "attrs", {}))
    problem = problem_for(recipe, attrs)
    raw = as_raw(da, problem.axis, problem.file_region, problem.name)
    items, failures = prepare([0], raw, None, problem, opts.weights)
    if failures:
        raise FitError(f"cannot fit {attrs.get('source') or 'this spectrum'}: {failures[0]}")
    item = items[0]
    method = opts.method or problem.default_method
    try:
        problem.attach_models([item])
        model = problem.lmfit_model(item)
        result = problem.make_result(item, model, fit_model(model, item.y, item.sigma, method=method))
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"cannot fit {attrs.get('source') or 'this spectrum'}: {type(exc).__name__}: {exc}") from exc
    result.data_units = str(attrs.get("units", "counts"))
    result.lo, result.hi, result.start, result.weights = item.lo, item.hi, item.start, opts.weights
    result.assess()
    result.provenance = {"source": attrs.get("source"), "region": attrs.get("region"),
                         "recipe": problem.text, "recipe_sha256": problem.sha256,
                         "input_sha256": hashlib.sha256(np.ascontiguousarray(raw.y).tobytes()).hexdigest(),
                         "weights": opts.weights, "method": method, "counts_per_unit": problem.counts_factor(attrs),
                         "energy_reference": attrs.get("energy_reference"), "versions": versions()}
    if opts.mc_replicas:
        best = np.array([result.values[n] for n in problem.names])
        result.monte_carlo = monte_carlo(problem, item, best, result.best_fit, opts.mc_replicas, seed=opts.seed,
                                         method=method)
    return result
