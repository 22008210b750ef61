"""XRD recipes (TOML or dict) validated into an :class:`XRDSpec`.

Joint phase fit::

    technique = "xrd"
    window = [15.0, 60.0]
    anode = "Cu"                       # or wavelength = 0.4133 (Å); default: from the file
    background = {kind = "chebyshev", order = 4}
    phases = ["Li6PS5Cl", "Li2S", "Si"]
    instrument = {u = 0.004, v = -0.002, w = 0.002, x = 0.0, y = 0.02}   # e.g. from a LaB6 fit
    displacement = {value = 0.0, min = -500, max = 500}               # µm; goniometer radius 240 mm
    [phase_options.Li2S]
    size = {value = 10, min = 1, max = 500}                            # nm
    [[humps]]                                                          # amorphous components
    name = "LiSi"
    center = {value = 20.0, min = 17.0, max = 23.0}
    fwhm = {value = 6.0, min = 3.0, max = 12.0}
    amorphous = ["carbon_black"]                                       # shapes from reference_patterns

Free peaks: ``peaks = [{name = "Li2S_111", center = 27.0, fwhm = 1.5}, ...]`` (pseudo-Voigt, with
Kα2), with or without phases.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from ..errors import RecipeError
from ..recipe import ParamSpec, load_recipe, param_spec, technique_of, window_of
from .structure import STRUCTURE_PARAMETERS, load_structure, phase_names
from .wavelengths import Radiation, radiation

_KEYS = {"technique", "window", "anode", "wavelength", "ka2_ratio", "background", "phases", "phase_options",
         "instrument", "displacement", "zero", "radius_mm", "humps", "amorphous", "peaks", "name", "description"}
#: highest Chebyshev background order (more terms only fit noise and slow every evaluation)
MAX_CHEBYSHEV_ORDER = 20
DEFAULT_INSTRUMENT = {"u": 0.004, "v": -0.002, "w": 0.002, "x": 0.0, "y": 0.02}


@dataclass
class PhaseSpec:
    """One crystalline phase of an XRD recipe.

    Attributes
    ----------
    name : str
        Phase name, the parameter prefix.
    structure : str
        Reference phase in ``reference_patterns`` (the same as ``name`` from :func:`parse_xrd_recipe`).
    scale : ParamSpec
        Scale of the per-cell intensities (dimensionless; ``value`` None: from the data).
    size : ParamSpec
        Crystallite size (nm).
    refine_cell : bool or tuple of str
        True, False, or the cell lengths to refine, e.g. ``("c",)``.
    structure_parameters : dict
        Structural parameters, e.g. ``{"cl_on_4d": 0.5}``.
    """

    name: str
    structure: str
    scale: ParamSpec
    size: ParamSpec
    refine_cell: bool | tuple[str, ...] = True   # True, False, or the cell lengths to refine, e.g. ("c",)
    structure_parameters: dict = field(default_factory=dict)  # e.g. {"cl_on_4d": 0.5}


@dataclass
class HumpSpec:
    """An amorphous hump: one or several Gaussian sub-bands moving and scaling together.

    Attributes
    ----------
    name : str
        Hump name, the parameter prefix.
    center : ParamSpec
        Centre of the first sub-band (degrees 2θ).
    fwhm : ParamSpec
        FWHM of the first sub-band (degrees 2θ).
    area : ParamSpec
        Area of the first sub-band (counts·degree; ``value`` None: from the data).
    shape : tuple of (float, float, float)
        ``(centre offset in degrees, FWHM factor, area factor)`` of each sub-band relative to the first.
    """

    name: str
    center: ParamSpec
    fwhm: ParamSpec
    area: ParamSpec
    shape: tuple = ((0.0, 1.0, 1.0),)   # (centre offset, fwhm factor, area factor) of each sub-band


@dataclass
class PeakSpec:
    """A free pseudo-Voigt peak (with its Kα2 partner).

    Attributes
    ----------
    name : str
        Peak name, the parameter prefix.
    center : ParamSpec
        Kα1 position (degrees 2θ).
    fwhm : ParamSpec
        FWHM (degrees 2θ).
    area : ParamSpec
        Kα1 area (counts·degree; ``value`` None: from the data).
    eta : ParamSpec
        Lorentzian fraction η.
    """

    name: str
    center: ParamSpec
    fwhm: ParamSpec
    area: ParamSpec
    eta: ParamSpec


@dataclass
class XRDSpec:
    """A validated XRD recipe.

    Attributes
    ----------
    window : tuple of float or None
        ``(low, high)`` 2θ range fitted (degrees); None for the whole pattern.
    radiation : Radiation
        Wavelengths (Å) and Kα2 ratio.
    phases : list of PhaseSpec
        Crystalline phases.
    humps : list of HumpSpec
        Amorphous humps (those listed under ``humps`` and ``amorphous``).
    peaks : list of PeakSpec
        Free peaks.
    background_order : int
        Chebyshev order; -1 for no background.
    instrument : dict of str to ParamSpec
        Caglioti ``u``, ``v``, ``w`` (degrees²) and Lorentzian ``x``, ``y`` (degrees).
    displacement : ParamSpec
        Specimen displacement (µm).
    zero : ParamSpec
        Zero shift (degrees 2θ).
    radius_mm : float
        Goniometer radius (mm).
    text : str
        Canonical recipe text.
    """

    window: tuple[float, float] | None
    radiation: Radiation
    phases: list[PhaseSpec]
    humps: list[HumpSpec]
    peaks: list[PeakSpec]
    background_order: int
    instrument: dict[str, ParamSpec]
    displacement: ParamSpec
    zero: ParamSpec
    radius_mm: float
    text: str = field(default="")

    @property
    def sha256(self) -> str:
        """SHA-256 of the recipe text."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def region(self) -> str:
        """What the recipe fits, for titles and result attributes (e.g. ``XRD Li6PS5Cl+Li2S``)."""
        return "XRD " + "+".join(ph.name for ph in self.phases) if self.phases else "XRD peaks"


