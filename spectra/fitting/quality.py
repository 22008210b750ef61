"""Whether a fit's numbers can be quoted: parameters at a bound, undetermined parameters, and a model
that the data reject. One implementation for both engines and every technique.

A least-squares optimiser can converge (``success``) and still return numbers nobody should quote:

* **at a bound** — a parameter that ends within :data:`BOUND_TOLERANCE` of one of its bounds is not
  a free estimate (the minimum lies outside the allowed range, or the bound transform froze it). Its
  standard error is reported as NaN, never 0 (the bound transform's vanishing derivative would give
  0), and every derived quantity whose gradient involves it gets a NaN standard error too;
* **undetermined** — a singular covariance, or a standard error more than :data:`UNDETERMINED_RATIO`
  times the parameter's magnitude (the data do not fix it); such a parameter's standard error is
  withdrawn like that of a parameter at a bound, so a derived quantity that depends on it (a weight
  fraction through an undetermined cell length) reports NaN rather than ±10⁶;
* **model inadequate** — with Poisson weights, χ² more than :data:`CHI2_SIGMAS` standard deviations of
  the χ²(ν) distribution above ν (χ²ᵣ > 1 + 5·√(2/ν)), or residual signs with far fewer runs than
  chance allows (Wald–Wolfowitz runs test, z < −:data:`RUNS_Z`): structure the model misses.

``ok`` is ``success`` and none of these.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: a parameter within this fraction of its distance from start to bound (two-sided: of the bound
#: span) of a bound is "at the bound"
BOUND_TOLERANCE = 1e-4
#: standard error above this multiple of |value| (and of the bound span, when finite): undetermined
UNDETERMINED_RATIO = 100.0
#: χ² this many standard deviations above its expectation: the model is inadequate
CHI2_SIGMAS = 5.0
#: runs-test z-score below minus this: the residuals have structure
RUNS_Z = 5.0


def at_bounds(value: np.ndarray, lo: np.ndarray, hi: np.ndarray, start: np.ndarray, vary: np.ndarray):
    """Which varying parameters ended at a bound.

    Parameters
    ----------
    value, lo, hi, start : ndarray (N, P)
        Fitted values, bounds and start values.
    vary : ndarray of bool (P,)

    Returns
    -------
    lower, upper : ndarray of bool (N, P)
        At the lower, at the upper bound (False for fixed parameters and NaN values).
    """
    finite = np.isfinite(lo) & np.isfinite(hi)
    span = np.where(finite, hi - lo, np.nan)
    with np.errstate(invalid="ignore"):
        scale_lo = np.where(finite, span, np.maximum(np.abs(start - lo), np.abs(value - lo)))
        scale_hi = np.where(finite, span, np.maximum(np.abs(hi - start), np.abs(hi - value)))
        lower = np.isfinite(lo) & (value - lo <= BOUND_TOLERANCE * np.nan_to_num(scale_lo, posinf=0.0))
        upper = np.isfinite(hi) & (hi - value <= BOUND_TOLERANCE * np.nan_to_num(scale_hi, posinf=0.0))
    keep = np.asarray(vary, bool)[None, :] & np.isfinite(value)
    return lower & keep, upper & keep


def undetermined(value: np.ndarray, stderr: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Parameters (N, P) whose standard error exceeds :data:`UNDETERMINED_RATIO` × |value| and, for
    parameters bounded on both sides, the bound span as well (a centre of 160 eV ± 2 eV is poorly
    known but determined; an area of 10 ± 5000 is not)."""
    two_sided = np.isfinite(lo) & np.isfinite(hi)
    span = np.where(two_sided, hi - lo, 0.0)
    with np.errstate(invalid="ignore"):
        return np.isfinite(stderr) & (stderr > UNDETERMINED_RATIO * np.abs(value)) & (~two_sided | (stderr > span))


def runs_z(residual: np.ndarray) -> np.ndarray:
    """Wald–Wolfowitz runs-test z-score of the residual signs along the last axis (NaN when one sign
    is missing); strongly negative: long runs of one sign, i.e. structure the model misses."""
    r = np.asarray(residual, dtype=float)
    positive = r > 0
    n_pos = positive.sum(axis=-1).astype(float)
    n_neg = (r < 0).sum(axis=-1).astype(float)
    n = n_pos + n_neg
    runs = 1.0 + (positive[..., 1:] != positive[..., :-1]).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = 1.0 + 2.0 * n_pos * n_neg / n
        var = (mean - 1.0) * (mean - 2.0) / (n - 1.0)
        return np.where((n_pos > 0) & (n_neg > 0) & (var > 0), (runs - mean) / np.sqrt(var), np.nan)


