"""The backgrounds themselves, computed from data or evaluated from parameters (pure numpy).

``x`` is binding energy unless ``binding=False``: inelastic backgrounds rise towards **higher
binding energy** (lower kinetic energy). Every function accepts either axis order and returns the
background in the order of the input.

* :func:`shirley` — iterative Shirley (Proctor & Sherwood 1982) with end-point averaging, offsets,
  a relative convergence tolerance and an iteration cap; every setting and the iteration count are
  returned (ISO 19830 asks for them).
* :func:`cumulative_peak_integral` — the shape of the *active* Shirley term ``k·∫ peaks``, evaluated
  on the fitted peaks inside a fit.
* :func:`tougaard` — Tougaard's universal cross-section backgrounds (U2 and U3), static, with ``B``
  given or chosen to meet the high-BE end.
* :func:`linear` and :func:`step`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from .. import kernels


@dataclass
class Background:
    """A computed background and how it was computed.

    Attributes
    ----------
    values : ndarray
        The background, in the input order.
    kind : str
        ``shirley``, ``tougaard``, ``linear``.
    settings : dict
        Every setting used (end points, averaging, offsets, tolerance, cross section, ...).
    iterations : int
        Iterations used (Shirley), else 0.
    converged : bool
        Whether the iteration met its tolerance.
    message : str
        Anything the user should know (e.g. a fallback).
    """

    values: np.ndarray
    kind: str
    settings: dict = field(default_factory=dict)
    iterations: int = 0
    converged: bool = True
    message: str = ""


def _ascending(x, y):
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 3:
        raise ValueError("x and y must be 1-D arrays of the same length (at least 3 points)")
    order = np.argsort(x, kind="stable")
    return x[order], y[order], order


def _restore(values, order):
    out = np.empty_like(values)
    out[order] = values
    return out


def cumulative_trapezoid(y, x):
    """Cumulative trapezoid integral of ``y`` along its last axis from the first point (0 there).

    Parameters
    ----------
    y : ndarray (..., n)
    x : ndarray (n,) or broadcastable to ``y``
        Ascending axis.

    Returns
    -------
    ndarray (..., n)
        Compiled with numba on one axis (:func:`spectra.kernels.cumulative_trapezoid`).
    """
    return kernels.cumulative_trapezoid(y, x)


def end_levels(y_ascending: np.ndarray, average: int, offsets=(0.0, 0.0)):
    """Mean of ``average`` points at each end of the last axis (low-x end first), each scaled by
    ``1 + offset/100``: the end levels every background and start value uses.

    Parameters
    ----------
    y_ascending : ndarray (..., n)
        Intensities in ascending axis order.
    average : int
        Points averaged at each end (at most half the points, at least one).
    offsets : (float, float)
        Percent offsets of the (low, high) levels.

    Returns
    -------
    low, high : float or ndarray (...)
    """
    y = np.asarray(y_ascending, dtype=float)
    n = max(1, min(int(average), y.shape[-1] // 2))
    low = y[..., :n].mean(axis=-1) * (1.0 + offsets[0] / 100.0)
    high = y[..., -n:].mean(axis=-1) * (1.0 + offsets[1] / 100.0)
    if y.ndim == 1:
        return float(low), float(high)
    return low, high


def shirley(x, y, *, average: int = 5, offsets=(0.0, 0.0), tol: float = 1e-6, max_iter: int = 100,
            binding: bool = True) -> Background:
    """Iterative Shirley background.

    ``B = I_low + (I_high - I_low) · ∫_{low}^{E} (y - B) / ∫_{low}^{high} (y - B)``, iterated from
    ``B = I_low`` until ``max|ΔB| < tol · |I_high - I_low|``.

    Parameters
    ----------
    x, y : array_like
        Energy axis (any order) and intensity.
    average : int
        Points averaged at each end for the end levels.
    offsets : (float, float)
        Percent offsets applied to the (low-BE, high-BE) end levels after averaging.
    tol : float
        Relative convergence tolerance.
    max_iter : int
        Iteration cap.
    binding : bool
        True for a binding-energy axis (the step rises with x); False for kinetic energy.

    Returns
    -------
    Background
        ``converged`` is False when the cap was reached or when the data between the ends hold
        no net peak area above the background (the background is then the straight line between
        the end levels, and ``message`` says so).
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError("x and y must be 1-D arrays of the same length (at least 3 points)")
    return shirley_many(x, y[None, :], average=average, offsets=offsets, tol=tol, max_iter=max_iter,
                        binding=binding)[0]


