"""The XRD pattern model: phase templates (reflections from structures), free peaks, amorphous
humps, a Chebyshev background, Kα1/Kα2, specimen displacement and the instrument function.

Parameter names: ``<phase>_scale`` (dimensionless scale of the per-cell intensities
m|F|²LP/V²), ``<phase>_a`` / ``_c`` (Å), ``<phase>_size`` (nm, Scherrer, K = 0.9),
``displacement`` (µm), ``zero`` (degrees 2θ), ``inst_u/v/w`` (degrees², Caglioti) and ``inst_x/y``
(degrees, Lorentzian), ``<hump>_center/_fwhm/_area``, ``<peak>_center/_fwhm/_area/_eta`` and
``bg_c0 … bg_cN`` (Chebyshev coefficients, counts).
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial import chebyshev

from .. import lineshapes
from ..fitting.params import ParamInfo
from . import profiles
from .recipe import XRDSpec
from .reflections import compute, lorentz_polarisation
from .structure import Structure, reciprocal_metric, variant


def crystal_system(structure: Structure) -> str:
    """The cell family that decides which cell lengths are refined.

    Parameters
    ----------
    structure : Structure
        The phase.

    Returns
    -------
    str
        ``"cubic"`` (a = b = c, all angles 90°), ``"hexagonal"`` (a = b, γ = 120°; trigonal phases in
        hexagonal setting included) or ``"other"``.
    """
    a, b, c, al, be, ga = structure.cell
    if abs(a - b) < 1e-9 and abs(b - c) < 1e-9 and all(abs(v - 90) < 1e-9 for v in (al, be, ga)):
        return "cubic"
    if abs(a - b) < 1e-9 and abs(ga - 120) < 1e-9:
        return "hexagonal"
    return "other"


class PhaseTemplate:
    """A phase's reflections with their per-cell intensities, recomputed for a refined cell.

    Parameters
    ----------
    structure : Structure
        The phase.
    wavelength : float
        Kα1 (or monochromatic) wavelength in Å.
    two_theta_max : float
        Highest 2θ of the data (degrees); lines are computed to 5° beyond it (at most 179°) down to
        relative intensity 0.01.

    Attributes
    ----------
    structure : Structure
        The phase.
    system : str
        Its :func:`crystal_system`.
    lines : ReflectionList
        The lines at the nominal cell.
    m_f2 : numpy.ndarray
        Multiplicity × |F|² of each line, shape ``(n_lines,)``.
    nominal : tuple of float
        The structure's cell ``(a, b, c, α, β, γ)`` (Å, degrees).
    """

    def __init__(self, structure: Structure, wavelength: float, two_theta_max: float):
        self.structure = structure
        self.system = crystal_system(structure)
        self.lines = compute(structure, wavelength=wavelength, two_theta_max=min(two_theta_max + 5, 179.0),
                             min_relative=0.01)
        self.m_f2 = self.lines.multiplicity * self.lines.f2
        self.nominal = structure.cell

    def cell(self, p: dict[str, float], name: str):
        """The cell for parameter values ``p``.

        Parameters
        ----------
        p : dict of str to float
            Parameter values by name (see the module notes for the names).
        name : str
            The phase's name in the model (the parameter prefix).

        Returns
        -------
        tuple of float
            ``(a, b, c, α, β, γ)`` (Å, degrees): ``<name>_a`` for cubic cells, ``<name>_a`` and ``_c`` for
            hexagonal ones, the nominal cell times ``<name>_cell_scale`` otherwise; nominal values where a
            parameter is absent.
        """
        a, b, c, al, be, ga = self.nominal
        if self.system == "cubic":
            x = p.get(f"{name}_a", a)
            return (x, x, x, al, be, ga)
        if self.system == "hexagonal":
            x = p.get(f"{name}_a", a)
            return (x, x, p.get(f"{name}_c", c), al, be, ga)
        s = p.get(f"{name}_cell_scale", 1.0)
        return (a * s, b * s, c * s, al, be, ga)

    def d_spacings(self, cell) -> np.ndarray:
        """d-spacings of the template's lines for another cell.

        Parameters
        ----------
        cell : sequence of float
            ``(a, b, c, α, β, γ)`` in Å and degrees.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_lines,)``, Å, from each line's representative (h, k, l).
        """
        g = reciprocal_metric(cell)
        h = self.lines.indices
        return 1 / np.sqrt(np.einsum("ni,ij,nj->n", h, g, h))

    def volume(self, cell) -> float:
        """Volume of a cell.

        Parameters
        ----------
        cell : sequence of float
            ``(a, b, c, α, β, γ)`` in Å and degrees.

        Returns
        -------
        float
            Å³.
        """
        a, b, c, al, be, ga = cell
        ca, cb, cg = (math.cos(math.radians(v)) for v in (al, be, ga))
        return a * b * c * math.sqrt(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)


@functools.lru_cache(maxsize=64)
def phase_template(structure: Structure, wavelength: float, two_theta_max: float) -> PhaseTemplate:
    """The template of a structure (cached; templates are never modified).

    Models of many patterns on one grid share it (up to 64 templates are kept).

    Parameters
    ----------
    structure : Structure
        The phase.
    wavelength : float
        Kα1 (or monochromatic) wavelength in Å.
    two_theta_max : float
        Highest 2θ of the data (degrees).

    Returns
    -------
    PhaseTemplate
        The shared template.
    """
    return PhaseTemplate(structure, wavelength, two_theta_max)


def _structure(phase) -> Structure:
    return variant(phase.structure, **phase.structure_parameters)


def cell_lengths(phase) -> list[str]:
    """Names of the refined cell parameters of a phase (``<phase>_a``, ``_c`` or ``_cell_scale``).

    Parameters
    ----------
    phase : PhaseSpec
        The phase's recipe entry; ``refine_cell`` True refines ``a`` and ``c``, a tuple only those lengths.

    Returns
    -------
    list of str
        Empty when the cell is fixed; ``<phase>_a`` for cubic, ``<phase>_a``/``_c`` for hexagonal cells
        (as requested), else ``<phase>_cell_scale`` (whatever lengths were requested).
    """
    system = crystal_system(_structure(phase))
    lengths = phase.refine_cell if isinstance(phase.refine_cell, tuple) else ("a", "c")
    if not phase.refine_cell:
        return []
    if system == "cubic":
        return [f"{phase.name}_a"] if "a" in lengths else []
    if system == "hexagonal":
        return [f"{phase.name}_{k}" for k in ("a", "c") if k in lengths]
    return [f"{phase.name}_cell_scale"]


def parameter_layout(spec: XRDSpec) -> list[ParamInfo]:
    """Every parameter of an XRD recipe from the recipe alone, in the model's order.

    Parameters
    ----------
    spec : XRDSpec
        The validated recipe.

    Returns
    -------
    list of ParamInfo
        Phase scales, cell lengths (±3 %) and sizes; hump and free-peak parameters; ``displacement``
        (µm) and ``zero`` (degrees); ``inst_u`` … ``inst_y``; ``bg_c0`` … ``bg_cN``. ``value`` is None
        where the data decide (phase scales, hump and peak areas without a recipe value, the background
        level ``bg_c0``).
    """
    out = []
    for ph in spec.phases:
        out.append(ParamInfo(f"{ph.name}_scale", ph.scale.value, ph.scale.min, ph.scale.max, ph.scale.vary, "1"))
        cell = _structure(ph).cell
        for name in cell_lengths(ph):
            if name.endswith("_cell_scale"):
                out.append(ParamInfo(name, 1.0, 0.97, 1.03, True, "1"))
            else:
                length = cell[0] if name.endswith("_a") else cell[2]
                out.append(ParamInfo(name, length, length * 0.97, length * 1.03, True, "angstrom"))
        out.append(ParamInfo(f"{ph.name}_size", ph.size.value, ph.size.min, ph.size.max, ph.size.vary, "nm"))
    for hump in spec.humps:
        for key, unit in (("center", "degree"), ("fwhm", "degree"), ("area", "counts*degree")):
            p = getattr(hump, key)
            out.append(ParamInfo(f"{hump.name}_{key}", p.value, p.min, p.max, p.vary, unit))
    for peak in spec.peaks:
        for key, unit in (("center", "degree"), ("fwhm", "degree"), ("area", "counts*degree"), ("eta", "1")):
            p = getattr(peak, key)
            out.append(ParamInfo(f"{peak.name}_{key}", p.value, p.min, p.max, p.vary, unit))
    for key, p, unit in (("displacement", spec.displacement, "um"), ("zero", spec.zero, "degree")):
        out.append(ParamInfo(key, p.value, p.min, p.max, p.vary, unit))
    for key in ("u", "v", "w", "x", "y"):
        p = spec.instrument[key]
        out.append(ParamInfo(f"inst_{key}", p.value, p.min, p.max, p.vary, "degree^2" if key in "uvw" else "degree"))
    if spec.background_order >= 0:
        out.append(ParamInfo("bg_c0", None, -math.inf, math.inf, True, "counts"))
        out += [ParamInfo(f"bg_c{k}", 0.0, -math.inf, math.inf, True, "counts")
                for k in range(1, spec.background_order + 1)]
    return out


class XRDModel:
    """Everything that makes a pattern on the grid ``x`` (2θ in degrees).

    Parameters
    ----------
    spec : XRDSpec
        The validated recipe.
    x : array_like, shape (n,)
        2θ grid (degrees).
    y : array_like, shape (n,)
        Measured intensity (counts), used only for starting values.

    Attributes
    ----------
    spec : XRDSpec
        The recipe.
    x, y : numpy.ndarray
        Grid (degrees 2θ) and data, float64.
    lo, hi : float
        Smallest and largest 2θ of the grid (degrees).
    templates : dict of str to PhaseTemplate
        One per phase of the recipe.
    params : list of ParamInfo
        :func:`parameter_layout` with data-derived starting values filled in.
    """

    def __init__(self, spec: XRDSpec, x: np.ndarray, y: np.ndarray):
        self.spec = spec
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.lo, self.hi = float(self.x.min()), float(self.x.max())
        self.templates = {ph.name: phase_template(variant(ph.structure, **ph.structure_parameters),
                                                  spec.radiation.ka1, self.hi) for ph in spec.phases}
        self.params = self._parameters()

    # -------------------------------------------------------------------------------- parameters
    def _parameters(self) -> list[ParamInfo]:
        """:func:`parameter_layout` with the values the data decide: phase scales from the strongest
        reflection's height, hump and peak areas from the data's range, the background level."""
        ymin = float(np.percentile(self.y, 5))
        out = []
        for p in parameter_layout(self.spec):
            value = p.value
            if value is None:
                if p.name.endswith("_scale"):
                    value = self._scale_guess(p.name[:-len("_scale")])
                elif p.name == "bg_c0":
                    value = ymin
                else:
                    value = self._area_guess(p.name[:-len("_area")], ymin)
            out.append(ParamInfo(p.name, value, p.min, p.max, p.vary, p.unit))
        return out

    def _area_guess(self, name: str, ymin: float) -> float:
        for hump in self.spec.humps:
            if hump.name == name:
                return max(float(np.ptp(self.y)), 1.0) * hump.fwhm.value
        peak = next(p for p in self.spec.peaks if p.name == name)
        near = np.abs(self.x - peak.center.value) <= peak.fwhm.value
        return max(float(np.max(self.y[near]) - ymin), 1.0) * peak.fwhm.value if near.any() else 1.0

    def _scale_guess(self, name: str) -> float:
        t = self.templates[name]
        inside = (t.lines.two_theta > self.lo) & (t.lines.two_theta < self.hi)
        if not inside.any():
            return 1e-6
        strongest = int(np.argmax(np.where(inside, t.lines.intensity, -1)))
        near = np.abs(self.x - t.lines.two_theta[strongest]) < 0.3
        height = float(np.max(self.y[near]) - np.percentile(self.y, 5)) if near.any() else 1.0
        per_cell = t.lines.intensity[strongest] / t.volume(t.nominal) ** 2
        return max(height, 1.0) * 0.2 / per_cell

    def defaults(self) -> dict[str, float]:
        """Starting values of every parameter.

        Returns
        -------
        dict of str to float
            Name to starting value, in model order.
        """
        return {p.name: p.value for p in self.params}

    # -------------------------------------------------------------------------------- evaluation
    def _lines(self, name: str, p: dict[str, float]):
        """Positions (Kα1, degrees), widths (Gaussian, Lorentzian) and areas of one phase's lines."""
        t = self.templates[name]
        lam = self.spec.radiation.ka1
        cell = t.cell(p, name)
        d = t.d_spacings(cell)
        s = np.clip(lam / (2 * d), -1, 1)
        tt = 2 * np.degrees(np.arcsin(s))
        keep = (s < 0.999) & (tt > self.lo - 3) & (tt < self.hi + 3)
        tt, mf2 = tt[keep], t.m_f2[keep]
        area = p[f"{name}_scale"] * mf2 * lorentz_polarisation(tt) / t.volume(cell) ** 2
        gauss = profiles.caglioti_fwhm(tt, p["inst_u"], p["inst_v"], p["inst_w"])
        lorentz = profiles.lorentz_fwhm(tt, p["inst_x"], p["inst_y"]) + profiles.scherrer_fwhm(
            tt, p[f"{name}_size"], lam)
        return tt, gauss, lorentz, area

    def _peaks_curve(self, tt, total, eta, area, p) -> np.ndarray:
        """Sum of pseudo-Voigt lines (FWHM ``total``, mixing ``eta``) at Kα1 and Kα2, with displacement
        and zero shift."""
        r = self.spec.radiation
        shift = profiles.displacement_shift(tt, p["displacement"], self.spec.radius_mm) + p["zero"]
        x = self.x[:, None]
        y = lineshapes.pseudo_voigt(x, (tt + shift)[None, :], total[None, :], area[None, :], eta[None, :]).sum(axis=1)
        if r.ka2 is not None and r.ka2_ratio > 0:
            tt2 = profiles.ka2_position(tt, r.ka1, r.ka2)
            y = y + lineshapes.pseudo_voigt(x, (tt2 + shift)[None, :], total[None, :], r.ka2_ratio * area[None, :],
                                          eta[None, :]).sum(axis=1)
        return y

    def component_curves(self, p: dict[str, float]) -> dict[str, np.ndarray]:
        """Each phase's, hump's and free peak's curve on the grid, without background.

        Parameters
        ----------
        p : dict of str to float
            Parameter values by name (see the module notes for the names).

        Returns
        -------
        dict of str to numpy.ndarray
            Name to curve, shape ``(n,)`` (counts). Phases and free peaks include their Kα2 lines,
            displacement and zero shift; humps (sums of Gaussian sub-bands) are not shifted.
        """
        curves = {}
        for ph in self.spec.phases:
            tt, gauss, lorentz, area = self._lines(ph.name, p)
            total, eta = profiles.tch_parameters(gauss, lorentz)
            curves[ph.name] = self._peaks_curve(tt, total, eta, area, p)
        for hump in self.spec.humps:
            curves[hump.name] = sum(
                lineshapes.pseudo_voigt(self.x, p[f"{hump.name}_center"] + dc, p[f"{hump.name}_fwhm"] * fw,
                                      p[f"{hump.name}_area"] * fa, 0.0)
                for dc, fw, fa in hump.shape)
        for peak in self.spec.peaks:
            # a free peak is a pseudo-Voigt of the given FWHM and η (with its Kα2 partner)
            curves[peak.name] = self._peaks_curve(
                np.array([p[f"{peak.name}_center"]]), np.array([p[f"{peak.name}_fwhm"]]),
                np.array([p[f"{peak.name}_eta"]]), np.array([p[f"{peak.name}_area"]]), p)
        return curves

    def background(self, p: dict[str, float]) -> np.ndarray:
        """The Chebyshev background on the grid (2θ mapped onto [-1, 1]).

        Parameters
        ----------
        p : dict of str to float
            Parameter values; ``bg_c0`` … ``bg_cN`` are used.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)`` (counts); zeros when the recipe has no background.
        """
        order = self.spec.background_order
        if order < 0:
            return np.zeros_like(self.x)
        u = 2 * (self.x - self.lo) / (self.hi - self.lo) - 1
        return chebyshev.chebval(u, [p[f"bg_c{k}"] for k in range(order + 1)])

    def evaluate(self, p: dict[str, float]):
        """The whole model on the grid.

        Parameters
        ----------
        p : dict of str to float
            Parameter values by name (see the module notes for the names).

        Returns
        -------
        total : numpy.ndarray
            Shape ``(n,)``, background plus every component (counts).
        curves : dict of str to numpy.ndarray
            As :meth:`component_curves`.
        background : numpy.ndarray
            Shape ``(n,)``, as :meth:`background`.
        """
        curves = self.component_curves(p)
        bg = self.background(p)
        total = bg + (np.sum(list(curves.values()), axis=0) if curves else 0.0)
        return total, curves, bg

    def line_table(self, name: str, p: dict[str, float]) -> dict[str, np.ndarray]:
        """Per-reflection positions (Kα1, shifted), FWHM and integrated intensities of a phase.

        Only lines within 3° of the grid are listed.

        Parameters
        ----------
        name : str
            Phase name.
        p : dict of str to float
            Parameter values by name (see the module notes for the names).

        Returns
        -------
        dict
            ``hkl`` (list of str), ``two_theta`` (degrees, with displacement and zero shift), ``fwhm``
            (degrees 2θ, TCH) and ``intensity`` (integrated Kα1 area, counts·degree), arrays of equal
            length.
        """
        t = self.templates[name]
        tt, gauss, lorentz, area = self._lines(name, p)
        shift = profiles.displacement_shift(tt, p["displacement"], self.spec.radius_mm) + p["zero"]
        total, _ = profiles.tch_parameters(gauss, lorentz)
        keep = np.isin(np.round(2 * np.degrees(np.arcsin(np.clip(self.spec.radiation.ka1 / (2 * t.d_spacings(
            t.cell(p, name))), -1, 1))), 9), np.round(tt, 9))
        hkl = [h for h, k in zip(t.lines.hkl, keep) if k]
        return {"hkl": hkl, "two_theta": tt + shift, "fwhm": total, "intensity": area}
