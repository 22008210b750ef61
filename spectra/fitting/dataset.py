"""The labelled result of fits: one layout for :func:`spectra.fit_many` and for a single fit's
``to_dataset()`` (its N = 1 slice), assembled here only."""
from __future__ import annotations

import functools
import json
from importlib import metadata as importlib_metadata

import numpy as np
import xarray as xr

from . import quality

#: quantiles of the Monte Carlo summaries
QUANTILES = (0.025, 0.16, 0.5, 0.84, 0.975)


@functools.cache
def versions() -> dict[str, str]:
    """Versions of spectra and the numerical stack, for provenance."""
    out = {}
    for name in ("spectra-xpsxrd", "numpy", "scipy", "xarray", "lmfit"):
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def results_dataset(problem, *, value, stderr, covariance, success, redchi, nfev, message, source, engine: str,
                    lo, hi, start, z_runs, dof, weights: str, complete: bool = True, pending: int = 0,
                    mc_value=None, mc_fraction=None, mc_done=None, workers: int = 1) -> xr.Dataset:
    """The Dataset of N fits of one recipe.

    Parameters
    ----------
    problem : Problem
        The technique's problem (names, units, derived quantities).
    value, stderr : ndarray (N, P)
    covariance : ndarray (N, F, F)
        Of the varying parameters, scaled by χ²ᵣ.
    success : ndarray of bool (N,)
    redchi : ndarray (N,)
    nfev : ndarray of int (N,)
    message : ndarray of str (N,)
    source : sequence of str (N,)
        Where each spectrum came from (file path, or "").
    engine : str
        ``batched`` or ``lmfit``.
    lo, hi, start : ndarray (N, P)
        Bounds and start values of each fit (for the at-bound flags).
    z_runs : ndarray (N,)
        Runs-test z of each fit's residual signs (:func:`spectra.fitting.quality.runs_z`).
    dof : ndarray (N,)
        Points minus varying parameters of each fit.
    weights : {"poisson", "none"}
    complete : bool
        False for an interrupted run.
    pending : int
        Spectra an interrupted run did not reach.
    mc_value, mc_fraction : ndarray (N, Q, P) and (N, Q, C), optional
        Monte Carlo quantiles (:data:`QUANTILES`) of the parameters and fractions.
    mc_done : ndarray of bool (N,), optional
        Which spectra have their Monte Carlo replicas (an interrupted run may lack some).
    workers : int
        Processes the fits were split over (``attrs["workers"]``).

    Returns
    -------
    xarray.Dataset
        dims ``spectrum``, ``param`` (and ``varying``, the technique's fraction dim, ``quantile``):
        ``value``, ``stderr``, ``success``, ``ok``, ``flags``, ``at_bound``, ``redchi``, ``nfev``,
        ``message``, ``covariance`` and the problem's derived quantities, with units and long
        names. Standard errors of parameters at a bound are NaN, as are those of derived quantities
        that depend on them (:mod:`spectra.fitting.quality`).
    """
    varying = [n for n, v in zip(problem.names, problem.vary) if v]
    q = quality.assess(problem.names, problem.vary, value, stderr, covariance, lo, hi, start, success, redchi,
                       z_runs, dof, weights == "poisson")
    stderr, covariance = q.stderr, q.covariance
    at_bound = np.where(q.lower, -1, np.where(q.upper, 1, 0)).astype(np.int8)
    derived, _ = problem.derived(value, covariance)
    per_param = {"units": "see param_unit"}
    variables = {
        "value": (("spectrum", "param"), value, {**per_param, "long_name": "best-fit parameter value"}),
        "stderr": (("spectrum", "param"), stderr,
                   {**per_param, "long_name": "standard error (covariance scaled by reduced chi-square)"}),
        "success": ("spectrum", np.asarray(success, bool), {"units": "1", "long_name": "fit converged"}),
        "ok": ("spectrum", q.ok, {"units": "1", "long_name": "converged and unflagged: the numbers can be quoted"}),
        "flags": ("spectrum", np.array(q.flags, dtype=str),
                  {"long_name": "why the numbers should not be quoted (empty: no flag); see spectra.fitting.quality"}),
        "at_bound": (("spectrum", "param"), at_bound,
                     {"units": "1", "long_name": "parameter at its lower (-1) or upper (+1) bound, else 0"}),
        "redchi": ("spectrum", redchi, {"units": "1", "long_name": "reduced chi-square (with the fit's weights)"}),
        "nfev": ("spectrum", np.asarray(nfev, int),
                 {"units": "1", "long_name": "model evaluations (batched: iterations)"}),
        "message": ("spectrum", np.asarray(message).astype(str), {"long_name": "how the fit ended, or why it failed"}),
        "lower_bound": (("spectrum", "param"), lo, {**per_param, "long_name": "lower bound of the parameter"}),
        "upper_bound": (("spectrum", "param"), hi, {**per_param, "long_name": "upper bound of the parameter"}),
        "start": (("spectrum", "param"), start, {**per_param, "long_name": "start value of the parameter"}),
        "residual_runs_z": ("spectrum", z_runs, {"units": "1", "long_name": "Wald-Wolfowitz runs-test z of "
                                                 "the residual signs (strongly negative: structure)"}),
        "dof": ("spectrum", np.asarray(dof, int), {"units": "1", "long_name": "points minus varying parameters"}),
        "covariance": (("spectrum", "varying", "varying_other"), covariance,
                       {"units": "param_unit x param_unit", "long_name": "covariance of the varying parameters"}),
        **derived,
    }
    coords = {"spectrum": np.arange(value.shape[0]), "param": problem.names,
              problem.fraction_dim: problem.fraction_labels, "param_unit": ("param", problem.units),
              "varying": varying, "varying_other": varying, "source": ("spectrum", np.array(source, dtype=str))}
    if mc_value is not None:
        variables["mc_value"] = (("spectrum", "quantile", "param"), mc_value,
                                 {**per_param, "long_name": "Monte Carlo quantiles of the parameters"})
        variables["mc_fraction"] = (("spectrum", "quantile", problem.fraction_dim), mc_fraction,
                                    {**problem.fraction_attrs, "long_name": "Monte Carlo quantiles of the "
                                     + problem.fraction_attrs["long_name"]})
        coords["quantile"] = list(QUANTILES)
    if mc_done is not None:
        variables["mc_done"] = ("spectrum", np.asarray(mc_done, bool),
                                {"units": "1", "long_name": "Monte Carlo replicas fitted"})
    return xr.Dataset(variables, coords=coords,
                      attrs={"technique": problem.name, "engine": engine, "weights": weights, "recipe": problem.text,
                             "recipe_sha256": problem.sha256, "region": problem.region,
                             "complete": int(complete), "pending": int(pending), "workers": int(workers),
                             "versions": json.dumps(versions())})
