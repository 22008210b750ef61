"""Recovery studies: fit many seeded synthetic spectra with known truth and measure whether the
reported uncertainties are calibrated (coverage of the 2σ interval, bias and spread of the pulls).

A *pull* is ``(fitted - true) / reported σ``; for honest uncertainties pulls have mean 0 and
standard deviation 1, and ~95.4 % of them lie within ±2.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fit, fit_many, simulate
from ..xps.recipe import parse_xps_recipe
from .pulls import pull_statistics


@dataclass
class RecoverySummary:
    """Pull statistics of one component's fraction over ``trials`` seeded fits."""

    region: str
    component: str
    true_fraction: float
    peak_counts: float
    trials: int
    failed: int
    coverage_2sigma: float
    mean_pull: float
    pull_std: float
    mean_sigma: float
    mean_bias: float

    def line(self) -> str:
        return (f"{self.region:<6} {self.component:<9} f={self.true_fraction:<5.2f} peak={self.peak_counts:<8.0e} "
                f"n={self.trials:<4d} fail={self.failed:<3d} 2σ-coverage={100 * self.coverage_2sigma:5.1f}% "
                f"mean pull={self.mean_pull:+.3f} pull sd={self.pull_std:.3f} σ={self.mean_sigma:.4f}")


def recovery(recipe, fractions: dict[str, float], component: str, *, peak_counts: float, trials: int,
             seed: int = 0, lineshape: str = "GL(30)", centers: dict | None = None,
             fwhm: dict | None = None, engine: str = "lmfit") -> RecoverySummary:
    """Simulate ``trials`` spectra with :func:`spectra.simulate.xps`, fit each with ``recipe`` and
    summarise the pulls of ``component``'s fraction.

    Parameters
    ----------
    recipe : recipe
        The fit model (its region must match the simulation's).
    fractions : dict
        True component fractions.
    component : str
        The component whose fraction is studied.
    peak_counts : float
        Envelope height above background (counts).
    trials : int
        Number of seeded spectra (seeds ``seed .. seed + trials - 1``).
    engine : {"lmfit", "batched"}
        ``lmfit`` fits each spectrum with :func:`spectra.fit`; ``batched`` fits them all with
        :func:`spectra.fitting.batch.fit_many`.
    """
    spec = parse_xps_recipe(recipe)
    truth_f = fractions[component] / sum(fractions.values())
    das = [simulate.xps(spec.region, fractions, peak_counts=peak_counts, seed=seed + k, lineshape=lineshape,
                        centers=centers, fwhm=fwhm)[0] for k in range(trials)]
    if engine == "batched":
        result = fit_many(das, recipe, engine="batched")
        value = result.fraction.sel(component=component).values
        sigma = result.fraction_stderr.sel(component=component).values
        success = result.success.values
    else:
        fits = [fit(da, recipe) for da in das]
        value = np.array([r.fractions()[component].n for r in fits])
        sigma = np.array([r.fractions()[component].s for r in fits])
        success = np.array([r.success for r in fits])
    good = success & np.isfinite(sigma) & (sigma > 0)
    pulls = (value[good] - truth_f) / sigma[good]
    return RecoverySummary(spec.region, component, truth_f, peak_counts, trials, int((~good).sum()),
                           *pull_statistics(pulls),
                           float(np.mean(sigma[good])) if good.any() else float("nan"),
                           float(np.mean(value[good] - truth_f)) if good.any() else float("nan"))
