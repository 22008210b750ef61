"""The XRD pattern model: phase templates (reflections from structures), free peaks, amorphous
humps, a Chebyshev background, Kα1/Kα2, specimen displacement and the instrument function.

Parameter names: ``<phase>_scale`` (dimensionless scale of the per-cell intensities
m|F|²LP/V²; structure intensities only), ``<phase>_a`` / ``_c`` (Å), ``<phase>_size`` (nm, Scherrer,
K = 0.9), ``<phase>_strain`` (microstrain ε), ``<phase>_po_r`` (March–Dollase r),
``<phase>_I_<hkl>`` (Pawley integrated Kα1 intensities, counts·degree), ``displacement`` (µm),
``zero`` (degrees 2θ), ``ka2_ratio``, ``overspill`` (2θc of the beam-overspill factor, degrees),
``inst_u/v/w`` (degrees², Caglioti), ``inst_x/y`` (degrees, Lorentzian), ``inst_asym_p1`` … ``_p4``
(Bérar–Baldinozzi asymmetry), ``inst_axial`` (degrees), the profile's shape terms (``inst_pearson_m``,
``inst_split``), ``<hump>_center/_fwhm/_area``, ``<peak>_center/_fwhm/_area/_eta`` and ``bg_c0 … bg_cN``
(Chebyshev coefficients, counts).

A line of a phase has the Kα1 position of Bragg's law for the (refined) cell, shifted by the zero and
the specimen displacement, its Kα2 partner at ``ka2_ratio`` of its area, the FWHM and η of the TCH
combination of the Gaussian (Caglioti) and Lorentzian (X tanθ + Y/cosθ + Scherrer + 4ε tanθ) widths, the
recipe's profile, the Bérar–Baldinozzi factor with ``a = P1/tanθ + P3/tan 2θ``, ``b = P2/tanθ +
P4/tan 2θ`` and the axial-divergence average with shift ``A·cot 2θ`` (θ of the Kα1 line, used for both
lines). With ``overspill`` every phase line and free peak is multiplied, point by point, by
:func:`spectra.xrd.profiles.overspill` (humps and background are not).
"""
from __future__ import annotations

import copy
import functools
import math

import numpy as np
from numpy.polynomial import chebyshev

from .. import lineshapes
from ..fitting.linear import nonnegative_solve
from ..fitting.params import ParamInfo
from . import profiles
from .recipe import XRDSpec
from .reflections import _indices, compute, lorentz_polarisation
from .structure import Structure, reciprocal_metric, structure_factors


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


@functools.lru_cache(maxsize=64)
def orientation_geometry(template: PhaseTemplate, hkl: tuple[int, int, int]):
    """The planes of every template line for the March–Dollase sum: cos of the angle between each
    plane normal and the preferred direction ``hkl`` (a reciprocal-lattice vector) at the nominal
    cell, and the planes' weights (|F|², normalised per line; 0 pads).

    Every reflection (h, k, l) whose d matches a line's (to 5 decimals, as the reflection list
    merges them) is one plane, so coincident families ("511 333") are each weighted by their |F|².

    Parameters
    ----------
    template : PhaseTemplate
        The phase's lines.
    hkl : tuple of int
        The preferred-orientation direction.

    Returns
    -------
    cos_alpha, weights : numpy.ndarray
        Shape (n_lines, n_planes).
    """
    s = template.structure
    g = reciprocal_metric(s.cell)
    d_min = float(template.lines.d.min()) * 0.999
    h = _indices(s, d_min)
    d = 1 / np.sqrt(np.einsum("ni,ij,nj->n", h, g, h))
    keys = np.round(d, 5)
    target = np.round(template.lines.d, 5)
    inside = np.isin(keys, target)
    h, keys = h[inside], keys[inside]
    f2 = np.abs(structure_factors(s, h, energy_ev=12398.419843 / template.lines.wavelength)) ** 2
    pref = np.asarray(hkl, dtype=float)
    cos = (h @ g @ pref) / np.sqrt(np.einsum("ni,ij,nj->n", h, g, h) * (pref @ g @ pref))
    members = [np.where(keys == key)[0] for key in target]
    width = max(len(m) for m in members)
    cos_alpha, weights = np.zeros((len(target), width)), np.zeros((len(target), width))
    for k, m in enumerate(members):
        cos_alpha[k, :len(m)] = cos[m]
        w = f2[m] if f2[m].sum() > 0 else np.ones(len(m))
        weights[k, :len(m)] = w / w.sum()
    return np.clip(cos_alpha, -1.0, 1.0), weights


