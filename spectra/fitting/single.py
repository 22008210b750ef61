"""Fit one spectrum with lmfit (the reference engine)."""
from __future__ import annotations

import hashlib
import math
import warnings

import lmfit
import numpy as np
import xarray as xr

from ..errors import FitError
from ..recipe import ModelSpec, parse_recipe
from .model import XPSModel
from .result import FitResult, versions


def counts_per_unit(da: xr.DataArray) -> float | None:
    """Factor that turns the spectrum's intensity into counts (None when it cannot be known)."""
    return counts_factor(da.attrs)


def counts_factor(attrs) -> float | None:
    """:func:`counts_per_unit` from a spectrum's attributes (``units``, ``dwell_time``, ``n_scans``)."""
    units = str(attrs.get("units", "counts"))
    if units == "counts":
        return 1.0
    if units == "counts/s":
        dwell, scans = attrs.get("dwell_time"), attrs.get("n_scans")
        if isinstance(dwell, (int, float)) and isinstance(scans, (int, float)) and dwell > 0 and scans > 0:
            return float(dwell) * float(scans)
    return None


def poisson_sigma(y: np.ndarray, factor: float | None) -> np.ndarray:
    """Standard deviations of counting noise in the data's units (at least one count)."""
    f = factor or 1.0
    return np.sqrt(np.maximum(y * f, 1.0)) / f


def axis_window(da: xr.DataArray, dim: str, window, *, min_points: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(axis, intensity) of a 1-D spectrum on ``dim`` inside ``window`` (finite points only)."""
    if da.ndim != 1 or da.dims[0] != dim:
        raise FitError(f"the fit needs a 1-D spectrum on {dim}, got dims {da.dims}; use fit_many for stacks")
    x = np.asarray(da[dim].values, dtype=float)
    y = np.asarray(da.values, dtype=float)
    if window is not None:
        inside = (x >= window[0]) & (x <= window[1])
        x, y = x[inside], y[inside]
    good = np.isfinite(x) & np.isfinite(y)
    if good.sum() < min_points:
        raise FitError(f"only {int(good.sum())} finite points inside the window {window}")
    return x[good], y[good]


def window_data(da: xr.DataArray, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray]:
    """(binding energy, intensity) inside the recipe window, as float arrays."""
    return axis_window(da, "binding_energy", spec.window)


def _start(value: float, low: float, high: float) -> float:
    """A starting value inside the bounds and not exactly mid-way between finite bounds: lmfit maps
    bounded parameters through arcsin, and MINPACK's finite-difference step is zero at the midpoint
    (the fit then stalls and cannot estimate errors)."""
    value = min(max(value, low), high)
    if math.isfinite(low) and math.isfinite(high) and high > low and value == 0.5 * (low + high):
        value += 1e-3 * (high - low)
    return value


def _lmfit_params(model: XPSModel) -> lmfit.Parameters:
    params = lmfit.Parameters()
    for p in model.params:
        params.add(p.name, value=_start(p.value, p.min, p.max) if p.vary else p.value, min=p.min, max=p.max,
                   vary=p.vary)
    return params


def fit(da: xr.DataArray, recipe, *, weights: str = "poisson", mc_replicas: int = 0, seed: int | None = None,
        method: str = "leastsq") -> FitResult:
    """Fit a region with the model a recipe describes.

    Parameters
    ----------
    da : xarray.DataArray
        1-D XPS spectrum on ``binding_energy`` (counts or counts/s).
    recipe : dict, TOML text or path, or ModelSpec
        The model (see :mod:`spectra.recipe`).
    weights : {"poisson", "none"}
        ``poisson`` weights each point by 1/σ from counting statistics (σ² = counts, at least one
        count; counts/s are converted with dwell time × scans when the file records them).
    mc_replicas : int
        When > 0, also estimate uncertainties from that many Poisson replicas of the fitted model.
    seed : int, optional
        Seed of the Monte Carlo replicas.
    method : str
        lmfit minimiser: ``leastsq`` (MINPACK Levenberg–Marquardt, bounds through lmfit's transform;
        the default) or e.g. ``least_squares`` (scipy's trust-region reflective).

    Returns
    -------
    FitResult
    """
    spec = recipe if isinstance(recipe, ModelSpec) else parse_recipe(recipe)
    x, y = window_data(da, spec)
    factor = counts_per_unit(da)
    sigma = poisson_sigma(y, factor) if weights == "poisson" else np.ones_like(y)
    model = XPSModel(spec, x, y)
    result = fit_arrays(model, y, sigma, method=method)
    result.units = {"data": str(da.attrs.get("units", "counts"))}
    result.provenance = {"source": da.attrs.get("source"), "region": da.attrs.get("region"),
                         "input_sha256": hashlib.sha256(np.ascontiguousarray(da.values).tobytes()).hexdigest(),
                         "weights": weights, "counts_per_unit": factor, "versions": versions(),
                         "energy_reference": da.attrs.get("energy_reference")}
    if mc_replicas:
        from .uncertainty import monte_carlo

        monte_carlo(result, mc_replicas, seed=seed, counts_factor=factor or 1.0)
    return result


def fit_arrays(model: XPSModel, y: np.ndarray, sigma: np.ndarray, *, method: str = "leastsq",
               start: dict[str, float] | None = None) -> FitResult:
    """Fit ``model`` to data ``y`` with standard deviations ``sigma`` (arrays on ``model.x``)."""
    params = _lmfit_params(model)
    if start:
        for name, value in start.items():
            if params[name].vary:
                params[name].value = _start(value, params[name].min, params[name].max)

    def residual(p):
        total, _, _ = model.evaluate(p.valuesdict())
        return (total - y) / sigma

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = lmfit.minimize(residual, params, method=method, nan_policy="raise")
    values = out.params.valuesdict()
    best, curves, bg = model.evaluate(values)
    stderr = {n: (float(out.params[n].stderr) if out.params[n].stderr is not None else math.nan)
              for n in values}
    info = {}
    if model.background_info is not None:
        b = model.background_info
        info = {"kind": b.kind, "settings": b.settings, "iterations": b.iterations, "converged": b.converged,
                "message": b.message}
    else:
        info = {"kind": model.spec.background.kind, "settings": model.spec.background.options}
    return FitResult(model.spec, model.x, y, sigma, best, bg, curves, dict(values), stderr,
                     list(out.var_names), out.covar, float(out.chisqr), float(out.redchi), int(out.nfev),
                     bool(out.success), str(out.message), info, model.total_areas(values))