def shirley_many(x, y, *, average: int = 5, offsets=(0.0, 0.0), tol: float = 1e-6, max_iter: int = 100,
                 binding: bool = True) -> list[Background]:
    """:func:`shirley` for N spectra ``y`` (N, n) on one axis ``x`` (n,), iterated together.

    Each spectrum keeps its own convergence test and iteration count; the results equal N calls
    of :func:`shirley`.
    """
    y = np.asarray(y, dtype=float)
    xa, _, order = _ascending(x, y[0])
    ya = y[:, order]
    if not binding:  # the step rises towards low kinetic energy: mirror the axis
        xa, ya, order = -xa[::-1], ya[:, ::-1], order[::-1]
    low, high = (level[:, None] for level in end_levels(ya, average, offsets))
    background = np.repeat(low, xa.size, axis=1)
    scale = np.where(np.abs(high - low) > 0, np.abs(high - low), np.maximum(np.abs(high), 1.0))
    iterations = np.zeros(len(ya), np.int64)
    converged = np.zeros(len(ya), bool)
    flat = np.zeros(len(ya), bool)
    if kernels.numba_enabled():
        kernels.shirley_iterations(xa, ya, low[:, 0], high[:, 0], scale[:, 0], tol, max_iter, background,
                                   iterations, converged, flat)
    else:
        _shirley_iterations(xa, ya, low, high, scale, tol, max_iter, background, iterations, converged, flat)
    line = low + (high - low) * (xa - xa[0]) / (xa[-1] - xa[0])
    background[flat] = line[flat]
    out = []
    for k in range(len(ya)):
        settings = {"average_points": int(average), "offsets_percent": list(offsets), "tol": tol,
                    "max_iter": max_iter, "low_end": float(xa[0] if binding else -xa[0]),
                    "high_end": float(xa[-1] if binding else -xa[-1]), "low_level": float(low[k, 0]),
                    "high_level": float(high[k, 0]), "axis": "binding" if binding else "kinetic"}
        message = ("no net peak area above the background: straight line between the end levels" if flat[k] else
                   "" if converged[k] else f"not converged after {max_iter} iterations")
        out.append(Background(_restore(background[k], order), "shirley", settings, int(iterations[k]),
                              bool(converged[k]), message))
    return out


def _shirley_iterations(xa, ya, low, high, scale, tol, max_iter, background, iterations, converged, flat):
    """The Shirley iteration of :func:`shirley_many` in numpy, updating ``background`` and the
    per-spectrum counters in place (:func:`spectra.kernels.shirley_iterations` is the same
    loop compiled)."""
    active = np.ones(len(ya), bool)
    for _ in range(max_iter):
        rows = np.where(active)[0]
        if rows.size == 0:
            break
        iterations[rows] += 1
        cumulative = cumulative_trapezoid(ya[rows] - background[rows], xa)
        total = cumulative[:, -1:]
        no_area = ~np.isfinite(total[:, 0]) | (total[:, 0] <= 0)
        new = low[rows] + (high[rows] - low[rows]) * cumulative / np.where(no_area[:, None], 1.0, total)
        change = np.max(np.abs(new - background[rows]), axis=1)
        background[rows] = new
        done = (change < tol * scale[rows, 0]) & ~no_area
        converged[rows[done]] = True
        flat[rows[no_area]] = True
        active[rows[done | no_area]] = False


