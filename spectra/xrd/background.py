"""Static XRD backgrounds, subtracted before a fit (a fitted Chebyshev background is part of the
model itself): SNIP (via pybaselines) and fixed points (linear interpolation between points the
user picks)."""
from __future__ import annotations

import numpy as np
import xarray as xr


def snip(da: xr.DataArray, *, half_window_deg: float = 1.5, **options) -> xr.DataArray:
    """SNIP background of a pattern (pybaselines ``Baseline.snip``), returned on the same axis.

    Parameters
    ----------
    da : xarray.DataArray
        A 1-D pattern with dim ``two_theta`` (degrees).
    half_window_deg : float
        Largest clipping half-window in degrees 2θ (wider than the broadest peak to keep); converted
        to points with the median step, at least 2.
    **options
        Passed to ``Baseline.snip``.

    Returns
    -------
    xarray.DataArray
        The background, same shape and coordinates as ``da``, with ``long_name`` and ``background``
        attributes describing it.
    """
    from pybaselines import Baseline

    x = np.asarray(da["two_theta"].values, dtype=float)
    step = float(np.median(np.abs(np.diff(x))))
    baseline, _ = Baseline(x).snip(np.asarray(da.values, dtype=float),
                                   max_half_window=max(2, round(half_window_deg / step)), **options)
    out = da.copy(data=baseline)
    out.attrs = {**da.attrs, "long_name": "SNIP background",
                 "background": f"SNIP, max half-window {half_window_deg} degrees (pybaselines)"}
    return out


def fixed_points(da: xr.DataArray, points) -> xr.DataArray:
    """Background through user-chosen ``(2θ, intensity)`` points, linearly interpolated.

    The background is held constant beyond the first and last point.

    Parameters
    ----------
    da : xarray.DataArray
        A 1-D pattern with dim ``two_theta`` (degrees).
    points : sequence of (float, float)
        ``(2θ in degrees, intensity)`` pairs, in any order (they are sorted).

    Returns
    -------
    xarray.DataArray
        The background, same shape and coordinates as ``da``, with ``long_name`` and ``background``
        attributes describing it.

    Raises
    ------
    ValueError
        ``points`` is not at least two pairs.
    """
    pts = np.asarray(sorted(points), dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        raise ValueError("points must be at least two (2θ, intensity) pairs")
    x = np.asarray(da["two_theta"].values, dtype=float)
    out = da.copy(data=np.interp(x, pts[:, 0], pts[:, 1]))
    out.attrs = {**da.attrs, "long_name": "fixed-point background", "background": f"fixed points {pts.tolist()}"}
    return out
