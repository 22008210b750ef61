"""Phase identification: rank reference phases (shipped, or the user's own from CIF files) by how
well each one's simulated pattern matches the measured one.

The match is a whole-pattern one, not a comparison of peak lists. The pattern's background is
removed with SNIP (pybaselines); for every candidate its reflection list (same code as the fits)
is drawn as pseudo-Voigt lines, with the Kα2 doublet for a laboratory anode, and compared point by
point with the net pattern ``y``. The figure of merit is the squared weighted correlation

    FOM = (Σ w y m)² / (Σ w y² · Σ w m²)    (0 when Σ w y m < 0)

of ``y`` and the phase's pattern ``m``; it equals 1 − Σ w (y − s·m)² / Σ w y² for the least-squares
scale ``s`` of the phase. It is maximised over a uniform lattice strain (d → d(1 + ε),
|ε| ≤ ``max_strain``), a zero shift of 2θ (≤ ``max_shift``) and the line width. Why this ranks
related structures correctly:

* a reference line that the data lack adds to Σ w m² and lowers the figure: absent lines are
  penalised in proportion to their predicted intensity;
* observed intensity that the phase does not explain lowers it through Σ w y²; so among phases
  whose strong lines nearly coincide (layered LiMO2 and Li2MnO3), the one whose intensity ratios,
  line splittings and weak lines (the Li2MnO3 superstructure lines at 20–33° 2θ) match wins
  (on a measured Li2MnO3 pattern by 0.19, and by 0.20 with 10–25° cut off: not by the
  superstructure lines alone);
* the weights ``w = 1 / max(y_raw, floor)`` are those of counting statistics (variance ∝ counts,
  ``floor`` the median count so that no point dominates; uniform for data whose median is not
  positive, i.e. already background-subtracted), so weak lines on a low background count as much
  as their precision deserves instead of being swamped by the strongest peak.

Reference lines: relative intensity ≥ 0.5 on the 0–100 scale. The line width FWHM(2θ) = f₀ + f₁ tanθ
is fitted once to the half-height widths of the observed peaks; each phase may scale it by 0.5–2;
η = 0.5. The search: a grid of 31 strains, then Nelder–Mead over strain, zero shift and width
from the two best grid points. Points are averaged in groups so that a line spans about six.
"""
from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr
from scipy.optimize import minimize
from scipy.signal import find_peaks, peak_widths

from ..errors import SpectraError
from ..lineshapes.shapes import pseudo_voigt
from .reflections import compute
from .structure import Structure, load_structure, phase_names


@dataclass
class Candidate:
    """How well one phase's simulated pattern matches a measured one (see the module notes).

    Attributes
    ----------
    phase : str
        Phase name.
    figure_of_merit : float
        Squared weighted correlation of the net pattern and the phase's pattern, in [0, 1].
    strain : float
        Uniform relative change of d (d → d·(1 + ε)) at the best match.
    zero_shift : float
        Shift added to every line position (degrees 2θ) at the best match.
    fwhm : float
        Line FWHM (degrees 2θ) at the middle of the measured range at the best match.
    lines : int
        Number of the phase's lines (relative intensity ≥ 0.5) in the measured range.
    """

    phase: str
    figure_of_merit: float
    strain: float
    zero_shift: float
    fwhm: float
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
    x, _, net = _net_pattern(da)
    peaks, props = _find(x, net, prominence)
    return x[peaks], props["prominences"]