def cumulative_peak_integral(x, peaks, *, binding: bool = True) -> np.ndarray:
    """``∫_{low-BE end}^{E} peaks dE'`` in the input order: the shape of the active Shirley term.

    An active Shirley background is ``c + k · cumulative_peak_integral(x, fitted_peaks)``, fitted
    together with the peaks (Sherwood 1996; Herrera-Gomez et al. 2014).
    """
    xa, pa, order = _ascending(x, peaks)
    if not binding:
        xa, pa, order = -xa[::-1], pa[::-1], order[::-1]
    return _restore(cumulative_trapezoid(pa, xa), order)


def tougaard_kernel(loss, b, c, d=0.0):
    """Universal loss cross section K(T): ``B T/(C + T²)²`` (U2, d = 0) or ``B T/((C - T²)² + D T²)`` (U3)."""
    t = np.asarray(loss, dtype=float)
    k = b * t / ((c + t**2) ** 2) if d == 0 else b * t / ((c - t**2) ** 2 + d * t**2)
    return np.where(t > 0, k, 0.0)


def tougaard(x, y, *, b: float | None = None, c: float = 1643.0, d: float = 0.0, average: int = 5,
             binding: bool = True) -> Background:
    """Static Tougaard background: ``low + ∫ K(E - E') (y(E') - low) dE'`` over E' below E (BE).

    Parameters
    ----------
    b : float, optional
        Cross-section strength (eV²). ``None`` chooses B so that the background meets the
        averaged high-BE end level.
    c, d : float
        Cross-section constants (eV²); ``d = 0`` gives the two-parameter U2 form.
    average : int
        Points averaged at each end.
    """
    xa, ya, order = _ascending(x, y)
    if not binding:
        xa, ya, order = -xa[::-1], ya[::-1], order[::-1]
    low, high = end_levels(ya, average)
    signal = ya - low
    dx = np.gradient(xa)
    loss = xa[:, None] - xa[None, :]
    integral = (tougaard_kernel(loss, 1.0, c, d) * (signal * dx)[None, :]).sum(axis=1)
    fitted_b = b
    if b is None:
        reach = end_levels(integral, average)[1]
        fitted_b = (high - low) / reach if reach > 0 else 0.0
    settings = {"b": fitted_b, "c": c, "d": d, "b_fitted_to_high_end": b is None, "average_points": int(average),
                "low_level": low, "high_level": high, "axis": "binding" if binding else "kinetic"}
    return Background(_restore(low + fitted_b * integral, order), "tougaard", settings)


def tougaard_unit(info: Background) -> np.ndarray:
    """The Tougaard background of a spectrum per unit B, above its low-level offset (the curve a
    fitted B multiplies).

    Parameters
    ----------
    info : Background
        A :func:`tougaard` result.

    Returns
    -------
    ndarray
        ``(values - low_level) / B`` (``B`` taken as 1 when it is 0), in the order of the input.
    """
    return (info.values - info.settings["low_level"]) / (info.settings["b"] or 1.0)


def linear(x, y, *, average: int = 5, binding: bool = True) -> Background:
    """Straight line between the averaged end levels."""
    xa, ya, order = _ascending(x, y)
    low, high = end_levels(ya, average)
    values = low + (high - low) * (xa - xa[0]) / (xa[-1] - xa[0])
    return Background(_restore(values, order), "linear", {"average_points": int(average), "low_level": low,
                                                          "high_level": high})


#: 10–90 % width of ``(1 + erf(z))/2`` in units of z
STEP_WIDTH_IN_Z = 1.8124


def step(x, center, height, width):
    """Smooth step rising by ``height`` towards higher x, centred at ``center``, 10–90 % width ``width``."""
    return 0.5 * height * (1.0 + special.erf((np.asarray(x) - center) / (width / STEP_WIDTH_IN_Z)))
