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
    """Pull statistics of one component's fraction over ``trials`` seeded fits.

    Attributes
    ----------
    region : str
        Library region of the simulation (e.g. ``"S 2p"``).
    component : str
        The component whose fraction is studied.
    true_fraction : float
        Its true fraction of the summed component area.
    peak_counts : float
        Envelope height above background (counts).
    trials : int
        Number of simulated spectra.
    failed : int
        Fits that did not converge or gave no finite, positive σ (left out of the statistics).
    coverage_2sigma : float
        Fraction of pulls within ±2.
    mean_pull : float
        Mean pull.
    pull_std : float
        Standard deviation of the pulls.
    mean_sigma : float
        Mean reported σ of the fraction.
    mean_bias : float
        Mean of fitted − true fraction.
    """

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
        """The summary as one fixed-width text line (``mean_bias`` is not shown).

        Returns
        -------
        str
            Region, component, true fraction, peak counts, trials, failures, 2σ coverage (%), mean
            pull, pull standard deviation and mean σ.
        """
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
        True component fractions (normalised to 1 by their sum).
    component : str
        The component whose fraction is studied.
    peak_counts : float
        Envelope height above background (counts).
    trials : int
        Number of seeded spectra (seeds ``seed .. seed + trials - 1``).
    seed : int
        First seed.
    lineshape : str
        Line shape of the simulation (see :func:`spectra.simulate.xps`).
    centers, fwhm : dict, optional
        Overrides of the library centres / FWHM (eV) for the simulation.
    engine : {"lmfit", "batched"}
        ``lmfit`` fits each spectrum with :func:`spectra.fit`; ``batched`` fits them all with
        :func:`spectra.fitting.batch.fit_many`. Any other value behaves as ``lmfit``.

    Returns
    -------
    RecoverySummary
        Pull statistics over the fits that converged with a finite, positive σ.

    Raises
    ------
    spectra.errors.RecipeError
        The recipe is invalid or its region is not in the library.
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
