"""XRD recipes (TOML or dict) validated into an :class:`XRDSpec`: the XRD recipe reference.

Joint phase fit::

    technique = "xrd"
    window = [15.0, 60.0]
    anode = "Cu"                       # or wavelength = 0.4133 (Å); default: from the file
    ka2_ratio = 0.5                    # I(Kα2)/I(Kα1), fixed; {value = 0.5, vary = true} refines it
    background = {kind = "chebyshev", order = 4}
    phases = ["Li6PS5Cl", "Li2S", {name = "beta-Li3PS4", cif = "beta_Li3PS4.cif"}]
    profile = "pseudo-voigt"           # or "pearson7", "split-pseudo-voigt" (see below)
    instrument = {u = 0.004, v = -0.002, w = 0.002, x = 0.0, y = 0.02}   # or "diffractometer.toml"
    displacement = {value = 0.0, min = -500, max = 500}               # µm; goniometer radius 240 mm
    zero = 0.0                                                         # degrees 2θ, fixed unless a table
    overspill = {value = 43.0, min = 5.0, max = 150.0, vary = true}   # fixed-slit footprint 2θc (degrees)
    [phase_options.Li2S]
    size = {value = 10, min = 1, max = 500}                            # nm (Scherrer, K = 0.9)
    strain = {value = 0.001, vary = true}                              # microstrain ε (4ε tanθ)
    preferred_orientation = {hkl = [0, 0, 1], r = {value = 1, min = 0.5, max = 2}}   # March–Dollase
    intensities = "structure"                                          # or "pawley", "le_bail"
    [[humps]]                                                          # amorphous components
    name = "LiSi"
    center = {value = 20.0, min = 17.0, max = 23.0}
    fwhm = {value = 6.0, min = 3.0, max = 12.0}
    amorphous = ["carbon_black"]                                       # shapes from reference_patterns

Free peaks: ``peaks = [{name = "Li2S_111", center = 27.0, fwhm = 1.5}, ...]`` (pseudo-Voigt of their
own FWHM and η, with Kα2, no asymmetry term), with or without phases.

Parameters and defaults. A parameter is a number or a table ``{value, min, max, vary}``. Instrument
terms, ``zero`` and ``ka2_ratio`` are fixed unless a table says ``vary = true`` (a plain number is a fixed
value); phase options (``scale``, ``size``, ``strain``, ``r``) and ``displacement`` are refined unless
``vary = false`` (a plain number is the start value):

* ``phases`` — names of shipped phases (``reference_patterns``) or tables ``{name, cif}`` read by
  :func:`spectra.xrd.cif.load_phase`; a relative ``cif`` path is resolved against the folder of the
  recipe file (the working directory for a recipe given as text or dict). A name that is not a
  Python identifier (``beta-Li3PS4``) is the phase's label; its parameter prefix has ``_`` for every
  other character (``beta_Li3PS4_scale``).
* ``instrument`` — a table of :data:`DEFAULT_INSTRUMENT` terms (Caglioti ``u, v, w`` in degrees²,
  Lorentzian ``x, y`` in degrees, Bérar–Baldinozzi asymmetry ``asym_p1`` … ``asym_p4``: the line
  times 1 + (P1 Fa + P2 Fb)/tanθ + (P3 Fa + P4 Fb)/tan 2θ, :func:`spectra.xrd.profiles.asymmetry`;
  axial divergence ``axial`` A in degrees: the line averaged over displacements A cot 2θ t², t uniform on
  [0, 1], :func:`spectra.xrd.profiles.axial_divergence`), plus the shape terms of the chosen ``profile``
  (:data:`spectra.xrd.profiles.PROFILES`: ``pearson_m`` for ``pearson7``, ``split`` for
  ``split-pseudo-voigt``); or the path of an instrument file written by a
  calibration (:func:`spectra.xrd.instrument.read_instrument_table`), whose ``instrument``, ``zero``,
  ``ka2_ratio`` … keys are merged as fixed values, keys written in the recipe itself taking precedence;
  a relative path is resolved as a ``cif`` path is.
  The asymmetry and axial terms are parameters only when the table names them (and enter the model
  when they vary or are not zero).
* ``profile`` — ``"pseudo-voigt"`` (default: Thompson–Cox–Hastings from the Caglioti and Lorentzian
  widths), ``"pearson7"`` (Pearson VII of the TCH FWHM and exponent ``instrument.pearson_m``,
  default 2), ``"split-pseudo-voigt"`` (TCH pseudo-Voigt whose low-angle half has FWHM w(1 + split),
  the high-angle half w(1 − split); ``instrument.split`` default 0).
* ``ka2_ratio`` — I(Kα2)/I(Kα1), default 0.5 for anodes; a table makes it the parameter ``ka2_ratio``.
* ``displacement`` (µm, refined with phases), ``zero`` (degrees 2θ, fixed 0), ``radius_mm`` (240).
* ``overspill`` — beam overspill of a fixed divergence slit (Bragg–Brentano): below the angle θc where
  the beam's footprint equals the specimen's length only the share sinθ/sinθc of the beam falls on the
  specimen, so intensities are multiplied by f(2θ) = min(1, sinθ / sinθc) at each point's 2θ. The
  parameter ``overspill`` is 2θc in degrees (fixed unless a table says ``vary = true``; default bounds
  [5, 150], 0 < min ≤ max < 180); absent: no correction (and no parameter). f multiplies what the
  specimen's crystals diffract — every phase's lines (structure, Pawley and Le Bail intensities alike)
  and the free peaks, which are Bragg lines too — but not the amorphous humps or the Chebyshev
  background, which are free in amount and shape and would only trade places with it. Line
  intensities reported (``line_table``, Pawley parameters) are before the correction, i.e. for a
  specimen that catches the whole beam.
* ``phase_options.<phase>``: ``scale`` (from the data), ``size`` (nm, from the data),
  ``refine_cell`` (true, false or a list of ``"a"``/``"c"``), structural parameters of shipped phases
  (e.g. ``cl_on_4d``), ``strain`` (microstrain ε, parameter ``<phase>_strain``: Lorentzian FWHM
  4ε tanθ added to the Scherrer width K λ/(L cosθ), so size and strain separate as in
  Williamson–Hall; refined from the value given, default 0.001 within [0, 0.05]),
  ``preferred_orientation`` (March–Dollase, W. A. Dollase, J. Appl. Cryst. 19 (1986) 267:
  ``hkl`` the preferred plane normal, ``r`` its parameter ``<phase>_po_r``, summed over every
  reflection of a line — its symmetry-equivalent planes and coincident families, weighted by |F|²
  — with the angles at the nominal cell; default
  ``{value = 1, min = 0.3, max = 3, vary = true}``; structure intensities only; a varying r of exactly 1
  starts at 0.98. For a cubic phase r and 1/r change the pattern alike to second order: two nearly
  equal minima, so start r on the side of 1 you expect — below 1 for platelets lying on the plane) and
  ``intensities``: ``"structure"`` (default: m|F|²LP/V² of the structure times the scale),
  ``"pawley"`` (each reflection's integrated Kα1 intensity a non-negative parameter
  ``<phase>_I_<hkl>``; needs a ``window``; both engines) or ``"le_bail"`` (intensities partitioned
  from the data, iterated between fits: the lmfit engine only — ``spectra.fit``, or ``fit_many``,
  whose ``engine="auto"`` then uses lmfit and ``engine="batched"`` refuses it). Intensity-free phases
  have no scale and no weight fraction.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RecipeError, SpectraError
from ..recipe import ParamSpec, load_recipe, param_spec, technique_of, window_of
from .instrument import read_instrument_table
from .profiles import DEFAULT_INSTRUMENT, INSTRUMENT_BOUNDS, OPTIONAL_INSTRUMENT, PROFILES
from .structure import STRUCTURE_PARAMETERS, Structure, load_structure, phase_names, variant
from .wavelengths import Radiation, radiation

_KEYS = {"technique", "window", "anode", "wavelength", "ka2_ratio", "background", "phases", "phase_options",
         "instrument", "displacement", "zero", "radius_mm", "overspill", "humps", "amorphous", "peaks", "name",
         "description", "profile"}
#: highest Chebyshev background order (more terms only fit noise and slow every evaluation)
MAX_CHEBYSHEV_ORDER = 20
#: where a phase's reflection intensities come from (see the module notes)
INTENSITY_MODES = ("structure", "pawley", "le_bail")
__all__ = ["DEFAULT_INSTRUMENT", "HumpSpec", "PeakSpec", "PhaseSpec", "XRDSpec", "parse_xrd_recipe", "radiation_of"]
_PHASE_OPTIONS = {"scale", "size", "refine_cell", "strain", "preferred_orientation", "intensities"}


@dataclass
class PhaseSpec:
    """One crystalline phase of an XRD recipe.

    Attributes
    ----------
    name : str
        Phase name, the parameter prefix.
    structure : str or Structure
        Reference phase in ``reference_patterns`` (the same as ``name`` from :func:`parse_xrd_recipe`),
        or the structure read from the phase's CIF.
    scale : ParamSpec
        Scale of the per-cell intensities (dimensionless; ``value`` None: from the data).
    size : ParamSpec
        Crystallite size (nm).
    refine_cell : bool or tuple of str
        True, False, or the cell lengths to refine, e.g. ``("c",)``.
    structure_parameters : dict
        Structural parameters, e.g. ``{"cl_on_4d": 0.5}``.
    strain : ParamSpec or None
        Microstrain ε (dimensionless); None: no strain term.
    orientation : tuple of int or None
        March–Dollase preferred-orientation direction (hkl); None: random orientation.
    po_r : ParamSpec or None
        March–Dollase r (1: random), with ``orientation``.
    intensities : {"structure", "pawley", "le_bail"}
        Where the reflection intensities come from.
    label : str
        The name the recipe gave (``name`` is it with non-identifier characters replaced by ``_``).
    """

    name: str
    structure: str | Structure
    scale: ParamSpec
    size: ParamSpec
    refine_cell: bool | tuple[str, ...] = True   # True, False, or the cell lengths to refine, e.g. ("c",)
    structure_parameters: dict = field(default_factory=dict)  # e.g. {"cl_on_4d": 0.5}
    strain: ParamSpec | None = None
    orientation: tuple[int, int, int] | None = None
    po_r: ParamSpec | None = None
    intensities: str = "structure"
    label: str = ""

    @property
    def crystal(self) -> Structure:
        """The phase's structure: a CIF phase's own, or the shipped phase with its structural parameters."""
        if isinstance(self.structure, Structure):
            return self.structure
        return variant(self.structure, **self.structure_parameters)


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
    profile : str
        Key of :data:`spectra.xrd.profiles.PROFILES`.
    ka2_ratio : ParamSpec or None
        The refined I(Kα2)/I(Kα1) (parameter ``ka2_ratio``); None: fixed at ``radiation.ka2_ratio``.
    overspill : ParamSpec or None
        2θc of the beam-overspill correction (degrees, parameter ``overspill``); None: no correction.
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
    profile: str = "pseudo-voigt"
    ka2_ratio: ParamSpec | None = None
    overspill: ParamSpec | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of the recipe text."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def region(self) -> str:
        """What the recipe fits, for titles and result attributes (e.g. ``XRD Li6PS5Cl+Li2S``)."""
        return "XRD " + "+".join(ph.name for ph in self.phases) if self.phases else "XRD peaks"


def parse_xrd_recipe(recipe, *, attrs: dict | None = None, base: str | Path | None = None) -> XRDSpec:
    """Validate an XRD recipe.

    Parameters
    ----------
    recipe : str, pathlib.Path, dict or RecipeSource
        A ``.toml`` path, TOML text or a dict (see :func:`spectra.recipe.load_recipe`).
    attrs : dict, optional
        The pattern's attributes, which supply the anode or wavelength when the recipe names none.
    base : str or pathlib.Path, optional
        Folder against which relative ``cif`` and ``instrument`` paths are resolved; by default the
        recipe file's folder (a path recipe, or a ``RecipeSource`` with a ``path``), else the working
        directory.

    Returns
    -------
    XRDSpec
        The validated recipe, with defaults filled in. When the recipe names files, its ``text``
        records the CIF paths resolved to absolute ones and an instrument file's keys merged in (so
        the text alone gives the same spec again).

    Raises
    ------
    spectra.errors.RecipeError
        Naming the offending key (or the CIF or instrument file that cannot be read).
    """
    base = _base_folder(recipe, base)
    source = load_recipe(recipe)
    data = dict(source.data)
    unknown = set(data) - _KEYS
    if unknown:
        raise RecipeError(f"unknown XRD recipe keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    if technique_of(data) != "xrd":
        raise RecipeError(f"technique {data.get('technique')!r}: this is the XRD recipe parser")
    resolved = isinstance(data.get("instrument"), str) or any(isinstance(e, dict) for e in data.get("phases", []))
    if not isinstance(data.get("phases", []), list):
        raise RecipeError(f"phases must be a list of names or {{name, cif}} tables, got {data['phases']!r}")
    data = _merge_instrument_file(data, base)
    rad = radiation_of(data, attrs)
    window = window_of(data.get("window"))
    known = set(phase_names())
    options = data.get("phase_options", {})
    if not isinstance(options, dict):
        raise RecipeError("phase_options must be a table of tables, one per phase")
    phases, entries = [], []
    for entry in data.get("phases", []):
        label, structure, entry = _phase_entry(entry, known, base)
        entries.append(entry)
        opt = options.get(label, {})
        structural = set(STRUCTURE_PARAMETERS.get(label, {})) if isinstance(structure, str) else set()
        bad = set(opt) - _PHASE_OPTIONS - structural
        if bad:
            raise RecipeError(f"phase_options.{label}: unknown keys {sorted(bad)}; allowed: "
                              f"{sorted(_PHASE_OPTIONS | structural)}")
        scale = param_spec(opt.get("scale"), f"{label}.scale", ParamSpec(None, 0.0, math.inf))
        mode = opt.get("intensities", "structure")
        if mode not in INTENSITY_MODES:
            raise RecipeError(f"phase_options.{label}.intensities must be one of {', '.join(INTENSITY_MODES)}, "
                              f"got {mode!r}")
        if mode == "pawley" and window is None:
            raise RecipeError(f"phase_options.{label}.intensities = 'pawley' needs a window: each reflection "
                              "inside it is a parameter")
        if mode != "structure" and "scale" in opt:
            raise RecipeError(f"phase_options.{label}: a {mode} phase has no scale (its intensities are fitted)")
        strain = None
        if "strain" in opt:
            strain = param_spec(opt["strain"], f"{label}.strain", ParamSpec(1e-3, 0.0, 0.05, True))
        orientation, po_r = _preferred_orientation(opt.get("preferred_orientation"), label, mode)
        phases.append(PhaseSpec(_identifier(label), structure, scale,
                                param_spec(opt.get("size"), f"{label}.size", ParamSpec(None, 1.0, 1e4)),
                                _refine(opt.get("refine_cell", True), label),
                                {k: float(opt[k]) for k in structural if k in opt}, strain, orientation, po_r, mode,
                                label))
    labels = [ph.label for ph in phases]
    if len(set(ph.name for ph in phases)) != len(phases):
        raise RecipeError(f"phases {labels}: two phases have the same name (or the same name once characters "
                          "other than letters, digits and _ are replaced by _)")
    for name in options:
        if name not in labels:
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
    profile = data.get("profile", "pseudo-voigt")
    if profile not in PROFILES:
        raise RecipeError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    instrument = _instrument(data.get("instrument", {}), profile)
    # free peaks carry their own positions, so displacement is refined only with phase templates
    displacement = param_spec(data.get("displacement"), "displacement", ParamSpec(0.0, -1000.0, 1000.0, bool(phases)))
    zero = param_spec(data.get("zero"), "zero", ParamSpec(0.0, -0.5, 0.5, False))
    ka2_ratio = None
    if isinstance(data.get("ka2_ratio"), dict):
        if rad.ka2 is None:
            raise RecipeError("ka2_ratio: monochromatic radiation has no Kα2 line to refine")
        ka2_ratio = param_spec(data["ka2_ratio"], "ka2_ratio", ParamSpec(rad.ka2_ratio, 0.0, 1.0, False))
        rad = Radiation(rad.name, rad.ka1, rad.ka2, ka2_ratio.value)
    overspill = None
    if data.get("overspill") is not None:
        overspill = param_spec(data["overspill"], "overspill", ParamSpec(43.0, 5.0, 150.0, False))
        if not 0.0 < overspill.min <= overspill.max < 180.0:
            raise RecipeError(f"overspill: 2θc bounds must satisfy 0 < min <= max < 180 degrees, got "
                              f"[{overspill.min}, {overspill.max}]")
    text = source.text
    if resolved:  # record the files read, as absolute paths
        text = json.dumps({**data, **({"phases": entries} if entries else {})}, sort_keys=True, default=str)
    return XRDSpec(window, rad, phases, humps, peaks, order, instrument, displacement, zero,
                   _radius(data.get("radius_mm", 240.0)), text, profile, ka2_ratio, overspill)


def _base_folder(recipe, base) -> Path | None:
    """The folder relative paths in a recipe are resolved against (None: the working directory)."""
    if base is not None:
        return Path(base)
    path = getattr(recipe, "path", None)  # a RecipeSource that knows its file
    if path is None and isinstance(recipe, (str, Path)) and (
            isinstance(recipe, Path) or ("\n" not in recipe and recipe.strip().endswith(".toml"))):
        path = recipe
    return Path(path).resolve().parent if path is not None else None


def _resolve(path, base: Path | None) -> Path:
    path = Path(path).expanduser()
    return path if path.is_absolute() or base is None else base / path


def _identifier(label: str) -> str:
    """A phase label as a parameter prefix: characters other than letters, digits and _ become _."""
    name = re.sub(r"\W", "_", label, flags=re.ASCII)
    return f"p_{name}" if name[:1].isdigit() else name


def _phase_entry(entry, known: set, base: Path | None):
    """(label, structure name or Structure, entry as recorded) of one item of ``phases``."""
    if isinstance(entry, str):
        if entry not in known:
            raise RecipeError(f"phase {entry!r} is not in reference_patterns; phases: {', '.join(sorted(known))}; "
                              "or give {name = ..., cif = \"path/to.cif\"}")
        if load_structure(entry).kind != "crystal":
            raise RecipeError(f"{entry!r} is amorphous: list it under 'amorphous', not 'phases'")
        return entry, entry, entry
    if not isinstance(entry, dict) or set(entry) - {"name", "cif", "block"} or "cif" not in entry:
        raise RecipeError(f"a phase is a name or a table {{name = ..., cif = \"path/to.cif\"}}, got {entry!r}")
    from .cif import load_phase

    path = _resolve(entry["cif"], base)
    label = str(entry.get("name") or "")
    try:
        structure = load_phase(path, name=label or None, block=entry.get("block"))
    except (SpectraError, OSError) as exc:
        raise RecipeError(f"phase {label or path.name!r}: {exc}") from None
    label = label or structure.name
    if structure.kind != "crystal":
        raise RecipeError(f"phase {label!r} from {path}: not a crystal structure")
    return label, structure, {**entry, "name": label, "cif": str(path.resolve())}


def _merge_instrument_file(data: dict, base: Path | None) -> dict:
    """The recipe with an ``instrument`` path replaced by the file's keys (the recipe's own keys win)."""
    given = data.get("instrument")
    if not isinstance(given, str):
        return data
    path = _resolve(given, base)
    loaded = dict(read_instrument_table(path))  # its errors name the file
    extra = set(loaded) - _KEYS
    if extra:
        raise RecipeError(f"instrument file {path}: keys {sorted(extra)} are not XRD recipe keys")
    merged = {**loaded, **{k: v for k, v in data.items() if k != "instrument"}}
    merged["instrument"] = loaded.get("instrument", {})
    return merged


def _instrument(given, profile: str) -> dict[str, ParamSpec]:
    """The instrument terms of a recipe: the Caglioti and Lorentzian terms always, the asymmetry terms
    when named, and the profile's shape terms."""
    if not isinstance(given, dict):
        raise RecipeError(f"instrument must be a table or the path of an instrument file, got {given!r}")
    shape = PROFILES[profile].parameters
    allowed = set(DEFAULT_INSTRUMENT) | set(shape)
    bad = set(given) - allowed
    if bad:
        others = sorted(k for k in bad if any(k in p.parameters for p in PROFILES.values()))
        hint = f" ({', '.join(others)} belong to another profile than {profile!r})" if others else ""
        raise RecipeError(f"instrument: unknown keys {sorted(bad)}{hint}; allowed: {sorted(allowed)}")
    defaults = {**DEFAULT_INSTRUMENT, **{k: v[0] for k, v in shape.items()}}
    bounds = {**INSTRUMENT_BOUNDS, **{k: v[1:] for k, v in shape.items()}}
    out = {}
    for key, default in defaults.items():
        if key in OPTIONAL_INSTRUMENT and key not in given:
            continue
        v = given.get(key, default)
        low, high = bounds[key]
        spec = param_spec(v, f"instrument.{key}", ParamSpec(float(default), low, high, False))
        out[key] = spec if isinstance(v, dict) else ParamSpec(spec.value, low, high, False)
    return out


