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
from ..fitting.linear import nonnegative_solve
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
        return self.structure.with_cell(cell).volume


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

    def __init__(self, spec: XRDSpec, x: np.ndarray, y: np.ndarray, starts: np.ndarray | None = None):
        self.spec = spec
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.lo, self.hi = float(self.x.min()), float(self.x.max())
        self.templates = {ph.name: phase_template(variant(ph.structure, **ph.structure_parameters),
                                                  spec.radiation.ka1, self.hi) for ph in spec.phases}
        layout = parameter_layout(spec)
        if starts is None:
            starts = data_starts(self, self.y[None])[0]
        self.params = [ParamInfo(p.name, float(v), p.min, p.max, p.vary, p.unit) for p, v in zip(layout, starts)]

    # -------------------------------------------------------------------------------- parameters
    def scale_guess(self, name: str) -> float:
        """A rough phase scale from the height of its strongest reflection in the window (the floor
        of :func:`data_starts`' linear solve)."""
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
        curves = {ph.name: self.phase_curve(ph.name, p) for ph in self.spec.phases}
        curves.update({hump.name: self.hump_curve(hump, p) for hump in self.spec.humps})
        curves.update({peak.name: self.peak_curve(peak, p) for peak in self.spec.peaks})
        return curves

    def phase_curve(self, name: str, p: dict[str, float]) -> np.ndarray:
        """One phase's reflections (Kα1 and Kα2, displaced) on the grid at parameter values ``p``."""
        tt, gauss, lorentz, area = self._lines(name, p)
        total, eta = profiles.tch_parameters(gauss, lorentz)
        return self._peaks_curve(tt, total, eta, area, p)

    def hump_curve(self, hump, p: dict[str, float]) -> np.ndarray:
        """An amorphous hump (a sum of Gaussian sub-bands, not shifted) on the grid."""
        return sum(lineshapes.pseudo_voigt(self.x, p[f"{hump.name}_center"] + dc, p[f"{hump.name}_fwhm"] * fw,
                                           p[f"{hump.name}_area"] * fa, 0.0)
                   for dc, fw, fa in hump.shape)

    def peak_curve(self, peak, p: dict[str, float]) -> np.ndarray:
        """A free peak: a pseudo-Voigt of its FWHM and η with its Kα2 partner, displaced."""
        return self._peaks_curve(np.array([p[f"{peak.name}_center"]]), np.array([p[f"{peak.name}_fwhm"]]),
                                 np.array([p[f"{peak.name}_eta"]]), np.array([p[f"{peak.name}_area"]]), p)

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


#: fraction of a rough height-based amount below which a solved amount does not start (a start on the bound
#: at zero cannot move through the bound transform)
AMOUNT_FLOOR = 0.05
#: crystallite sizes (nm) tried for a phase whose recipe gives no size start
SIZE_CANDIDATES = (2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 35.0, 60.0, 100.0, 200.0, 500.0, 1000.0)