def parse_xrd_recipe(recipe, *, attrs: dict | None = None) -> XRDSpec:
    """Validate an XRD recipe.

    Parameters
    ----------
    recipe : str, pathlib.Path, dict or RecipeSource
        A ``.toml`` path, TOML text or a dict (see :func:`spectra.recipe.load_recipe`).
    attrs : dict, optional
        The pattern's attributes, which supply the anode or wavelength when the recipe names none.

    Returns
    -------
    XRDSpec
        The validated recipe, with defaults filled in.

    Raises
    ------
    spectra.errors.RecipeError
        Naming the offending key.
    """
    source = load_recipe(recipe)
    data = dict(source.data)
    unknown = set(data) - _KEYS
    if unknown:
        raise RecipeError(f"unknown XRD recipe keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    if technique_of(data) != "xrd":
        raise RecipeError(f"technique {data.get('technique')!r}: this is the XRD recipe parser")
    rad = radiation_of(data, attrs)
    window = window_of(data.get("window"))
    known = set(phase_names())
    options = data.get("phase_options", {})
    phases = []
    for name in data.get("phases", []):
        if name not in known:
            raise RecipeError(f"phase {name!r} is not in reference_patterns; phases: {', '.join(sorted(known))}")
        if load_structure(name).kind != "crystal":
            raise RecipeError(f"{name!r} is amorphous: list it under 'amorphous', not 'phases'")
        opt = options.get(name, {})
        structural = set(STRUCTURE_PARAMETERS.get(name, {}))
        bad = set(opt) - {"scale", "size", "refine_cell"} - structural
        if bad:
            raise RecipeError(f"phase_options.{name}: unknown keys {sorted(bad)}")
        scale = param_spec(opt.get("scale"), f"{name}.scale", ParamSpec(None, 0.0, math.inf))
        phases.append(PhaseSpec(name, name, scale,
                                param_spec(opt.get("size"), f"{name}.size", ParamSpec(None, 1.0, 1e4)),
                                _refine(opt.get("refine_cell", True), name),
                                {k: float(opt[k]) for k in structural if k in opt}))
    for name in options:
        if name not in data.get("phases", []):
            raise RecipeError(f"phase_options.{name}: {name!r} is not among the phases")
    humps = []
    for h in data.get("humps", []):
        if "name" not in h or "center" not in h:
            raise RecipeError("each hump needs a name and a center")
        center = param_spec(h["center"], f"hump {h['name']}.center", ParamSpec(None, -math.inf, math.inf))
        humps.append(HumpSpec(h["name"], center,
                              param_spec(h.get("fwhm"), f"hump {h['name']}.fwhm", ParamSpec(5.0, 0.5, 30.0)),
                              param_spec(h.get("area"), f"hump {h['name']}.area", ParamSpec(None, 0.0, math.inf))))
    for name in data.get("amorphous", []):
        s = load_structure(name)
        if s.kind != "amorphous":
            raise RecipeError(f"{name!r} is not an amorphous component")
        bands = s.extra["humps"]
        first = bands[0]
        shape = tuple((b["center"] - first["center"], b["fwhm"] / first["fwhm"],
                       b["relative_area"] / first["relative_area"])
                      for b in bands)
        humps.append(HumpSpec(name, ParamSpec(first["center"], first["center"] - 2, first["center"] + 2),
                              ParamSpec(first["fwhm"], first["fwhm"] * 0.5, first["fwhm"] * 2),
                              ParamSpec(None, 0.0, math.inf), shape))
    peaks = []
    for pk in data.get("peaks", []):
        if "name" not in pk or "center" not in pk:
            raise RecipeError("each free peak needs a name and a center")
        c = param_spec(pk["center"], f"peak {pk['name']}.center", ParamSpec(None, -math.inf, math.inf))
        if c.min == -math.inf:
            c = ParamSpec(c.value, c.value - 1.0, c.value + 1.0, c.vary)
        fwhm = param_spec(pk.get("fwhm"), f"peak {pk['name']}.fwhm", ParamSpec(0.3, 0.01, 10.0))
        peaks.append(PeakSpec(pk["name"], c, fwhm,
                              param_spec(pk.get("area"), f"peak {pk['name']}.area", ParamSpec(None, 0.0, math.inf)),
                              param_spec(pk.get("eta"), f"peak {pk['name']}.eta", ParamSpec(0.5, 0.0, 1.0))))
    if not phases and not peaks and not humps:
        raise RecipeError("an XRD recipe needs phases, peaks or humps")
    bg = data.get("background", {"kind": "chebyshev", "order": 3})
    if isinstance(bg, str):
        bg = {"kind": bg}
    if bg.get("kind") == "none":
        order = -1
    elif bg.get("kind") == "chebyshev":
        order = bg.get("order", 3)
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= MAX_CHEBYSHEV_ORDER:
            raise RecipeError(f"background.order must be an integer from 0 to {MAX_CHEBYSHEV_ORDER}, got {order!r}")
    else:
        raise RecipeError("background must be 'chebyshev' (with order) or 'none'; subtract SNIP or fixed points "
                          "beforehand with spectra.xrd.background.snip")
    inst_given = data.get("instrument", {})
    instrument = {}
    for key, default in DEFAULT_INSTRUMENT.items():
        v = inst_given.get(key, default)
        low = -1.0 if key == "v" else 0.0   # only V may be negative (U, W ≥ 0; Lorentzian X, Y ≥ 0)
        spec = param_spec(v, f"instrument.{key}", ParamSpec(float(default), low, 1.0, False))
        instrument[key] = spec if isinstance(v, dict) else ParamSpec(spec.value, low, 1.0, False)
    # free peaks carry their own positions, so displacement is refined only with phase templates
    displacement = param_spec(data.get("displacement"), "displacement", ParamSpec(0.0, -1000.0, 1000.0, bool(phases)))
    zero = param_spec(data.get("zero"), "zero", ParamSpec(0.0, -0.5, 0.5, False))
    return XRDSpec(window, rad, phases, humps, peaks, order, instrument, displacement, zero,
                   _radius(data.get("radius_mm", 240.0)), source.text)


def radiation_of(recipe: dict, attrs: dict | None = None) -> Radiation:
    """The radiation a recipe fits with.

    In order: the recipe's ``wavelength``; the recipe's or else the pattern's anode, if it is Cu, Co,
    Mo or Ag; the pattern's ``wavelength_ka1`` (monochromatic); else Cu Kα. Any other anode name is
    passed over without an error.

    Parameters
    ----------
    recipe : dict
        Recipe data (``wavelength``, ``anode`` and ``ka2_ratio`` are read).
    attrs : dict, optional
        The pattern's attributes (``anode``, ``wavelength_ka1``).

    Returns
    -------
    Radiation
        The radiation; ``ka2_ratio`` from the recipe applies to anodes only.
    """
    attrs = attrs or {}
    anode = recipe.get("anode") or attrs.get("anode")
    if "wavelength" in recipe:
        return radiation(wavelength=float(recipe["wavelength"]))
    if anode in ("Cu", "Co", "Mo", "Ag"):
        return radiation(anode, ka2_ratio=recipe.get("ka2_ratio"))
    if attrs.get("wavelength_ka1"):  # monochromatic (synchrotron) data
        return radiation(wavelength=float(attrs["wavelength_ka1"]))
    return radiation("Cu", ka2_ratio=recipe.get("ka2_ratio"))


def _radius(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 10.0 <= value <= 2000.0:
        raise RecipeError(f"radius_mm (goniometer radius) must be a number from 10 to 2000 mm, got {value!r}")
    return float(value)


def _refine(value, name: str):
    if isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)) and set(value) <= {"a", "c"}:
        return tuple(value)
    raise RecipeError(f"phase_options.{name}.refine_cell must be true, false or a list of 'a'/'c'")
