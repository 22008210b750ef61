"""What a figure or a report reads from the dataset of one fit (``result.to_dataset(curves=True)``,
the N = 1 slice of :func:`spectra.fit_many`'s layout, or a fit reloaded from a results file), so a live
result and a reloaded one are drawn and tabulated from the same numbers."""
from __future__ import annotations

import json
import math
from pathlib import PurePath

import numpy as np
import uncertainties
import xarray as xr

#: the curves a figure needs (``to_dataset(curves=True)``)
CURVES = ("data", "sigma", "best_fit", "background", "residual", "components")


def one_fit(fit) -> xr.Dataset:
    """The dataset of one fit, from a result object or a dataset with one spectrum.

    Parameters
    ----------
    fit : LeastSquaresResult or xarray.Dataset
        A result (its ``to_dataset(curves=True)`` is taken) or a dataset whose ``spectrum`` dim has
        length 1 (or that has no ``spectrum`` dim).

    Returns
    -------
    xarray.Dataset
        Without the ``spectrum`` dim, and without the axis points where it has no data (a batch
        of spectra on different grids holds the union of their axes, NaN where one has no point).

    Raises
    ------
    ValueError
        A dataset of several fits (select one with ``ds.isel(spectrum=k)``).
    """
    ds = fit.to_dataset(curves=True) if hasattr(fit, "to_dataset") else fit
    if "spectrum" in ds.dims:
        if ds.sizes["spectrum"] != 1:
            raise ValueError(f"a figure of one fit needs one spectrum; this dataset holds {ds.sizes['spectrum']}: "
                             "select one with ds.isel(spectrum=k)")
        ds = ds.isel(spectrum=0)
    if "data" in ds and ds["data"].ndim == 1:
        finite = np.isfinite(ds["data"].values)
        if not finite.all():
            ds = ds.isel({ds["data"].dims[0]: np.flatnonzero(finite)})
    return ds


def has_curves(ds: xr.Dataset) -> bool:
    """Whether the dataset holds the curves that redraw the fit."""
    return all(name in ds for name in CURVES)


def axis_name(ds: xr.Dataset) -> str:
    """The spectral dim of the curves (``binding_energy``, ``two_theta``, ...)."""
    return next(d for d in ds["data"].dims if d != "spectrum")


def provenance(ds: xr.Dataset) -> dict:
    """The fit's provenance (``attrs["provenance"]``, JSON) as a dict; empty when absent."""
    try:
        return json.loads(ds.attrs.get("provenance") or "{}")
    except json.JSONDecodeError:
        return {}


def _scalar(ds: xr.Dataset, name: str) -> str:
    if name in ds.coords and ds[name].ndim == 0:
        return str(ds[name].item())
    return ""


def source(ds: xr.Dataset) -> str:
    """Where the spectrum came from (path), or ""."""
    return _scalar(ds, "source") or str(provenance(ds).get("source") or "")


def sample(ds: xr.Dataset) -> str:
    """The sample name as the file gave it: a ``sample`` coordinate, ``attrs["sample"]`` or the
    provenance's ``sample``; else the source file's name; else ""."""
    named = _scalar(ds, "sample") or ds.attrs.get("sample") or provenance(ds).get("sample")
    if named:
        return str(named)
    src = source(ds)
    return PurePath(src).name if src else ""


def region(ds: xr.Dataset) -> str:
    """What was fitted (``S 2p``; ``XRD Li2S+Si``)."""
    return str(ds.attrs.get("region") or "")


def energy_reference(ds: xr.Dataset) -> str:
    """How the binding-energy scale was set (from the provenance), or ""."""
    return str(provenance(ds).get("energy_reference") or "")


def recipe(ds: xr.Dataset) -> dict:
    """The recipe the fit used (``attrs["recipe"]``: its canonical JSON, or TOML text) as a dict."""
    from ..recipe import load_recipe

    text = str(ds.attrs["recipe"])
    return json.loads(text) if text.lstrip().startswith("{") else dict(load_recipe(text).data)


def values(ds: xr.Dataset) -> dict[str, float]:
    """Parameter name → best-fit value."""
    return {str(n): float(v) for n, v in zip(ds["param"].values, np.ravel(ds["value"].values))}


def uvalues(ds: xr.Dataset) -> dict:
    """Parameters as correlated uncertain numbers from the stored covariance: fixed parameters stay
    floats; a varying parameter without a finite σ gets σ = NaN (as the result objects do)."""
    out = values(ds)
    varying = [str(n) for n in ds["varying"].values] if "varying" in ds.coords else []
    if not varying:
        return out
    cov = np.asarray(ds["covariance"].values, dtype=float).reshape(len(varying), len(varying))
    known = np.isfinite(np.diag(cov)) & np.all(np.isfinite(cov) | ~np.isfinite(np.diag(cov))[None, :], axis=1)
    names = [n for n, k in zip(varying, known) if k]
    if names:
        out.update(zip(names, uncertainties.correlated_values([out[n] for n in names], cov[np.ix_(known, known)])))
    out.update({n: uncertainties.ufloat(out[n], math.nan) for n, k in zip(varying, known) if not k})
    return out


def status(ds: xr.Dataset) -> dict:
    """How the fit ended: ``success``, ``ok``, ``flags``, ``redchi``, ``message`` and the parameters
    at a bound (name → ``lower``/``upper``)."""
    at = {str(n): ("lower" if b < 0 else "upper") for n, b in zip(ds["param"].values, np.ravel(ds["at_bound"].values))
          if b}
    return {"success": bool(ds["success"]), "ok": bool(ds["ok"]), "flags": str(ds["flags"].values),
            "redchi": float(ds["redchi"]), "message": str(ds["message"].values), "at_bound": at}
