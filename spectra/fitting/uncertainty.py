"""Uncertainties beyond the covariance matrix: Monte Carlo over Poisson replicas of the fitted model.

Each replica draws Poisson counts around the fitted model (in counts, before any transmission
correction), recomputes any static background from the replica, and is refitted from the best-fit
values. The spread of the refitted parameters and fractions is the Monte Carlo uncertainty; it
includes the background's own noise, which the covariance of a fit with a fixed static background
leaves out.
"""
from __future__ import annotations

import numpy as np

from .model import XPSModel
from .result import FitResult


def _summary(samples: np.ndarray) -> dict[str, float]:
    samples = samples[np.isfinite(samples)]
    if samples.size < 2:
        return {"std": float("nan"), "p2.5": float("nan"), "p16": float("nan"), "p50": float("nan"),
                "p84": float("nan"), "p97.5": float("nan")}
    p = np.percentile(samples, [2.5, 16, 50, 84, 97.5])
    return {"std": float(np.std(samples, ddof=1)), "p2.5": float(p[0]), "p16": float(p[1]), "p50": float(p[2]),
            "p84": float(p[3]), "p97.5": float(p[4])}


def pull_statistics(pulls) -> tuple[float, float, float]:
    """Coverage of ±2, mean and standard deviation of pulls ``(fitted - true) / σ`` (NaN when too few).

    Calibrated uncertainties give ≈ 0.954, 0 and 1.
    """
    pulls = np.asarray(pulls, dtype=float)
    nan = float("nan")
    return (float(np.mean(np.abs(pulls) <= 2.0)) if pulls.size else nan,
            float(np.mean(pulls)) if pulls.size else nan,
            float(np.std(pulls, ddof=1)) if pulls.size > 1 else nan)


def monte_carlo(result: FitResult, replicas: int, *, seed: int | None = None, counts_factor: float = 1.0) -> dict:
    """Refit ``replicas`` Poisson replicas of ``result``'s model; store and return the summary.

    Parameters
    ----------
    result : FitResult
        A fit made by :func:`spectra.fit`.
    replicas : int
        Number of replicas (100 or more for percentiles).
    seed : int, optional
        Seed of the replicas.
    counts_factor : float
        Factor turning the data's units into counts (1 for counts).

    Returns
    -------
    dict
        ``{"replicas", "failed", "params": {name: summary}, "fractions": {component: summary}}`` where
        each summary has ``std`` and the 2.5/16/50/84/97.5 percentiles; also stored as
        ``result.monte_carlo``.
    """
    from .single import fit_arrays, poisson_sigma

    rng = np.random.default_rng(seed)
    expected = np.clip(result.best_fit * counts_factor, 0.0, None)
    names = list(result.values)
    values = np.full((replicas, len(names)), np.nan)
    components = [c.name for c in result.spec.components]
    fractions = np.full((replicas, len(components)), np.nan)
    failed = 0
    for r in range(replicas):
        y = rng.poisson(expected) / counts_factor
        model = XPSModel(result.spec, result.x, y)
        refit = fit_arrays(model, y, poisson_sigma(y, counts_factor), start=result.values)
        if not refit.success:
            failed += 1
            continue
        values[r] = [refit.values[n] for n in names]
        areas = refit.total_areas
        total = sum(areas.values())
        fractions[r] = [areas[c] / total for c in components]
    summary = {"replicas": replicas, "failed": failed, "seed": seed,
               "params": {n: _summary(values[:, i]) for i, n in enumerate(names)},
               "fractions": {c: _summary(fractions[:, i]) for i, c in enumerate(components)}}
    result.monte_carlo = summary
    return summary
