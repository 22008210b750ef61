"""The one lmfit driver: fit one spectrum's model (of any technique) with lmfit, the reference engine.

A *model* here is any object with ``params`` (a list of :class:`~spectra.fitting.params.ParamInfo`
with start values and bounds) and ``evaluate(values) -> (total, curves, background)``.
"""
from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import lmfit
import numpy as np


class LmfitFit(NamedTuple):
    """What one lmfit fit yields, before a technique turns it into its result.

    ``stderr`` is NaN for fixed or undetermined parameters; ``covariance`` is that of ``varying``
    (None when lmfit could not estimate it).
    """

    values: dict
    stderr: dict
    varying: list
    covariance: np.ndarray | None
    chisqr: float
    redchi: float
    nfev: int
    success: bool
    message: str
    best_fit: np.ndarray
    curves: dict
    background: np.ndarray


def inside_start(value: float, low: float, high: float) -> float:
    """A starting value inside the bounds and not exactly mid-way between finite bounds: lmfit maps
    bounded parameters through arcsin, and MINPACK's finite-difference step is zero at the midpoint
    (the fit then stalls and cannot estimate errors)."""
    value = min(max(value, low), high)
    if math.isfinite(low) and math.isfinite(high) and high > low and value == 0.5 * (low + high):
        value += 1e-3 * (high - low)
    return value


def fit_model(model, y: np.ndarray, sigma: np.ndarray, *, method: str = "leastsq",
              start: dict[str, float] | None = None, max_nfev: int | None = None) -> LmfitFit:
    """Fit ``model`` to data ``y`` with standard deviations ``sigma`` (arrays on the model's grid).

    Parameters
    ----------
    model : object
        ``params`` and ``evaluate`` (see the module docstring).
    y, sigma : ndarray (n,)
    method : str
        lmfit minimiser: ``leastsq`` (MINPACK) or ``least_squares`` (scipy's trust region).
    start : dict, optional
        Start values replacing the model's for the varying parameters named.
    max_nfev : int, optional
        Cap on model evaluations.

    Returns
    -------
    LmfitFit
    """
    params = lmfit.Parameters()
    for p in model.params:
        params.add(p.name, value=inside_start(p.value, p.min, p.max) if p.vary else p.value, min=p.min, max=p.max,
                   vary=p.vary)
    for name, value in (start or {}).items():
        if name in params and params[name].vary:
            params[name].value = inside_start(value, params[name].min, params[name].max)

    def residual(p):
        return (model.evaluate(p.valuesdict())[0] - y) / sigma

    kws = {"max_nfev": max_nfev} if max_nfev else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = lmfit.minimize(residual, params, method=method, nan_policy="raise", **kws)
    values = out.params.valuesdict()
    best, curves, bg = model.evaluate(values)
    stderr = {n: float(out.params[n].stderr) if out.params[n].stderr is not None and n in out.var_names
              else math.nan for n in values}
    return LmfitFit(dict(values), stderr, list(out.var_names), out.covar, float(out.chisqr), float(out.redchi),
                    int(out.nfev), bool(out.success), str(out.message), best, curves, bg)