def pawley_lines(spec: XRDSpec, phase) -> dict[int, str]:
    """The Pawley intensity parameters of a phase: template line index → parameter name.

    The lines are those of the phase's template (relative intensity ≥ 0.01 in the structure; weaker
    reflections are left out) whose nominal Kα1 position is inside the recipe's window; tails of
    lines outside it are not modelled.

    Parameters
    ----------
    spec : XRDSpec
        The recipe (its window and radiation).
    phase : PhaseSpec
        A phase with ``intensities = "pawley"``.

    Returns
    -------
    dict of int to str
        ``<phase>_I_<hkl>`` (first family of the line; ``m`` for a minus sign) by line index.
    """
    lo, hi = spec.window
    t = phase_template(phase.crystal, spec.radiation.ka1, hi)
    out, used = {}, set()
    for k in np.where((t.lines.two_theta >= lo) & (t.lines.two_theta <= hi))[0]:
        key = t.lines.hkl[k].split()[0].replace("-", "m")
        name = f"{phase.name}_I_{key}" if key not in used else f"{phase.name}_I_{key}_{k}"
        used.add(key)
        out[int(k)] = name
    return out


def _on(spec: XRDSpec, key: str) -> bool:
    """Whether an optional instrument term is in the model: named, and varying or not zero."""
    term = spec.instrument.get(key)
    return term is not None and (term.vary or term.value != 0)


