"""The tables of a report, built from the dataset of one fit (so a live and a reloaded result give
the same rows): CasaXPS-like component tables, XRD phase tables, every parameter, and the flags."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from ..plotting import fitdata


def format_value(value: float, stderr: float = math.nan, unit: str = "") -> str:
    """``161.697 ± 0.002 eV``: the value rounded to the σ's second significant digit; ``± n/a`` when
    the σ is withdrawn (NaN: at a bound, fixed or undetermined).

    Parameters
    ----------
    value, stderr : float
    unit : str
    """
    unit = f" {unit}" if unit and unit != "1" else ""
    if not math.isfinite(value):
        return f"{value}{unit}"
    if not math.isfinite(stderr) or stderr <= 0:
        return f"{value:.6g} ± n/a{unit}"
    digits = max(0, 1 - int(math.floor(math.log10(stderr))))
    if digits > 8:
        return f"{value:.6g} ± {stderr:.2g}{unit}"
    return f"{value:.{digits}f} ± {stderr:.{digits}f}{unit}"


def xps_components(ds) -> pd.DataFrame:
    """One row per component, as CasaXPS's quantification table.

    Parameters
    ----------
    ds : xarray.Dataset
        One XPS fit (:func:`spectra.plotting.fitdata.one_fit`).

    Returns
    -------
    pandas.DataFrame
        ``name``, ``position_eV`` (absolute major-line centre: shift and offsets included),
        ``position_stderr``, ``fwhm_eV``, ``fwhm_stderr``, ``area`` (both doublet lines, counts·eV),
        ``area_stderr``, ``percent``, ``percent_stderr``, ``line_shape``, ``background``. σ is NaN where
        it was withdrawn.
    """
    from ..xps.peak_model import line_center
    from ..xps.recipe import parse_xps_recipe

    ds = fitdata.one_fit(ds)
    spec = parse_xps_recipe(fitdata.recipe(ds))
    u = fitdata.uvalues(ds)
    background = _background(ds, spec.background.kind)
    rows = []
    for comp in spec.components:
        center = line_center(spec, comp, u)
        fwhm = u[f"{comp.fwhm_same_as or comp.name}_fwhm"]
        rows.append({
            "name": comp.name, "position_eV": _n(center), "position_stderr": _s(center),
            "fwhm_eV": _n(fwhm), "fwhm_stderr": _s(fwhm),
            "area": float(ds["area"].sel(component=comp.name)),
            "area_stderr": float(ds["area_stderr"].sel(component=comp.name)),
            "percent": 100 * float(ds["fraction"].sel(component=comp.name)),
            "percent_stderr": 100 * float(ds["fraction_stderr"].sel(component=comp.name)),
            "line_shape": _shape_name(comp),
            "background": background})
    return pd.DataFrame(rows)


def xrd_phases(ds) -> pd.DataFrame:
    """One row per crystalline phase: weight fraction, crystallite size and scale, each with σ.

    Parameters
    ----------
    ds : xarray.Dataset
        One XRD fit.

    Returns
    -------
    pandas.DataFrame
        ``phase``, ``weight_fraction``, ``weight_fraction_stderr``, ``size_nm``, ``size_stderr``,
        ``scale``, ``scale_stderr``, ``significance`` (scale/σ), ``r_bragg`` (percent; NaN when the
        dataset does not hold it).
    """
    ds = fitdata.one_fit(ds)
    rows = []
    for phase in ds["phase"].values:
        p = str(phase)
        scale = float(ds["value"].sel(param=f"{p}_scale"))
        scale_s = float(ds["stderr"].sel(param=f"{p}_scale"))
        rows.append({"phase": p, "weight_fraction": float(ds["weight_fraction"].sel(phase=p)),
                     "weight_fraction_stderr": float(ds["weight_fraction_stderr"].sel(phase=p)),
                     "size_nm": float(ds["size"].sel(phase=p)), "size_stderr": float(ds["size_stderr"].sel(phase=p)),
                     "scale": scale, "scale_stderr": scale_s,
                     "significance": scale / scale_s if math.isfinite(scale_s) and scale_s > 0 else math.nan,
                     "r_bragg": float(ds["r_bragg"].sel(phase=p)) if "r_bragg" in ds else math.nan})
    return pd.DataFrame(rows)


def parameters(ds) -> pd.DataFrame:
    """Every parameter: ``quantity``, ``value``, ``stderr``, ``unit`` and ``flag`` (``fixed``, ``at lower
    bound``, ``at upper bound``, ``undetermined`` or "")."""
    ds = fitdata.one_fit(ds)
    varying = set(str(n) for n in ds["varying"].values)
    rows = []
    for name, value, stderr, unit, bound in zip(ds["param"].values, ds["value"].values, ds["stderr"].values,
                                                ds["param_unit"].values, ds["at_bound"].values):
        name = str(name)
        flag = ("fixed" if name not in varying else "at lower bound" if bound < 0 else "at upper bound" if bound > 0
                else "undetermined" if not np.isfinite(stderr) else "")
        rows.append({"quantity": name, "value": float(value), "stderr": float(stderr), "unit": str(unit),
                     "flag": flag})
    return pd.DataFrame(rows)


def flags(ds, *, redchi_limit: float = 2.0) -> list[str]:
    """What a reader must know about one fit before quoting it: not converged, the quality flags,
    parameters at a bound, and a reduced χ² above ``redchi_limit`` (the flags of
    :mod:`spectra.fitting.quality` apply a stricter, statistical test; this one catches what is visibly poor)."""
    st = fitdata.status(fitdata.one_fit(ds))
    out = []
    if not st["success"]:
        out.append(f"not converged: {st['message']}")
    if st["flags"]:
        out.append(st["flags"])
    out += [f"{name} at its {side} bound (σ withdrawn)" for name, side in st["at_bound"].items()
            if f"{name}" not in st["flags"]]
    if st["redchi"] > redchi_limit and "chi" not in st["flags"]:
        out.append(f"poor fit: χ²ᵣ = {st['redchi']:.3g} > {redchi_limit:g}")
    return out


def _shape_name(comp) -> str:
    """CasaXPS-style name of a component's line shape: ``GL(30)``; the registry name without a short one."""
    from ..lineshapes.registry import LINESHAPES

    entry = LINESHAPES[comp.lineshape]
    name = entry.short_names[0] if entry.short_names else entry.name
    values = ",".join(f"{float(comp.shape[k].value):g}" for k in entry.shape_params if k in comp.shape)
    return f"{name}({values})" if values else name


def _background(ds, kind: str) -> str:
    info = json.loads(ds.attrs.get("background") or "{}")
    return str(info.get("kind") or kind)


def _n(v) -> float:
    return float(getattr(v, "n", v))


def _s(v) -> float:
    return float(getattr(v, "s", math.nan))
