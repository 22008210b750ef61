"""Phase identification: rank reference phases by how well their reflections explain the peaks
observed in a pattern.

Observed peaks are found after removing a SNIP background (pybaselines) and are weighted by their
height. For each candidate phase, its lines inside the measured range (relative intensity ≥ 5) are
compared with the observed peaks, allowing one uniform lattice strain (± ``max_strain``) found by a
grid search. The figure of merit is the product of

* the intensity-weighted fraction of the phase's lines that have an observed peak within
  ``tolerance`` degrees (does the phase's pattern appear?), and
* the height-weighted fraction of observed peaks that one of its lines explains (how much of the
  pattern does it account for?), which keeps a phase with a few coincident lines from ranking high,
* the agreement of relative heights of the matched lines, ``1 − ½ Σ|r_obs − r_ref|`` (1 when the
  observed heights are in the reference's proportions), which separates related structures whose
  lines coincide (e.g. layered LiMO2 and Li2MnO3).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.signal import find_peaks

from .reflections import compute
from .structure import load_structure, phase_names


@dataclass
class Candidate:
    """How well one reference phase explains a pattern (see the module notes).

    Attributes
    ----------
    phase : str
        Phase name.
    figure_of_merit : float
        ``matched_reference × explained_observed × agreement`` at the best strain, in [0, 1].
    matched_reference : float
        Intensity-weighted fraction of the phase's lines that have an observed peak within tolerance.
    explained_observed : float
        Height-weighted fraction of the observed peaks that one of the phase's lines explains.
    strain : float
        The uniform relative change of d (d → d·(1 + ε)) that gave the best figure of merit.
    matched_lines : int
        Number of the phase's lines that matched.
    lines : int
        Number of the phase's lines in the measured range with relative intensity ≥ 5.
    """

    phase: str
    figure_of_merit: float
    matched_reference: float
    explained_observed: float
    strain: float
    matched_lines: int
    lines: int


def observed_peaks(da: xr.DataArray, *, prominence: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Positions (2θ) and heights of peaks above a SNIP background.

    Parameters
    ----------
    da : xarray.DataArray
        A 1-D pattern with dim ``two_theta`` (degrees); any order.
    prominence : float
        Smallest peak prominence, as a fraction of the highest background-subtracted point.

    Returns
    -------
    positions : numpy.ndarray
        Peak positions (degrees 2θ), ascending.
    heights : numpy.ndarray
        Their prominences above the SNIP background (data units).
    """
    from pybaselines import Baseline

    x = np.asarray(da["two_theta"].values, dtype=float)
    y = np.asarray(da.values, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    step = float(np.median(np.diff(x)))
    baseline, _ = Baseline(x).snip(y, max_half_window=max(3, int(1.5 / step)))
    net = y - baseline
    width = max(1, int(0.02 / step))
    peaks, props = find_peaks(net, prominence=prominence * float(np.max(net)), width=width)
    return x[peaks], props["prominences"]


def _elements(name: str) -> set[str]:
    return {"".join(ch for ch in sp if ch.isalpha()) for site in load_structure(name).sites for sp, _ in site.species}


def identify(da: xr.DataArray, *, candidates: list[str] | None = None, elements: set[str] | None = None,
             tolerance: float = 0.15, max_strain: float = 0.01, wavelength: float | None = None) -> list[Candidate]:
    """Rank reference phases for a pattern, best first.

    Parameters
    ----------
    da : xarray.DataArray
        Pattern on ``two_theta``.
    candidates : list of str, optional
        Phases to consider (all crystalline reference phases by default).
    elements : set of str, optional
        Chemistry constraint, as in any search-match: only phases made of these elements.
    tolerance : float
        Largest |Δ2θ| (degrees) for a reference line to match an observed peak.
    max_strain : float
        Largest uniform relative lattice change tried (d → d·(1 + ε)).
    wavelength : float, optional
        Å; by default the pattern's ``wavelength_ka1`` (Cu Kα1 if absent).

    Returns
    -------
    list of Candidate
        Sorted by descending figure of merit; phases with no line (relative intensity ≥ 5) in the
        measured range are left out. Empty when no peak is observed.
    """
    lam = wavelength or float(da.attrs.get("wavelength_ka1") or 1.540562)
    pos, height = observed_peaks(da)
    if pos.size == 0:
        return []
    weight = height / height.sum()
    lo, hi = float(da["two_theta"].min()), float(da["two_theta"].max())
    names = candidates or [p for p in phase_names() if load_structure(p).kind == "crystal"]
    if elements is not None:
        names = [n for n in names if _elements(n) <= set(elements)]
    results = []
    for name in names:
        lines = compute(load_structure(name), wavelength=lam, two_theta_max=min(hi + 2, 170.0))
        keep = (lines.two_theta >= lo) & (lines.two_theta <= hi) & (lines.relative >= 5)
        if not keep.any():
            continue
        d, rel = lines.d[keep], lines.relative[keep] / lines.relative[keep].sum()
        best = None
        for strain in np.linspace(-max_strain, max_strain, 81):
            s = np.clip(lam / (2 * d * (1 + strain)), -1, 1)
            tt = 2 * np.degrees(np.arcsin(s))
            gaps = np.abs(tt[:, None] - pos[None, :])
            ref_hit = gaps.min(axis=1) <= tolerance
            obs_hit = gaps.min(axis=0) <= tolerance
            matched_ref = float(rel[ref_hit].sum())
            explained = float(weight[obs_hit].sum())
            # do the matched peaks have the reference's relative heights?
            nearest = gaps.argmin(axis=1)[ref_hit]
            obs_rel = height[nearest] / height[nearest].sum() if ref_hit.any() else np.array([])
            ref_rel = rel[ref_hit] / rel[ref_hit].sum() if ref_hit.any() else np.array([])
            agreement = 1.0 - 0.5 * float(np.abs(obs_rel - ref_rel).sum()) if ref_hit.any() else 0.0
            fom = matched_ref * explained * agreement
            if best is None or fom > best.figure_of_merit:
                best = Candidate(name, fom, matched_ref, explained, float(strain), int(ref_hit.sum()), int(keep.sum()))
        results.append(best)
    return sorted(results, key=lambda c: -c.figure_of_merit)