def partition(curves: np.ndarray, areas: np.ndarray, y, background, best, sigma):
    """Observed integrated intensities of lines by partitioning the data (Rietveld's I_obs; Le Bail's
    step): ``I_obs,k = I_k · Σ_i c_ik r_i / Σ_i c_ik`` with ``r_i = (y_i − bg_i)/(ycalc_i − bg_i)``.

    Parameters
    ----------
    curves : numpy.ndarray, shape (n, K)
        Each line's curve (Kα1 and Kα2) on the grid.
    areas : numpy.ndarray, shape (K,)
        The lines' model intensities I_k.
    y, background, best, sigma : numpy.ndarray, shape (n,)
        Data, background, model and the data's σ.

    Returns
    -------
    observed, sd : numpy.ndarray, shape (K,)
        I_obs and its σ from the data's σ (the profile held fixed); NaN for a line with no curve on
        the grid.
    """
    above = best - background
    safe = np.where(np.abs(above) > 1e-12 * max(float(np.max(np.abs(above), initial=0.0)), 1e-300), above, np.inf)
    ratio = (y - background) / safe
    weight = curves.sum(axis=0)
    per = np.where(weight > 0, areas / np.where(weight > 0, weight, 1.0), np.nan)
    observed = per * (curves.T @ ratio)
    sd = per * np.sqrt(((curves / safe[:, None]) ** 2).T @ sigma**2)
    return observed, sd


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
    system = crystal_system(phase.crystal)
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
        Phase scales (structure intensities), cell lengths (±3 %), sizes, strains, March–Dollase r and
        Pawley intensities; hump and free-peak parameters; ``displacement`` (µm), ``zero`` (degrees),
        a refined ``ka2_ratio`` and ``overspill`` (degrees, when the recipe has it); the instrument terms
        ``inst_<key>`` of the recipe; ``bg_c0`` … ``bg_cN``. ``value`` is None where the data decide (phase
        scales, Pawley intensities, hump and peak areas without a recipe value, the background level
        ``bg_c0``).
    """
    out = []
    for ph in spec.phases:
        if ph.intensities == "structure":
            out.append(ParamInfo(f"{ph.name}_scale", ph.scale.value, ph.scale.min, ph.scale.max, ph.scale.vary, "1"))
        cell = ph.crystal.cell
        for name in cell_lengths(ph):
            if name.endswith("_cell_scale"):
                out.append(ParamInfo(name, 1.0, 0.97, 1.03, True, "1"))
            else:
                length = cell[0] if name.endswith("_a") else cell[2]
                out.append(ParamInfo(name, length, length * 0.97, length * 1.03, True, "angstrom"))
        out.append(ParamInfo(f"{ph.name}_size", ph.size.value, ph.size.min, ph.size.max, ph.size.vary, "nm"))
        for spec_, key in ((ph.strain, "strain"), (ph.po_r, "po_r")):
            if spec_ is not None:
                out.append(ParamInfo(f"{ph.name}_{key}", spec_.value, spec_.min, spec_.max, spec_.vary, "1"))
        if ph.intensities == "pawley":
            out += [ParamInfo(name, None, 0.0, math.inf, True, "counts*degree")
                    for name in pawley_lines(spec, ph).values()]
    for hump in spec.humps:
        for key, unit in (("center", "degree"), ("fwhm", "degree"), ("area", "counts*degree")):
            p = getattr(hump, key)
            out.append(ParamInfo(f"{hump.name}_{key}", p.value, p.min, p.max, p.vary, unit))
    for peak in spec.peaks:
        for key, unit in (("center", "degree"), ("fwhm", "degree"), ("area", "counts*degree"), ("eta", "1")):
            p = getattr(peak, key)
            out.append(ParamInfo(f"{peak.name}_{key}", p.value, p.min, p.max, p.vary, unit))
    for key, p, unit in (("displacement", spec.displacement, "um"), ("zero", spec.zero, "degree"),
                         ("ka2_ratio", spec.ka2_ratio, "1"), ("overspill", spec.overspill, "degree")):
        if p is not None:
            out.append(ParamInfo(key, p.value, p.min, p.max, p.vary, unit))
    units = {"u": "degree^2", "v": "degree^2", "w": "degree^2", "x": "degree", "y": "degree"}
    for key, p in spec.instrument.items():
        out.append(ParamInfo(f"inst_{key}", p.value, p.min, p.max, p.vary, units.get(key, "1")))
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
        One per phase of the recipe (a Pawley phase's computed to the window's end).
    params : list of ParamInfo
        :func:`parameter_layout` with data-derived starting values filled in.
    pawley : dict of str to dict
        For Pawley phases: template line index → intensity parameter name.
    intensities : dict of str to numpy.ndarray
        For Le Bail phases: the current integrated Kα1 intensity of every template line (counts·degree),
        set by :meth:`le_bail_step`.
    """

    def __init__(self, spec: XRDSpec, x: np.ndarray, y: np.ndarray, starts: np.ndarray | None = None):
        self.spec = spec
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.lo, self.hi = float(self.x.min()), float(self.x.max())
        self.phases = {ph.name: ph for ph in spec.phases}
        self.pawley = {ph.name: pawley_lines(spec, ph) for ph in spec.phases if ph.intensities == "pawley"}
        self.templates = {ph.name: phase_template(ph.crystal, spec.radiation.ka1,
                                                  spec.window[1] if ph.name in self.pawley else self.hi)
                          for ph in spec.phases}
        self.orientation = {ph.name: orientation_geometry(self.templates[ph.name], ph.orientation)
                            for ph in spec.phases if ph.orientation is not None}
        #: the asymmetry factor and the axial-divergence average apply when one of their terms varies or
        #: is not zero
        self.asymmetric = any(_on(spec, k) for k in profiles.ASYMMETRY_TERMS)
        self.axial = _on(spec, "axial")
        self.intensities = {}
        for ph in spec.phases:  # Le Bail starts from the structure's intensities at a rough scale
            if ph.intensities == "le_bail":
                t = self.templates[ph.name]
                self.intensities[ph.name] = self.scale_guess(ph.name) * t.m_f2 * lorentz_polarisation(
                    t.lines.two_theta) / t.volume(t.nominal) ** 2
        self.le_bail_cycles = 0
        layout = parameter_layout(spec)
        if starts is None:
            starts = data_starts(self, self.y[None])[0]
        self.params = [ParamInfo(p.name, float(v), p.min, p.max, p.vary, p.unit) for p, v in zip(layout, starts)]

    def for_pattern(self, y: np.ndarray, starts: np.ndarray) -> XRDModel:
        """This model for another pattern ``y`` on the same grid, at start values ``starts`` (P,): its
        templates, line sets and parameter layout are shared, not recomputed. A model with Le Bail
        phases (whose start intensities depend on the data) is built anew."""
        if self.intensities:
            return XRDModel(self.spec, self.x, y, starts=starts)
        model = copy.copy(self)
        model.y = np.asarray(y, dtype=float)
        model.intensities, model.le_bail_cycles = {}, 0
        model.params = [ParamInfo(p.name, float(v), p.min, p.max, p.vary, p.unit) for p, v in zip(self.params, starts)]
        return model

    # -------------------------------------------------------------------------------- parameters
    def scale_guess(self, name: str, y: np.ndarray | None = None):
        """A rough phase scale from the height of its strongest reflection in the window (the floor
        of :func:`data_starts`' linear solve): for this model's pattern (a float), or for each row of
        ``y`` (N, n) on its grid (an array of N), each from its own row alone."""
        rows = np.atleast_2d(self.y if y is None else np.asarray(y, dtype=float))
        t = self.templates[name]
        inside = (t.lines.two_theta > self.lo) & (t.lines.two_theta < self.hi)
        if not inside.any():
            guess = np.full(len(rows), 1e-6)
        else:
            strongest = int(np.argmax(np.where(inside, t.lines.intensity, -1)))
            near = np.abs(self.x - t.lines.two_theta[strongest]) < 0.3
            height = rows[:, near].max(axis=1) - np.percentile(rows, 5, axis=1) if near.any() else np.ones(len(rows))
            per_cell = t.lines.intensity[strongest] / t.volume(t.nominal) ** 2
            guess = np.maximum(height, 1.0) * 0.2 / per_cell
        return float(guess[0]) if y is None else guess

    def defaults(self) -> dict[str, float]:
        """Starting values of every parameter.

        Returns
        -------
        dict of str to float
            Name to starting value, in model order.
        """
        return {p.name: p.value for p in self.params}

    # -------------------------------------------------------------------------------- evaluation
    def _lines(self, name: str, p: dict[str, float], structure_intensities: bool = False):
        """Template indices, positions (Kα1, degrees), widths (Gaussian, Lorentzian) and areas of one
        phase's lines (``structure_intensities``: the structure's, at scale ``p.get(<phase>_scale, 1)``,
        whatever the phase's intensity mode)."""
        t = self.templates[name]
        ph = self.phases[name]
        lam = self.spec.radiation.ka1
        cell = t.cell(p, name)
        d = t.d_spacings(cell)
        s = np.clip(lam / (2 * d), -1, 1)
        tt = 2 * np.degrees(np.arcsin(s))
        keep = (s < 0.999) & (tt > self.lo - 3) & (tt < self.hi + 3)
        mode = "structure" if structure_intensities else ph.intensities
        if mode == "pawley":
            keep &= np.isin(np.arange(keep.size), list(self.pawley[name]))
        index = np.where(keep)[0]
        tt = tt[keep]
        if mode == "structure":
            area = p.get(f"{name}_scale", 1.0) * t.m_f2[keep] * lorentz_polarisation(tt) / t.volume(cell) ** 2
            if name in self.orientation and f"{name}_po_r" in p:
                area = area * profiles.march_dollase(*self.orientation[name], p[f"{name}_po_r"])[0][keep]
        elif mode == "pawley":
            area = np.array([p[self.pawley[name][k]] for k in index], dtype=float)
        else:
            area = self.intensities[name][keep]
        gauss = profiles.caglioti_fwhm(tt, p["inst_u"], p["inst_v"], p["inst_w"])
        lorentz = profiles.lorentz_fwhm(tt, p["inst_x"], p["inst_y"]) + profiles.scherrer_fwhm(
            tt, p[f"{name}_size"], lam)
        if ph.strain is not None:
            lorentz = lorentz + profiles.strain_fwhm(tt, p[f"{name}_strain"])
        return index, tt, gauss, lorentz, area

    def _line_curves(self, tt, total, eta, area, p, profile: str = "pseudo-voigt", instrumental: bool = False):
        """Curves (n, K) of lines of FWHM ``total`` and mixing ``eta`` at Kα1 and Kα2, with displacement
        and zero shift, in ``profile`` (with the recipe's asymmetry terms when ``instrumental``), times the
        beam-overspill factor when the recipe has one."""
        r = self.spec.radiation
        shift = profiles.displacement_shift(tt, p["displacement"], self.spec.radius_mm) + p["zero"]
        x = self.x[:, None]
        shape = {k: p[f"inst_{k}"] for k in profiles.PROFILES[profile].parameters}
        asym = axial = None
        if instrumental and self.asymmetric:
            asym = profiles.asymmetry_weights(tt, *(p.get(f"inst_asym_p{k}", 0.0) for k in range(1, 5)))[:2]
        if instrumental and self.axial:
            axial = profiles.axial_divergence(tt, p["inst_axial"])[0]
        y = profiles.line_curves(profile, x, tt + shift, total, eta, area, shape, asym, axial)
        ratio = p.get("ka2_ratio", r.ka2_ratio)
        if r.ka2 is not None and ratio > 0:
            tt2 = profiles.ka2_position(tt, r.ka1, r.ka2)
            y = y + profiles.line_curves(profile, x, tt2 + shift, total, eta, ratio * area, shape, asym, axial)
        if self.spec.overspill is not None:
            y = y * profiles.overspill(self.x, p["overspill"])[0][:, None]
        return y

    def line_curves(self, name: str, p: dict[str, float], *, structure_intensities: bool = False):
        """Each reflection's curve of one phase (Kα1 and Kα2, displaced) on the grid.

        Parameters
        ----------
        name : str
            Phase name.
        p : dict of str to float
            Parameter values by name (see the module notes for the names).
        structure_intensities : bool
            Use the structure's intensities (scale ``<phase>_scale``, else 1) whatever the phase's
            intensity mode.

        Returns
        -------
        index : numpy.ndarray of int, shape (K,)
            The lines' indices in the phase's template.
        curves : numpy.ndarray, shape (n, K)
            Counts.
        areas : numpy.ndarray, shape (K,)
            Integrated Kα1 intensities (counts·degree).
        """
        index, tt, gauss, lorentz, area = self._lines(name, p, structure_intensities)
        total, eta = profiles.tch_parameters(gauss, lorentz)
        return index, self._line_curves(tt, total, eta, area, p, self.spec.profile, True), area

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

    def phase_curve(self, name: str, p: dict[str, float], *, structure_intensities: bool = False) -> np.ndarray:
        """One phase's reflections (Kα1 and Kα2, displaced) on the grid at parameter values ``p``
        (``structure_intensities``: as :meth:`line_curves`)."""
        return self.line_curves(name, p, structure_intensities=structure_intensities)[1].sum(axis=1)

    def hump_curve(self, hump, p: dict[str, float]) -> np.ndarray:
        """An amorphous hump (a sum of Gaussian sub-bands, not shifted) on the grid."""
        return sum(lineshapes.pseudo_voigt(self.x, p[f"{hump.name}_center"] + dc, p[f"{hump.name}_fwhm"] * fw,
                                           p[f"{hump.name}_area"] * fa, 0.0)
                   for dc, fw, fa in hump.shape)

    def peak_curve(self, peak, p: dict[str, float]) -> np.ndarray:
        """A free peak: a pseudo-Voigt of its FWHM and η with its Kα2 partner, displaced."""
        return self._line_curves(np.array([p[f"{peak.name}_center"]]), np.array([p[f"{peak.name}_fwhm"]]),
                                 np.array([p[f"{peak.name}_eta"]]), np.array([p[f"{peak.name}_area"]]), p)[:, 0]

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
            (degrees 2θ, TCH), ``intensity`` (integrated Kα1 area, counts·degree) and ``index`` (the
            lines' indices in the template), arrays of equal length.
        """
        t = self.templates[name]
        index, tt, gauss, lorentz, area = self._lines(name, p)
        shift = profiles.displacement_shift(tt, p["displacement"], self.spec.radius_mm) + p["zero"]
        total, _ = profiles.tch_parameters(gauss, lorentz)
        return {"hkl": [t.lines.hkl[k] for k in index], "two_theta": tt + shift, "fwhm": total, "intensity": area,
                "index": index}

    def le_bail_step(self, p: dict[str, float]) -> float:
        """One Le Bail cycle: every Le Bail phase's line intensities replaced by the data's partition
        at parameter values ``p`` (:func:`partition`).

        Parameters
        ----------
        p : dict of str to float
            Parameter values by name.

        Returns
        -------
        float
            The largest relative change of a line intensity (0 without Le Bail phases).
        """
        total, _, bg = self.evaluate(p)
        change = 0.0
        sigma = np.sqrt(np.maximum(self.y, 1.0))
        for name, current in self.intensities.items():
            index, curves, areas = self.line_curves(name, p)
            observed, _ = partition(curves, areas, self.y, bg, total, sigma)
            new = np.where(np.isfinite(observed), np.maximum(observed, 0.0), areas)
            scale = max(float(np.max(np.abs(areas), initial=0.0)), 1e-300)
            change = max(change, float(np.max(np.abs(new - areas), initial=0.0)) / scale)
            updated = current.copy()
            updated[index] = new
            self.intensities[name] = updated
        self.le_bail_cycles += 1
        return change


#: fraction of a rough height-based amount below which a solved amount does not start (a start on the bound
#: at zero cannot move through the bound transform)
AMOUNT_FLOOR = 0.05
#: a varying March–Dollase r given as exactly 1 starts this much below it: for a cubic phase the pattern's
#: derivative by r vanishes at r = 1 (Σ (3cos²α − 1) over a family is 0), and a Levenberg–Marquardt step
#: cannot leave a point where its Jacobian column is zero
PO_START_OFFSET = 0.02
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
    # intensity-free phases are placed by a stand-in: their structure's pattern at a solved scale
    virtual = {f"{ph.name}_scale" for ph in model.spec.phases if ph.intensities != "structure"}
    unknown |= virtual
    base.update(dict.fromkeys(virtual, 1.0))
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
                add(("phase", name, size), model.phase_curve(name, {**base, f"{name}_scale": 1.0, f"{name}_size": size},
                                                             structure_intensities=True))
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
                if target_name in virtual:
                    _pawley_starts(model, name, base, coef[rows, col], out, rows, position)
                else:
                    out[rows, position[target_name]] = coef[rows, col]
                if kind == "phase":
                    out[rows, position[f"{name}_size"]] = size[0]
        for p_index, p in enumerate(layout):  # amounts start off their bound at 0, where the fit could not move
            if p.name.endswith("_scale") and p.name in unknown:
                floor = AMOUNT_FLOOR * model.scale_guess(p.name[:-len("_scale")], y)
                out[:, p_index] = np.maximum(out[:, p_index], floor)
            elif p.name.endswith("_area") and p.name in unknown:
                width = base[p.name[:-len("_area")] + "_fwhm"]
                out[:, p_index] = np.maximum(out[:, p_index], AMOUNT_FLOOR * np.maximum(np.ptp(y, axis=1), 1.0) * width)
    for p_index, p in enumerate(layout):  # see PO_START_OFFSET
        if p.name.endswith("_po_r") and p.vary:
            out[:, p_index] = np.where(out[:, p_index] == 1.0, 1.0 - PO_START_OFFSET, out[:, p_index])
    lo = np.array([p.min for p in layout])
    hi = np.array([p.max for p in layout])
    return np.clip(out, lo, hi)


def _pawley_starts(model: XRDModel, name: str, base: dict, scale: np.ndarray, out, rows, position) -> None:
    """Start a Pawley phase's intensities at its structure's, times the stand-in scale solved from
    the data (floored at a small share of the strongest, so that none starts on its bound)."""
    if name not in model.pawley:
        return
    index, _, areas = model.line_curves(name, {**base, f"{name}_scale": 1.0}, structure_intensities=True)
    unit = dict(zip(index.tolist(), areas))
    strongest = max(unit.values(), default=1.0)
    for k, param in model.pawley[name].items():
        per = max(unit.get(k, 0.0), AMOUNT_FLOOR * strongest)
        out[rows, position[param]] = np.maximum(scale, 1e-12) * per


def _amounts(gram, proj, total, index, keys):
    """Coefficients (N, k) of the selected columns ``index`` (N, k) and the residual sum of squares
    (N,), amounts (phases, humps, peaks) kept non-negative (:func:`spectra.fitting.linear.nonnegative_solve`)."""
    g = gram[index[:, :, None], index[:, None, :]]
    b = np.take_along_axis(proj.T, index, axis=1)
    is_amount = np.array([key[0] != "bg" for key in keys], dtype=bool)
    return nonnegative_solve(g, b, total, is_amount[index])
