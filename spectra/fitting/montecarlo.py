"""Uncertainties beyond the covariance matrix: Monte Carlo over Poisson replicas of a fitted model.

Each replica draws Poisson counts around the fitted model (in counts), recomputes what the model
takes from the data (a static Shirley or Tougaard background, bounds set by the data) but no start
values (:meth:`Problem.attach_models` with ``start``: they would go unused), and is refitted from the
best-fit values — by the batched engine, or one by one with lmfit. The spread of the refitted
parameters and fractions is the Monte Carlo uncertainty; it includes the noise of a static
background, which the covariance of a fit with that background held fixed leaves out.
"""
from __future__ import annotations

import numpy as np

from .dataset import QUANTILES
from .lm import levenberg_marquardt
from .problem import Item, Problem
from .weights import poisson_sigma


def fit_model(*args, **kwargs):
    """:func:`spectra.fitting.lmfit_engine.fit_model`, imported on first use: the batched engine never
    pays for importing lmfit (seconds in a cold process)."""
    from .lmfit_engine import fit_model as fit

    return fit(*args, **kwargs)


def replicas(problem: Problem, item: Item, expected: np.ndarray, n: int, rng: np.random.Generator, *,
             best: np.ndarray | None = None) -> list[Item]:
    """``n`` Poisson replicas of the fitted model ``expected`` (n,) on ``item``'s grid, with their models.

    Parameters
    ----------
    problem : Problem
    item : Item
        The fitted spectrum.
    expected : ndarray (n,)
        The fitted model on ``item``'s grid.
    n : int
    rng : numpy.random.Generator
    best : ndarray (P,), optional
        The best fit the replicas are refitted from: their start values (default ``item.start``;
        :func:`refit` starts from its ``best`` whatever the items hold). No start values are estimated
        from the replicas' data.

    Returns
    -------
    list of Item
        Their ``y`` and ``sigma`` rows of one (n, points) draw.
    """
    counts = rng.poisson(np.clip(expected * item.factor, 0.0, None), size=(n, item.x.size))
    ys = counts / item.factor
    sigmas = poisson_sigma(ys, item.factor)
    reps = [Item(k, item.x, yk, sk, item.factor) for k, (yk, sk) in enumerate(zip(ys, sigmas))]
    problem.attach_models(reps, start=item.start if best is None else best)
    return reps


def refit(problem: Problem, reps: list[Item], best: np.ndarray, *, engine: str, method: str | None = None):
    """Refit replicas from ``best`` (P,): parameters (R, P), fractions (R, C) and which converged (R,)."""
    if engine == "batched":
        lo, hi = np.stack([r.lo for r in reps]), np.stack([r.hi for r in reps])
        start = np.clip(np.repeat(best[None], len(reps), 0), lo, hi)
        y, sigma = np.stack([r.y for r in reps]), np.stack([r.sigma for r in reps])
        fit = levenberg_marquardt(problem.batched_model(reps), start, lo, hi, problem.vary, y, sigma,
                                  window=problem.default_chunk)
        theta, ok, cov = fit.theta, fit.converged, fit.covariance
    else:
        start = dict(zip(problem.names, best))
        theta = np.full((len(reps), len(problem.names)), np.nan)
        ok = np.zeros(len(reps), bool)
        for k, rep in enumerate(reps):
            out = fit_model(problem.lmfit_model(rep), rep.y, rep.sigma, method=method or problem.default_method,
                            start=start)
            theta[k], ok[k] = [out.values[n] for n in problem.names], out.success
        cov = np.zeros((len(reps), int(problem.vary.sum()), int(problem.vary.sum())))
    _, fraction = problem.derived(theta, np.nan_to_num(cov))
    return theta, fraction, ok


def quantiles(samples: np.ndarray) -> np.ndarray:
    """:data:`~spectra.fitting.dataset.QUANTILES` of samples (R, K) over the finite rows."""
    return np.quantile(samples, QUANTILES, axis=0) if len(samples) else np.full((len(QUANTILES), samples.shape[1]),
                                                                                 np.nan)


def summary(samples: np.ndarray) -> dict[str, float]:
    """Standard deviation and the 2.5/16/50/84/97.5 percentiles of one quantity's samples."""
    samples = samples[np.isfinite(samples)]
    if samples.size < 2:
        return dict.fromkeys(("std", "p2.5", "p16", "p50", "p84", "p97.5"), float("nan"))
    p = np.percentile(samples, [100 * q for q in QUANTILES])
    return {"std": float(np.std(samples, ddof=1)), "p2.5": float(p[0]), "p16": float(p[1]), "p50": float(p[2]),
            "p84": float(p[3]), "p97.5": float(p[4])}


def monte_carlo(problem: Problem, item: Item, best: np.ndarray, expected: np.ndarray, n: int, *, seed=None,
                engine: str = "lmfit", method: str | None = None) -> dict:
    """Monte Carlo summary of one fit: refit ``n`` Poisson replicas of its model.

    Parameters
    ----------
    problem : Problem
    item : Item
        The fitted spectrum.
    best : ndarray (P,)
        Best-fit parameters.
    expected : ndarray (n,)
        The fitted model on ``item``'s grid.
    n : int
        Replicas (100 or more for percentiles).
    seed : int, optional
    engine : {"lmfit", "batched"}
        How replicas are refitted.
    method : str, optional
        lmfit minimiser (engine ``lmfit``).

    Returns
    -------
    dict
        ``{"replicas", "failed", "seed", "engine", "params": {name: summary}, "fractions": {label: summary}}``,
        each summary with ``std`` and the 2.5/16/50/84/97.5 percentiles (converged replicas only).
    """
    rng = np.random.default_rng(seed)
    theta, fraction, ok = refit(problem, replicas(problem, item, expected, n, rng, best=best), best, engine=engine,
                                method=method)
    return {"replicas": n, "failed": int((~ok).sum()), "seed": seed, "engine": engine,
            "params": {name: summary(theta[ok, i]) for i, name in enumerate(problem.names)},
            "fractions": {label: summary(fraction[ok, i]) for i, label in enumerate(problem.fraction_labels)}}