def _net_pattern(da: xr.DataArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(2θ ascending, raw intensity, intensity above a SNIP background)."""
    from pybaselines import Baseline

    x = np.asarray(da["two_theta"].values, dtype=float)
    y = np.asarray(da.values, dtype=float)
    order = np.argsort(x)
    x, y = x[order], y[order]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    step = float(np.median(np.diff(x)))
    baseline, _ = Baseline(x).snip(y, max_half_window=max(3, int(1.5 / step)))
    return x, y, y - baseline


def _find(x, net, prominence):
    step = float(np.median(np.diff(x)))
    return find_peaks(net, prominence=prominence * float(np.max(net)), width=max(1, int(0.02 / step)))


def _resolve(candidate) -> Structure:
    """A candidate given as a shipped name, a CIF path or a Structure."""
    if isinstance(candidate, Structure):
        return candidate
    if isinstance(candidate, os.PathLike) or (isinstance(candidate, str) and candidate.lower().endswith(".cif")):
        from .cif import load_phase

        return load_phase(Path(candidate))
    if isinstance(candidate, str):
        return load_structure(candidate)
    raise SpectraError(f"a candidate phase is a shipped phase name, a CIF path or a Structure, got {candidate!r}")


@functools.lru_cache(maxsize=256)
def _lines(structure: Structure, wavelength: float, two_theta_max: float):
    """The reflection list used for matching (relative intensity ≥ 0.5), cached per structure."""
    return compute(structure, wavelength=wavelength, two_theta_max=two_theta_max, min_relative=0.5)


def _elements(structure: Structure) -> set[str]:
    return {"".join(ch for ch in sp if ch.isalpha()) for site in structure.sites for sp, _ in site.species}


def _radiation(da: xr.DataArray, wavelength: float | None):
    from .recipe import radiation_of

    return radiation_of({"wavelength": wavelength} if wavelength else {}, dict(da.attrs))


class _Match:
    """The weighted match of one phase's lines to a net pattern (see the module notes)."""

    def __init__(self, x, net, weight, d, intensity, radiation, width):
        self.x, self.y, self.w = x, net, weight
        self.d, self.intensity, self.rad = d, intensity, radiation
        self.width = width            # (f0, f1): observed FWHM(2θ) ≈ f0 + f1·tanθ
        self.yy = float(np.sum(weight * net * net))

    def fwhm_at_middle(self, log_width) -> float:
        """The FWHM (degrees 2θ) at the middle of the range for a width factor exp(log_width)."""
        return float(math.exp(log_width) * (self.width[0] + self.width[1] * math.tan(math.radians(0.25 * (
            self.x[0] + self.x[-1])))))

    def pattern(self, strain, zero, log_width):
        """The phase's unscaled pattern at these parameters (each line drawn over ±8 FWHM)."""
        d = self.d * (1 + strain)
        centres, widths, areas = [], [], []
        for lam, share in [(self.rad.ka1, 1.0)] + ([(self.rad.ka2, self.rad.ka2_ratio)] if self.rad.ka2 else []):
            s = lam / (2 * d)
            ok = s < 1
            tt = 2 * np.degrees(np.arcsin(s[ok])) + zero
            tan = np.tan(np.radians(tt / 2))
            widths.append(math.exp(log_width) * (self.width[0] + self.width[1] * tan))
            centres.append(tt)
            areas.append(share * self.intensity[ok])
        c, f, a = np.concatenate(centres), np.concatenate(widths), np.concatenate(areas)
        first = np.searchsorted(self.x, c - 8 * f)
        count = np.searchsorted(self.x, c + 8 * f) - first
        line = np.repeat(np.arange(c.size), count)
        point = np.arange(line.size) - np.repeat(np.cumsum(count) - count, count) + first[line]
        values = pseudo_voigt(self.x[point], c[line], f[line], a[line], 0.5)
        return np.bincount(point, weights=values, minlength=self.x.size)

    def merit(self, params) -> float:
        m = self.pattern(*params)
        ym = float(np.sum(self.w * self.y * m))
        mm = float(np.sum(self.w * m * m))
        return ym * ym / (self.yy * mm) if ym > 0 and mm > 0 else 0.0


def _width_model(x, net, peaks) -> tuple[float, float]:
    """(f0, f1) of FWHM(2θ) ≈ f0 + f1·tanθ from the observed peaks' half-height widths.

    Widths more than twice the median (overlapping lines) are left out; with fewer than four
    peaks left, or a negative slope, the width is the median (f1 = 0).
    """
    step = float(np.median(np.diff(x)))
    widths = peak_widths(net, peaks, rel_height=0.5)[0] * step
    median = float(np.clip(np.median(widths), 2 * step, 2.0))
    keep = widths < 2 * median
    if keep.sum() < 4:
        return median, 0.0
    tan = np.tan(np.radians(x[peaks][keep] / 2))
    f1, f0 = np.polyfit(tan, widths[keep], 1)
    if f1 < 0 or f0 <= 0:
        return median, 0.0
    return float(f0), float(f1)


def _binned(x, raw, net, width):
    """Means over groups of points so that a line of FWHM ``width`` spans about six of them."""
    k = int(width / 6 / float(np.median(np.diff(x))))
    if k < 2:
        return x, raw, net
    n = x.size // k * k
    return tuple(v[:n].reshape(-1, k).mean(axis=1) for v in (x, raw, net))


def identify(da: xr.DataArray, *, candidates: list | None = None, elements: set[str] | None = None,
             max_strain: float = 0.01, max_shift: float = 0.1, wavelength: float | None = None) -> list[Candidate]:
    """Rank phases for a pattern, best first, by a whole-pattern match (see the module notes).

    Parameters
    ----------
    da : xarray.DataArray
        Pattern on ``two_theta`` (degrees).
    candidates : list, optional
        Phases to consider: shipped phase names, paths of CIF files (``str`` ending in ``.cif`` or
        any ``os.PathLike``) and :class:`~spectra.xrd.structure.Structure` objects, in any mix. By
        default every crystalline shipped phase.
    elements : set of str, optional
        Chemistry constraint, as in any search-match: only phases made of these elements.
    max_strain : float
        Largest uniform relative lattice change tried (d → d·(1 + ε)).
    max_shift : float
        Largest zero shift of 2θ tried (degrees).
    wavelength : float, optional
        Monochromatic wavelength (Å). By default the pattern's radiation as a recipe would take it
        (its anode with Kα2, else its ``wavelength_ka1`` as monochromatic, else Cu Kα1 + Kα2).

    Returns
    -------
    list of Candidate
        Sorted by descending figure of merit; phases with no line (relative intensity ≥ 0.5) in the
        measured range are left out. Empty when no peak is observed.

    Raises
    ------
    spectra.errors.SpectraError
        A candidate is not a shipped phase name, a readable CIF or a Structure, or is not crystalline.
    """
    rad = _radiation(da, wavelength)
    x, raw, net = _net_pattern(da)
    peaks, _ = _find(x, net, 0.02)
    if peaks.size == 0:
        return []
    width = _width_model(x, net, peaks)
    x, raw, net = _binned(x, raw, net, width[0] + width[1] * math.tan(math.radians(x[0] / 2)))
    floor = float(np.median(raw))
    weight = 1.0 / np.maximum(raw, floor) if floor > 0 else np.ones_like(raw)   # background-subtracted data
    lo, hi = float(x[0]), float(x[-1])
    structures = [_resolve(c) for c in candidates] if candidates else \
        [s for s in map(load_structure, phase_names()) if s.kind == "crystal"]
    for s in structures:
        if s.kind != "crystal":
            raise SpectraError(f"{s.name} is {s.kind}: identify ranks crystalline phases")
    if elements is not None:
        structures = [s for s in structures if _elements(s) <= set(elements)]
    results = []
    for structure in structures:
        lines = _lines(structure, rad.ka1, min(hi + 3, 170.0))
        inside = (lines.two_theta >= lo - 3) & (lines.two_theta <= hi + 3)
        if not np.any((lines.two_theta >= lo) & (lines.two_theta <= hi)):
            continue
        match = _Match(x, net, weight, lines.d[inside], lines.relative[inside], rad, width)
        results.append(_best(match, structure.name, max_strain, max_shift,
                             int(np.sum((lines.two_theta >= lo) & (lines.two_theta <= hi)))))
    return sorted(results, key=lambda c: -c.figure_of_merit)


def _best(match: _Match, name: str, max_strain: float, max_shift: float, n_lines: int) -> Candidate:
    """Grid over the strain, then a bounded local search over strain, zero shift and width."""
    grid = np.linspace(-max_strain, max_strain, 31)
    scores = [match.merit((e, 0.0, 0.0)) for e in grid]
    lower = np.array([-max_strain, -max_shift, math.log(0.5)])
    upper = np.array([max_strain, max_shift, math.log(2.0)])

    def loss(p):
        return -match.merit(np.clip(p, lower, upper))

    best_params, best = None, -1.0
    for i in np.argsort(scores)[::-1][:2]:
        start = np.array([grid[i], 0.0, 0.0])
        simplex = np.array([start, start + [max(2 * max_strain / 30, 1e-4), 0, 0],
                            start + [0, max(max_shift / 2, 0.01), 0], start + [0, 0, 0.3]])
        res = minimize(loss, start, method="Nelder-Mead",
                       options={"initial_simplex": simplex, "maxfev": 80, "xatol": 1e-4, "fatol": 1e-4})
        if -res.fun > best:
            best_params, best = np.clip(res.x, lower, upper), float(-res.fun)
    return Candidate(name, best, float(best_params[0]), float(best_params[1]), match.fwhm_at_middle(best_params[2]),
                     n_lines)