def _preferred_orientation(value, label: str, mode: str):
    """(hkl, r) of a phase's March–Dollase term, or (None, None)."""
    if value is None:
        return None, None
    where = f"phase_options.{label}.preferred_orientation"
    if mode != "structure":
        raise RecipeError(f"{where}: preferred orientation scales structure intensities; a {mode} phase fits its "
                          "intensities freely")
    if not isinstance(value, dict) or set(value) - {"hkl", "r"} or "hkl" not in value:
        raise RecipeError(f"{where}: expected {{hkl = [h, k, l], r = ...}}, got {value!r}")
    hkl = value["hkl"]
    if (not isinstance(hkl, (list, tuple)) or len(hkl) != 3 or not all(isinstance(v, int) and not isinstance(v, bool)
                                                                      for v in hkl) or not any(hkl)):
        raise RecipeError(f"{where}.hkl: three integers, not all zero, got {hkl!r}")
    r = param_spec(value.get("r"), f"{where}.r", ParamSpec(1.0, 0.3, 3.0, True))
    if r.min <= 0:
        raise RecipeError(f"{where}.r: the March-Dollase r must stay positive (min > 0), got min {r.min}")
    return tuple(int(v) for v in hkl), r


def radiation_of(recipe: dict, attrs: dict | None = None) -> Radiation:
    """The radiation a recipe fits with.

    In order: the recipe's ``wavelength``; the recipe's or else the pattern's anode, if it is Cu, Co,
    Mo or Ag; the pattern's ``wavelength_ka1`` (monochromatic); else Cu Kα. Any other anode name is
    passed over without an error.

    Parameters
    ----------
    recipe : dict
        Recipe data (``wavelength``, ``anode`` and ``ka2_ratio``, a number or a table's ``value``, are read).
    attrs : dict, optional
        The pattern's attributes (``anode``, ``wavelength_ka1``).

    Returns
    -------
    Radiation
        The radiation; ``ka2_ratio`` from the recipe applies to anodes only.
    """
    attrs = attrs or {}
    anode = recipe.get("anode") or attrs.get("anode")
    ratio = recipe.get("ka2_ratio")
    if isinstance(ratio, dict):  # a refined ratio starts from its value (the anode's when none)
        ratio = ratio.get("value")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1):
        raise RecipeError(f"ka2_ratio must be a number from 0 to 1 (or a table), got {ratio!r}")
    if "wavelength" in recipe:
        return radiation(wavelength=float(recipe["wavelength"]))
    if anode in ("Cu", "Co", "Mo", "Ag"):
        return radiation(anode, ka2_ratio=ratio)
    if attrs.get("wavelength_ka1"):  # monochromatic (synchrotron) data
        return radiation(wavelength=float(attrs["wavelength_ka1"]))
    return radiation("Cu", ka2_ratio=ratio)


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
