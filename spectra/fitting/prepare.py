"""The one validation point for data: what :func:`spectra.fit` and :func:`spectra.fit_many` accept,
and why they refuse the rest (the same reasons, for every technique)."""
from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import xarray as xr

from ..errors import FitError
from .problem import Item, Problem
from .weights import counting_time_problem, sigma_for

#: intensities beyond this are not counting data (a detector counts far fewer), and overflow models
MAX_INTENSITY = 1e15


class Raw(NamedTuple):
    """One spectrum as arrays: axis values, intensities and the attributes of its DataArray."""

    x: np.ndarray
    y: np.ndarray
    attrs: dict


def as_raw(item, axis: str, region: str | None = None, technique: str | None = None) -> Raw:
    """A file (read here) or a 1-D DataArray as arrays.

    Parameters
    ----------
    item : str, os.PathLike or xarray.DataArray
    axis : str
        The dim the problem fits along (``binding_energy``, ``two_theta``).
    region : str, optional
        The region a file holding several spectra is read for (the recipe's, e.g. ``"S 2p"``);
        matched as :func:`spectra.load` does.
    technique : str, optional
        The recipe's technique: a column file without axis labels is read as such data.

    Raises
    ------
    spectra.errors.SpectraError
        The file cannot be read, or the item is not a 1-D spectrum on ``axis`` (the reason is given).
    """
    if isinstance(item, (str, os.PathLike)):
        from ..io import TECHNIQUES, load, read

        tech = technique if technique in TECHNIQUES else None
        found = read(item, technique=tech)
        item = found[0] if len(found) == 1 else load(item, region=region, technique=tech)
    if not isinstance(item, xr.DataArray):
        raise FitError(f"needs a 1-D spectrum on {axis} (an xarray.DataArray), got {type(item).__name__}")
    if item.ndim != 1 or item.dims[0] != axis:
        hint = "; fit a stack with fit_many" if item.ndim > 1 and axis in item.dims else ""
        other = str(item.attrs.get("technique", ""))
        if item.ndim == 1 and other and technique and other != technique:
            hint = (f": this is {other.upper()} data (on {item.dims[-1]}) and the recipe is a {technique.upper()} "
                    "recipe. A column file without axis labels is read as 2θ; load it with "
                    f"spectra.load(path, technique={technique!r})")
        raise FitError(f"needs a 1-D spectrum on {axis}, got dims {item.dims}{hint}")
    return Raw(np.asarray(item[axis].values, dtype=float), np.asarray(item.values, dtype=float), dict(item.attrs))


def prepare(indices: list[int], raw: Raw, y: np.ndarray | None, problem: Problem,
            weights: str = "poisson") -> tuple[list[Item], dict[int, str]]:
    """Check spectra on one axis and make those that can be fitted into :class:`Item`.

    Parameters
    ----------
    indices : list of int
        The spectra's positions in the run.
    raw : Raw
        The axis and attributes (and, when ``y`` is None, the one spectrum's intensities).
    y : ndarray (N, n) or None
        Intensities of N spectra sharing ``raw``'s axis and attributes.
    problem : Problem
    weights : {"poisson", "none"}

    Returns
    -------
    items : list of Item
        On the recipe window, ascending, with σ for the weights.
    failures : dict
        Index → reason, for each spectrum that cannot be fitted: data on another radiation (or
        whatever the problem's ``check`` refuses), non-finite axis values or intensities, too few
        points in the window, intensities beyond :data:`MAX_INTENSITY`, repeated axis values,
        negative intensities where counts cannot be negative, a flat spectrum.
    """
    window = problem.window
    x, y = raw.x, (raw.y[None] if y is None else y)
    if not np.all(np.isfinite(x)):  # before the window, which would silently drop a NaN axis value
        return [], dict.fromkeys(indices, "non-finite axis values")
    if window is not None:
        inside = (x >= window[0]) & (x <= window[1])
        x, y = x[inside], y[:, inside]
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[:, order]
    non_finite = (~np.isfinite(y)).sum(axis=1)
    with np.errstate(invalid="ignore"):
        negative = (y < 0).any(axis=1)
        huge = (np.abs(y) > MAX_INTENSITY).any(axis=1)
        flat = np.ptp(y, axis=1) <= 0 if x.size else np.ones(len(y), bool)
    duplicated = x.size > 1 and bool(np.any(np.diff(x) <= 0))
    factor = problem.counts_factor(raw.attrs)
    n_free = int(np.sum(problem.vary))
    mismatch = problem.check(raw.attrs) or (counting_time_problem(raw.attrs) if weights == "poisson" else None)
    span = f" (the data span {raw.x.min():g} to {raw.x.max():g})" if raw.x.size and window is not None else ""
    items, failures = [], {}
    sigma = sigma_for(y, factor, weights)  # all rows at once
    for k, i in enumerate(indices):
        reason = (mismatch if mismatch else
                  f"{non_finite[k]} non-finite intensities in the window" if non_finite[k] else
                  f"only {x.size} points inside the window {window}{span}" if x.size < problem.min_points else
                  f"{x.size} points inside the window for {n_free} varying parameters (a fit needs more points "
                  "than parameters)" if x.size <= n_free else
                  f"intensities beyond {MAX_INTENSITY:g} (not counting data)" if huge[k] else
                  "repeated axis values (each point needs its own axis value)" if duplicated else
                  "negative intensities; counting data cannot be negative" if negative[k] and
                  not problem.allows_negative else
                  "flat spectrum (all intensities equal)" if flat[k] else None)
        if reason:
            failures[i] = reason
        else:
            items.append(Item(i, x, y[k], sigma[k], factor or 1.0))
    return items, failures