def inadequate(redchi: np.ndarray, dof: np.ndarray, z_runs: np.ndarray, poisson: bool) -> np.ndarray:
    """Fits (N,) whose model the data reject: χ²ᵣ far above 1 with ``dof`` (N,) degrees of freedom
    (Poisson weights only: with unit weights χ² has no absolute scale) or residual runs far fewer
    than chance."""
    with np.errstate(invalid="ignore"):
        limit = 1.0 + CHI2_SIGMAS * np.sqrt(2.0 / np.maximum(np.asarray(dof, float), 1.0))
        too_high = (np.asarray(redchi) > limit) if poisson else np.zeros(np.shape(redchi), bool)
        return too_high | (np.asarray(z_runs) < -RUNS_Z)


def messages(names: list[str], lower, upper, undetermined_mask, singular, inadequate_mask, redchi, z_runs
             ) -> list[str]:
    """One plain-text flag line per fit (empty when the numbers can be quoted).

    Parameters
    ----------
    names : list of str
        Parameter names (P).
    lower, upper, undetermined_mask : ndarray of bool (N, P)
    singular, inadequate_mask : ndarray of bool (N,)
    redchi, z_runs : ndarray (N,)
    """
    out = []
    anything = (np.any(lower, axis=1) | np.any(upper, axis=1) | np.any(undetermined_mask, axis=1)
                | np.asarray(singular) | np.asarray(inadequate_mask))
    for k in range(len(redchi)):
        if not anything[k]:
            out.append("")
            continue
        parts = []
        for mask, what in ((lower[k], "at lower bound"), (upper[k], "at upper bound"),
                           (undetermined_mask[k], "undetermined")):
            hit = [n for n, m in zip(names, mask) if m]
            if hit:
                parts.append(f"{what}: {', '.join(hit)}")
        if singular[k]:
            parts.append("covariance singular")
        if inadequate_mask[k]:
            parts.append(f"model inadequate (reduced chi-square {redchi[k]:.3g}, residual runs z {z_runs[k]:.1f})")
        out.append("; ".join(parts))
    return out


class Quality(NamedTuple):
    """The flags of N fits, and their standard errors and covariances with the parameters at a bound
    or undetermined withdrawn (NaN), from :func:`assess`.

    Attributes
    ----------
    lower, upper, undetermined : ndarray of bool (N, P)
    inadequate : ndarray of bool (N,)
    flags : list of str (N,)
        :func:`messages` (empty: nothing to say).
    ok : ndarray of bool (N,)
        Converged and unflagged: the numbers can be quoted.
    stderr : ndarray (N, P)
    covariance : ndarray (N, F, F)
    """

    lower: np.ndarray
    upper: np.ndarray
    undetermined: np.ndarray
    inadequate: np.ndarray
    flags: list
    ok: np.ndarray
    stderr: np.ndarray
    covariance: np.ndarray


def assess(names, vary, value, stderr, covariance, lo, hi, start, success, redchi, z_runs, dof,
           poisson: bool) -> Quality:
    """Flag N fits and withdraw the standard errors of parameters at a bound.

    Parameters
    ----------
    names : list of str (P)
    vary : ndarray of bool (P,)
    value, stderr, lo, hi, start : ndarray (N, P)
    covariance : ndarray (N, F, F)
        Of the varying parameters (NaN: singular).
    success : ndarray of bool (N,)
    redchi, z_runs : ndarray (N,)
        Reduced χ² and the runs-test z of the residual signs (:func:`runs_z`).
    dof : ndarray (N,)
        Points minus varying parameters.
    poisson : bool
        Whether the weights are Poisson (χ² then has an absolute scale).

    Returns
    -------
    Quality
    """
    vary = np.asarray(vary, bool)
    lower, upper = at_bounds(value, lo, hi, start, vary)
    bound = lower | upper
    loose = undetermined(value, np.where(bound, np.nan, stderr), lo, hi) & vary[None, :]
    withdrawn = bound | loose
    stderr = np.where(withdrawn, np.nan, stderr)
    covariance = np.array(covariance, dtype=float, copy=True)
    free_withdrawn = withdrawn[:, vary]
    kept = ~free_withdrawn[:, :, None] & ~free_withdrawn[:, None, :]
    singular = np.isfinite(value).all(axis=1) & ~np.all(np.isfinite(covariance) | ~kept, axis=(1, 2))
    covariance[free_withdrawn[:, :, None] | free_withdrawn[:, None, :]] = np.nan
    bad_model = inadequate(redchi, dof, z_runs, poisson)
    flags = messages(list(names), lower, upper, loose, singular, bad_model, redchi, z_runs)
    ok = np.asarray(success, bool) & np.array([not f for f in flags], dtype=bool)
    return Quality(lower, upper, loose, bad_model, flags, ok, stderr, covariance)