def data_starts(model: XRDModel, y: np.ndarray) -> np.ndarray:
    """Start values (N, P) for N patterns ``y`` (N, n) on ``model``'s grid, from the data.

    Everything linear in the model is solved, not guessed: phase scales, hump and free-peak areas
    and the Chebyshev coefficients come from one (unweighted) least-squares solve against the data
    (negative amounts are dropped and the rest re-solved). Each pattern's starts depend on that
    pattern alone, whatever batch it is fitted in. The crystallite
    size of each phase whose recipe gives no size start is the one of :data:`SIZE_CANDIDATES`
    (within its bounds) that leaves the smallest residual, chosen per pattern by coordinate descent
    over the phases (two sweeps). Everything the recipe fixes or starts keeps its value.

    All candidate curves are computed once for the grid; each pattern then only needs small
    normal-equation solves (Gram matrix of the candidates), so many patterns cost little more
    than one.

    Parameters
    ----------
    model : XRDModel
        A model of the recipe on the grid (its templates and curve functions are used).
    y : ndarray (N, n)
        Intensities (counts).

    Returns
    -------
    ndarray (N, P)
        In :func:`parameter_layout` order, clipped into the bounds (amounts floored at a small
        positive value, so that no start sits on a bound).
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    layout = parameter_layout(model.spec)
    n_spec = len(y)
    base = {p.name: p.value for p in layout}
    for p in layout:  # provisional values for what the data decide
        if base[p.name] is None:
            base[p.name] = 1.0 if not p.name.startswith("bg_") else 0.0
    unknown = {p.name for p in layout if p.value is None and p.vary}
    bg_names = [p.name for p in layout if p.name.startswith("bg_c") and p.vary]
    unknown |= set(bg_names)
    searched = [ph for ph in model.spec.phases if ph.size.value is None and ph.size.vary
                and f"{ph.name}_scale" in unknown]
    for ph in model.spec.phases:
        if ph.size.value is None:
            base[f"{ph.name}_size"] = float(np.clip(100.0, ph.size.min, ph.size.max))
    weight = np.ones_like(model.x)  # not the data's: a pattern's starts must not depend on its batch
    u = 2 * (model.x - model.lo) / (model.hi - model.lo) - 1
    columns, keys = [], []  # candidate unit curves (weighted) and what each is

    def add(key, curve):
        keys.append(key)
        columns.append(np.asarray(curve, dtype=float) * weight)

    fixed = np.zeros_like(model.x)
    candidates = {}
    for ph in model.spec.phases:
        name = ph.name
        sizes = [base[f"{name}_size"]]
        if ph in searched:
            sizes = [s for s in SIZE_CANDIDATES if ph.size.min <= s <= ph.size.max] or sizes
        if f"{name}_scale" in unknown:
            candidates[name] = []
            for size in sizes:
                candidates[name].append(len(keys))
                add(("phase", name, size), model.phase_curve(name, {**base, f"{name}_scale": 1.0,
                                                                    f"{name}_size": size}))
        else:
            fixed += model.phase_curve(name, base)
    for item in (*model.spec.humps, *model.spec.peaks):
        curve = model.hump_curve if item in model.spec.humps else model.peak_curve
        if f"{item.name}_area" in unknown:
            add(("area", item.name), curve(item, {**base, f"{item.name}_area": 1.0}))
        else:
            fixed += curve(item, base)
    for name in bg_names:
        k = int(name[len("bg_c"):])
        add(("bg", name), np.polynomial.chebyshev.chebval(u, np.eye(k + 1)[k]))
    for p in layout:  # fixed background terms
        if p.name.startswith("bg_c") and not p.vary:
            k = int(p.name[len("bg_c"):])
            fixed += base[p.name] * np.polynomial.chebyshev.chebval(u, np.eye(k + 1)[k])
    out = np.array([[base[p.name] for p in layout]] * n_spec, dtype=float)
    if columns:
        c = np.stack(columns, axis=1)  # (n, M)
        target = (y - fixed) * weight  # (N, n)
        gram, proj = c.T @ c, c.T @ target.T  # (M, M), (M, N)
        others = [k for k, key in enumerate(keys) if key[0] != "phase"]
        choice = {name: np.zeros(n_spec, int) + int(np.argmin([abs(keys[i][2] - base[f"{name}_size"])
                                                                 for i in idx])) for name, idx in candidates.items()}

        def solve(select):
            columns = [np.array(candidates[name])[choice_] for name, choice_ in select.items()]
            columns += [np.full(n_spec, k) for k in others]
            index = np.stack(columns, axis=1) if columns else np.zeros((n_spec, 0), int)
            return index, *_amounts(gram, proj, np.sum(target**2, axis=1), index, keys)

        for _ in range(2):
            for name in searched:
                trials = []
                for option in range(len(candidates[name.name])):
                    trial = {**choice, name.name: np.full(n_spec, option)}
                    trials.append(solve(trial)[2])
                choice[name.name] = np.argmin(np.stack(trials, axis=1), axis=1)
        index, coef, _ = solve(choice)
        position = {p.name: i for i, p in enumerate(layout)}
        for col in range(index.shape[1]):
            for key_index in np.unique(index[:, col]):  # a column holds one key, or a phase's size candidates
                rows = index[:, col] == key_index
                kind, name, *size = keys[key_index]
                target_name = {"phase": f"{name}_scale", "area": f"{name}_area"}.get(kind, name)
                out[rows, position[target_name]] = coef[rows, col]
                if kind == "phase":
                    out[rows, position[f"{name}_size"]] = size[0]
        for p_index, p in enumerate(layout):  # amounts start off their bound at 0, where the fit could not move
            if p.name.endswith("_scale") and p.name in unknown:
                floor = AMOUNT_FLOOR * model.scale_guess(p.name[:-len("_scale")])
                out[:, p_index] = np.maximum(out[:, p_index], floor)
            elif p.name.endswith("_area") and p.name in unknown:
                width = base[p.name[:-len("_area")] + "_fwhm"]
                out[:, p_index] = np.maximum(out[:, p_index], AMOUNT_FLOOR * max(float(np.ptp(y)), 1.0) * width)
    lo = np.array([p.min for p in layout])
    hi = np.array([p.max for p in layout])
    return np.clip(out, lo, hi)


def _amounts(gram, proj, total, index, keys):
    """Coefficients (N, k) of the selected columns ``index`` (N, k) and the residual sum of squares
    (N,), amounts (phases, humps, peaks) kept non-negative (:func:`spectra.fitting.linear.nonnegative_solve`)."""
    g = gram[index[:, :, None], index[:, None, :]]
    b = np.take_along_axis(proj.T, index, axis=1)
    is_amount = np.array([key[0] != "bg" for key in keys], dtype=bool)
    return nonnegative_solve(g, b, total, is_amount[index])
