"""The curves of a :func:`spectra.fit_many` result: each fitted spectrum's data, weights, model,
background, residual and components (and whatever else its technique's single-fit Dataset draws,
e.g. the XPS ``lines``), so that a batch can be redrawn like a single fit.

:func:`spectra.fit_many` keeps numbers only (memory stays bounded for 10⁵ spectra). Here each fitted
spectrum is prepared again exactly as the fit prepared it, its model (the technique's
:meth:`~spectra.fitting.problem.Problem.lmfit_model`) is evaluated at the stored values, and the
technique's own result object lays the curves out, so a batch's curves have the layout of
``spectra.fit(...).to_dataset(curves=True)``.
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from ..fitting.lmfit_engine import LmfitFit
from ..fitting.prepare import as_raw, prepare
from ..fitting.problem import problem_for


def axis_of(ds: xr.Dataset) -> str | None:
    """The spectral axis dim of a fit Dataset holding curves (None without curves)."""
    return next((d for d in ds["data"].dims if d != "spectrum"), None) if "data" in ds.data_vars else None


def curve_variables(ds: xr.Dataset) -> list[str]:
    """The variables of a fit Dataset on its spectral axis (empty without curves)."""
    axis = axis_of(ds)
    return [name for name, var in ds.data_vars.items() if axis in var.dims] if axis else []


def _one(problem, results: xr.Dataset, k: int, item, weights: str) -> xr.Dataset:
    """The curves of spectrum ``k`` (dim ``spectrum`` of length 1)."""
    raw = as_raw(item, problem.axis, problem.file_region, problem.name)
    ready, failures = prepare([k], raw, None, problem, weights)
    if failures:
        raise ValueError(failures[k])
    it = ready[0]
    problem.attach_models([it])
    model = problem.lmfit_model(it)
    values = dict(zip(problem.names, results["value"].values[k].tolist()))
    best, comps, background = model.evaluate(values)
    row = results.isel(spectrum=k)
    fit = LmfitFit(values, dict(zip(problem.names, row["stderr"].values.tolist())), list(row["varying"].values),
                   row["covariance"].values, float("nan"), float(row["redchi"]), int(row["nfev"]),
                   bool(row["success"]), str(row["message"].values), best, comps, background)
    result = problem.make_result(it, model, fit)
    result.data_units = str(raw.attrs.get("units", "counts"))
    result.lo, result.hi, result.start, result.weights = it.lo, it.hi, it.start, weights
    ds = result.to_dataset(curves=True)
    return ds[curve_variables(ds)].assign_coords(spectrum=[results["spectrum"].values[k]])


def with_curves(results: xr.Dataset, data, recipe) -> xr.Dataset:
    """A :func:`spectra.fit_many` result with the curves of its fitted spectra added.

    Parameters
    ----------
    results : xarray.Dataset
        What ``fit_many(data, recipe)`` returned.
    data : sequence
        The same ``data`` (files or DataArrays, one per spectrum, in order).
    recipe : str, pathlib.Path, dict or Problem
        The same recipe.

    Returns
    -------
    xarray.Dataset
        ``results`` plus the curve variables of a single fit's ``to_dataset(curves=True)``:
        ``data``, ``sigma``, ``best_fit``, ``background``, ``residual`` (dims ``spectrum`` and the
        axis), ``components`` (``spectrum``, ``curve``, axis) and the technique's own (XPS:
        ``lines``). Spectra on different grids share the union of their axis values (NaN where a
        spectrum has no point, and for spectra that were not fitted);
        :meth:`spectra.results.Results.fit` drops those points again.
    """
    problem = problem_for(recipe)
    items = list(data)
    if len(items) != results.sizes["spectrum"]:
        raise ValueError(f"{len(items)} spectra given for a result of {results.sizes['spectrum']}")
    weights = results.attrs.get("weights", "poisson")
    parts = [_one(problem, results, int(k), items[k], weights) for k in np.flatnonzero(results["success"].values)]
    if not parts:
        return results
    joined = xr.concat(parts, dim="spectrum", join="outer", data_vars="all", coords="different", compat="equals",
                       combine_attrs="override").reindex(spectrum=results["spectrum"].values)
    return results.assign(joined.data_vars)
