"""XRD recovery studies on synthetic patterns (:func:`spectra.simulate.xrd`): Li2S scale coverage,
crystallite size accuracy and detection rates in the three situations of the study."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import fit, fit_many, simulate
from .pulls import pull_statistics

#: the study's three situations: pristine, lithiated carbon-free, lithiated with 20 wt% carbon
SCENARIOS = {
    "pristine": {"phases": {"Li6PS5Cl": {"scale": 10.0, "size": 150.0}, "Si": {"scale": 8.0, "size": 300.0}},
                 "humps": [], "amorphous": {}},
    "lithiated carbon-free": {"phases": {"Li6PS5Cl": {"scale": 9.0, "size": 150.0},
                                         "Si": {"scale": 6.0, "size": 300.0}},
                              "humps": [{"name": "LiSi", "center": 20.0, "fwhm": 6.0, "area": 6000.0}],
                              "amorphous": {}},
    "lithiated with carbon": {"phases": {"Li6PS5Cl": {"scale": 1.0, "size": 150.0},
                                         "Si": {"scale": 8.0, "size": 300.0}},
                              "humps": [], "amorphous": {"carbon_black": 3000.0}},
}


def recipe_for(scenario: dict, *, li2s: bool = True, window=(15.0, 56.0), li2s_size: float | None = None) -> dict:
    """The fit recipe matching a scenario.

    The well-crystallised phases' sizes are fixed; the Li2S size is free, or fixed at ``li2s_size``
    (nm) with a fixed cell for a detection test (a template of known shape whose scale alone is
    tested; with no Li2S present a free size has nothing to fit).

    Parameters
    ----------
    scenario : dict
        An entry of :data:`SCENARIOS`.
    li2s : bool
        Add Li2S to the phases.
    window : (float, float)
        Fitted 2θ range (degrees).
    li2s_size : float, optional
        Fixed Li2S size (nm) for a detection test; None fits it (start 10 nm, 1–300 nm).

    Returns
    -------
    dict
        An XRD recipe with a second-order Chebyshev background.
    """
    phases = list(scenario["phases"]) + (["Li2S"] if li2s and "Li2S" not in scenario["phases"] else [])
    options = {name: {"size": {"value": v["size"], "vary": False}} for name, v in scenario["phases"].items()}
    if li2s and li2s_size is None:
        options["Li2S"] = {"size": {"value": 10.0, "min": 1.0, "max": 300.0}}
    elif li2s:
        options["Li2S"] = {"size": {"value": li2s_size, "vary": False}, "refine_cell": False}
    humps = [{"name": h["name"], "center": {"value": h["center"], "min": h["center"] - 3, "max": h["center"] + 3},
              "fwhm": {"value": h["fwhm"], "min": 2.0, "max": 15.0}} for h in scenario["humps"]]
    return {"technique": "xrd", "window": list(window), "phases": phases, "humps": humps,
            "amorphous": list(scenario["amorphous"]), "background": {"kind": "chebyshev", "order": 2},
            "phase_options": options}


@dataclass
class XRDRecovery:
    """Li2S recovery statistics of one scenario over ``trials`` seeded fits.

    Attributes
    ----------
    scenario : str
        Key of :data:`SCENARIOS`.
    li2s_scale : float
        True Li2S scale (0: absent).
    li2s_size : float
        True (or, in detection tests, fixed) Li2S size (nm).
    trials : int
        Number of simulated patterns.
    coverage_2sigma : float
        Fraction of Li2S-scale pulls within ±2 (NaN when Li2S is absent).
    size_within_10pct : float
        Fraction of fits whose Li2S size is within 10 % of the truth (NaN when Li2S is absent).
    significant : float
        Fraction of fits with Li2S scale / σ ≥ 3 (a detection rate; a false-positive rate when absent).
    mean_pull : float
        Mean Li2S-scale pull.
    pull_std : float
        Standard deviation of the pulls.
    """

    scenario: str
    li2s_scale: float
    li2s_size: float
    trials: int
    coverage_2sigma: float
    size_within_10pct: float
    significant: float
    mean_pull: float
    pull_std: float

    def line(self) -> str:
        """The statistics as one fixed-width text line.

        Returns
        -------
        str
            Scenario, Li2S scale and size, trials, 2σ coverage, size-within-10 % and significance
            rates (%), pull mean and standard deviation.
        """
        return (f"{self.scenario:<22} Li2S scale={self.li2s_scale:<6g} size={self.li2s_size:<5g}nm n={self.trials:<4d} "
                f"2σ-coverage={100 * self.coverage_2sigma:5.1f}% size±10%={100 * self.size_within_10pct:5.1f}% "
                f"significant={100 * self.significant:5.1f}% pull mean={self.mean_pull:+.2f} sd={self.pull_std:.2f}")


def recovery(scenario_name: str, li2s_scale: float, li2s_size: float, *, trials: int, seed: int = 0,
             displacement: float = 60.0, detection: bool = False, engine: str = "lmfit") -> XRDRecovery:
    """Simulate ``trials`` patterns of a scenario with Li2S at ``li2s_scale`` (0: absent) and fit each.

    Patterns cover 15–56° 2θ in 0.03° steps with a (150, −20, 5) Chebyshev background.

    Parameters
    ----------
    scenario_name : str
        Key of :data:`SCENARIOS`.
    li2s_scale : float
        True Li2S scale; 0 leaves Li2S out of the simulation (it is still fitted).
    li2s_size : float
        True Li2S crystallite size (nm).
    trials : int
        Number of seeded patterns (seeds ``seed .. seed + trials - 1``).
    seed : int
        First seed.
    displacement : float
        Specimen displacement of the simulation (µm).
    detection : bool
        Fit Li2S as a fixed-shape template (size ``li2s_size``, cell fixed).
    engine : {"lmfit", "batched"}
        ``"lmfit"`` fits one pattern at a time (:func:`spectra.fit`), ``"batched"`` all together
        (:func:`spectra.fit_many`). Any other value behaves as ``lmfit``.

    Returns
    -------
    XRDRecovery
        The statistics; fits without a finite, positive σ of the Li2S scale count as not significant
        and give no pull.

    Raises
    ------
    KeyError
        ``scenario_name`` is not in :data:`SCENARIOS`.
    """
    scenario = SCENARIOS[scenario_name]
    phases = dict(scenario["phases"])
    if li2s_scale > 0:
        phases["Li2S"] = {"scale": li2s_scale, "size": li2s_size}
    recipe = recipe_for(scenario, li2s_size=li2s_size if detection else None)
    patterns = [simulate.xrd(phases, two_theta=(15.0, 56.0), step=0.03, humps=scenario["humps"],
                             amorphous=scenario["amorphous"], displacement=displacement, seed=seed + k,
                             background=(150.0, -20.0, 5.0))[0] for k in range(trials)]
    if engine == "batched":
        fits = fit_many(patterns, recipe, engine="batched")
        results = zip(fits.value.sel(param="Li2S_scale").values, fits.stderr.sel(param="Li2S_scale").values,
                      fits.value.sel(param="Li2S_size").values)
    else:
        results = ((r.values["Li2S_scale"], r.stderr["Li2S_scale"], r.values["Li2S_size"])
                   for r in (fit(da, recipe) for da in patterns))
    pulls, sizes_ok, significant = [], [], []
    for scale, err, size in results:
        significant.append(bool(np.isfinite(err) and err > 0 and scale / err >= 3.0))
        if li2s_scale > 0 and np.isfinite(err) and err > 0:
            pulls.append((scale - li2s_scale) / err)
            sizes_ok.append(abs(size / li2s_size - 1) <= 0.10)
    coverage, mean_pull, pull_std = pull_statistics(pulls)
    return XRDRecovery(scenario_name, li2s_scale, li2s_size, trials, coverage,
                       float(np.mean(sizes_ok)) if sizes_ok else float("nan"), float(np.mean(significant)),
                       mean_pull, pull_std)
