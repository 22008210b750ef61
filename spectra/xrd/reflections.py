"""Reflection lists computed from structures: hkl, d, 2θ, multiplicity, |F|², intensities.

Integrated intensity of a powder line: ``I = m |F|² LP``, with the Lorentz-polarisation factor
``LP = (1 + cos²2θm cos²2θ) / (sin²θ cosθ (1 + cos²2θm))`` (``2θm`` the monochromator angle; 0 for
none). Reflections with the same d-spacing (e.g. 511 and 333 in cubic lattices) are merged into one
line listing every family. ``python -m spectra.xrd.reflections`` rewrites the committed lists in
``reference_patterns/*.reflections.csv``; a test regenerates them and compares.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from .structure import Structure, _root, load_structure, phase_names, reciprocal_metric, structure_factors
from .wavelengths import ANODES


@dataclass
class ReflectionList:
    """Powder lines of a phase for one wavelength.

    Attributes
    ----------
    phase : str
        Phase name.
    wavelength : float
        Wavelength (Å).
    hkl : list of str
        Reflection families on each line, e.g. ``"511 333"``.
    d : numpy.ndarray
        Shape ``(n,)``, d-spacing (Å), descending.
    two_theta : numpy.ndarray
        Shape ``(n,)``, line position (degrees 2θ).
    multiplicity : numpy.ndarray
        Shape ``(n,)``, number of reflections merged into each line.
    f2 : numpy.ndarray
        Shape ``(n,)``, |F|² per reflection of the line (multiplicity-weighted mean), electrons².
    intensity : numpy.ndarray
        Shape ``(n,)``, m |F|² LP (absolute, per cell).
    relative : numpy.ndarray
        Shape ``(n,)``, intensity on a 0-100 scale.
    indices : numpy.ndarray or None
        Shape ``(n, 3)``, one representative (h, k, l) per line, for refining the cell.
    """

    phase: str
    wavelength: float
    hkl: list[str]           # families per line, e.g. "511 333"
    d: np.ndarray            # Å
    two_theta: np.ndarray    # degrees
    multiplicity: np.ndarray
    f2: np.ndarray           # |F|² per reflection of the line (multiplicity-weighted mean), electrons²
    intensity: np.ndarray    # m |F|² LP (absolute, per cell)
    relative: np.ndarray     # 0-100
    indices: np.ndarray | None = None  # one representative (h, k, l) per line, for refining the cell

    def to_csv(self) -> str:
        """The list as CSV text (the format of ``reference_patterns/*.reflections.csv``).

        Returns
        -------
        str
            A header row ``hkl,d_A,two_theta_deg,multiplicity,F2,intensity,relative`` and one row per
            line, ending with a newline.
        """
        rows = ["hkl,d_A,two_theta_deg,multiplicity,F2,intensity,relative"]
        for i in range(len(self.d)):
            rows.append(f"{self.hkl[i]},{self.d[i]:.5f},{self.two_theta[i]:.3f},{self.multiplicity[i]:d},"
                        f"{self.f2[i]:.4f},{self.intensity[i]:.6g},{self.relative[i]:.2f}")
        return "\n".join(rows) + "\n"


def lorentz_polarisation(two_theta_deg, monochromator_two_theta: float = 0.0):
    """Lorentz-polarisation factor for a powder line (monochromator angle in degrees).

    Parameters
    ----------
    two_theta_deg : float or array_like
        Line position (degrees 2θ).
    monochromator_two_theta : float
        Monochromator 2θ (degrees); 0 for none.

    Returns
    -------
    numpy.ndarray
        ``(1 + cos²2θm cos²2θ) / (sin²θ cosθ (1 + cos²2θm))``, shaped like ``two_theta_deg``.
    """
    tt = np.radians(two_theta_deg)
    cm = math.cos(math.radians(monochromator_two_theta)) ** 2
    theta = tt / 2
    return (1 + cm * np.cos(tt) ** 2) / (np.sin(theta) ** 2 * np.cos(theta) * (1 + cm))


def _is_cubic(cell) -> bool:
    a, b, c, al, be, ga = cell
    return abs(a - b) < 1e-9 and abs(a - c) < 1e-9 and all(abs(v - 90) < 1e-9 for v in (al, be, ga))


def _family_names(indices: np.ndarray, cubic: bool) -> list[str]:
    """Names of the reflection families on one line: for cubic cells each distinct set of |h|,|k|,|l|
    (e.g. "511 333"); otherwise one representative with non-negative indices where possible."""
    if cubic:
        names = {"".join(str(v) for v in sorted(np.abs(i).astype(int), reverse=True)) for i in indices}
        return sorted(names, reverse=True)
    def _rank(i):
        return (bool(np.all(i >= 0)), int(i[2]), int(i[0]), int(i[1]))
    best = max((tuple(int(v) for v in i) for i in indices), key=lambda i: _rank(np.array(i)))
    return ["".join(str(v) if v >= 0 else f"-{-v}" for v in best)]


def _indices(structure: Structure, d_min: float) -> np.ndarray:
    a, b, c = structure.cell[:3]
    limits = [math.ceil(x / d_min) + 1 for x in (a, b, c)]
    grid = np.mgrid[-limits[0]:limits[0] + 1, -limits[1]:limits[1] + 1, -limits[2]:limits[2] + 1].reshape(3, -1).T
    return grid[np.any(grid != 0, axis=1)].astype(float)


def compute(structure: Structure, *, wavelength: float = ANODES["Cu"].ka1, two_theta_max: float = 90.0,
            debye_waller: bool = True, anomalous: bool = True, monochromator_two_theta: float = 0.0,
            min_relative: float = 0.05) -> ReflectionList:
    """Compute a phase's powder lines up to ``two_theta_max`` degrees.

    Parameters
    ----------
    structure : Structure
        The phase.
    wavelength : float
        Å (Cu Kα1 by default).
    two_theta_max : float
        Highest line position kept (degrees 2θ).
    debye_waller, anomalous : bool
        Apply the sites' B factors; add f′ + i f″ at the radiation energy.
    monochromator_two_theta : float
        Monochromator 2θ (degrees) for the polarisation factor.
    min_relative : float
        Lines weaker than this (0–100 scale) are dropped.

    Returns
    -------
    ReflectionList
        Lines in order of descending d; reflections with |F|² below 10⁻⁶ of the strongest are
        treated as absent, and reflections whose d agree to 5 decimals are merged into one line.
    """
    d_min = wavelength / (2 * math.sin(math.radians(two_theta_max / 2)))
    hkl = _indices(structure, d_min * 0.999)
    g = reciprocal_metric(structure.cell)
    d = 1 / np.sqrt(np.einsum("ni,ij,nj->n", hkl, g, hkl))
    keep = d >= d_min
    hkl, d = hkl[keep], d[keep]
    energy = 12398.419843 / wavelength if anomalous else None
    f = structure_factors(structure, hkl, energy_ev=energy, debye_waller=debye_waller)
    f2 = np.abs(f) ** 2
    present = f2 > 1e-6 * f2.max()
    hkl, d, f2 = hkl[present], d[present], f2[present]
    # group into lines by d (coincident reflections, including different families) and families by |F|²
    order = np.argsort(-d)
    hkl, d, f2 = hkl[order], d[order], f2[order]
    keys = np.round(d, 5)
    lines_hkl, lines_d, lines_m, lines_f2, lines_index = [], [], [], [], []
    cubic = _is_cubic(structure.cell)
    for key in np.unique(keys)[::-1]:
        idx = np.where(keys == key)[0]
        lines_hkl.append(" ".join(_family_names(hkl[idx], cubic)))
        lines_index.append(hkl[idx[0]])
        lines_d.append(float(d[idx].mean()))
        lines_m.append(len(idx))
        lines_f2.append(float(f2[idx].mean()))
    d = np.array(lines_d)
    two_theta = 2 * np.degrees(np.arcsin(wavelength / (2 * d)))
    m = np.array(lines_m)
    f2 = np.array(lines_f2)
    intensity = m * f2 * lorentz_polarisation(two_theta, monochromator_two_theta)
    relative = 100 * intensity / intensity.max()
    keep = relative >= min_relative
    return ReflectionList(structure.name, wavelength, [h for h, k in zip(lines_hkl, keep) if k], d[keep],
                          two_theta[keep], m[keep], f2[keep], intensity[keep], relative[keep],
                          np.array(lines_index)[keep])


def committed_path(name: str):
    """Path of a phase's committed reflection list.

    Parameters
    ----------
    name : str
        Phase name.

    Returns
    -------
    Path
        ``reference_patterns/<name>.reflections.csv`` (whether or not it exists).
    """
    return _root() / f"{name}.reflections.csv"


def write_all() -> list[str]:
    """Regenerate every committed reflection list (Cu Kα1, B factors and f′, f″ applied).

    Phases whose ``kind`` is not ``"crystal"`` are skipped.

    Returns
    -------
    list of str
        Names of the phases written.
    """
    written = []
    for name in phase_names():
        structure = load_structure(name)
        if structure.kind != "crystal":
            continue
        committed_path(name).write_text(compute(structure).to_csv(), encoding="utf-8")
        written.append(name)
    return written


if __name__ == "__main__":  # pragma: no cover
    argparse.ArgumentParser(description="Regenerate reference_patterns/*.reflections.csv").parse_args()
    print("wrote", ", ".join(write_all()))
