"""Counting statistics: how a spectrum's intensities become counts, and the Poisson weights of a fit."""
from __future__ import annotations

import math

import numpy as np

#: the weighting schemes a fit accepts
WEIGHTS = ("poisson", "none")


def counts_factor(attrs) -> float | None:
    """Factor that turns a spectrum's intensity into counts, from its attributes.

    Parameters
    ----------
    attrs : mapping
        ``units`` (``counts`` or ``counts/s``) and, for counts/s, ``dwell_time`` (s) and ``n_scans``.

    Returns
    -------
    float or None
        1 for counts; dwell time × scans for counts/s when both are known, finite and positive;
        None when the factor cannot be known (σ is then taken as if the data were counts).
    """
    units = str(attrs.get("units", "counts"))
    if units == "counts":
        return 1.0
    if units == "counts/s":
        dwell, scans = attrs.get("dwell_time"), attrs.get("n_scans")
        if isinstance(dwell, (int, float)) and isinstance(scans, (int, float)):
            factor = float(dwell) * float(scans)
            if math.isfinite(factor) and factor > 0:
                return factor
    return None


#: plausible counting time per point (dwell × scans, seconds) of a counts/s spectrum
COUNTING_TIME_RANGE = (1e-6, 1e7)


def counting_time_problem(attrs) -> str | None:
    """Why a counts/s spectrum's recorded dwell time × scans cannot be used (NaN, inf, zero or
    outside :data:`COUNTING_TIME_RANGE`), or None. A spectrum that records none is not refused: its
    σ is then taken as if the data were counts (see :func:`counts_factor`)."""
    if str(attrs.get("units", "counts")) != "counts/s":
        return None
    dwell, scans = attrs.get("dwell_time"), attrs.get("n_scans")
    if not isinstance(dwell, (int, float)) or not isinstance(scans, (int, float)):
        return None
    time = float(dwell) * float(scans)
    low, high = COUNTING_TIME_RANGE
    if not (math.isfinite(time) and low <= time <= high):
        return (f"counts/s with dwell time {dwell} s × {scans} scans = {time:g} s per point, outside "
                f"{low:g}–{high:g} s: Poisson weights cannot be formed (fix the attributes, or weights='none')")
    return None


def poisson_sigma(y: np.ndarray, factor: float | None) -> np.ndarray:
    """Standard deviations of counting noise in the data's units (at least one count).

    Parameters
    ----------
    y : ndarray
        Intensities in the data's units.
    factor : float or None
        :func:`counts_factor` of the data (None: taken as 1).

    Returns
    -------
    ndarray
        ``sqrt(max(y·factor, 1)) / factor``, shaped like ``y``.
    """
    f = factor or 1.0
    return np.sqrt(np.maximum(y * f, 1.0)) / f


def sigma_for(y: np.ndarray, factor: float | None, weights: str) -> np.ndarray:
    """The standard deviations a fit weights by: Poisson (``"poisson"``) or one (``"none"``)."""
    return poisson_sigma(y, factor) if weights == "poisson" else np.ones_like(y)
