"""XPS recipes: a TOML file, TOML text or a dict, validated into an :class:`XPSSpec`.

An XPS recipe::

    technique = "xps"
    region = "S 2p"
    window = [156.0, 171.0]
    instrument_fwhm = 0.8             # eV, optional: source + analyser Gaussian width; library FWHM
                                      # ranges become sqrt(species² + 0.8²) (unknown: up to 1.5 eV)
    background = "active-shirley"     # the default; or "shirley", "tougaard", "tougaard-fitted", "linear", "step",
                                      # "none", or a table: {kind = "shirley", average = 5, offsets = [0, 0]}
    lineshape = "GL(30)"
    components = ["PS4", "Li2S", "P2Sx"]   # species from the core-level library
    doublet_ratio = "degeneracy"      # 0.5 (default), "scofield", or a number
    [overrides.Li2S]
    center = {value = 160.0, min = 159.4, max = 160.8}
    fwhm = 1.2                        # a number sets the starting value
    # fwhm = {same_as = "PS4"}        # or share another component's FWHM (one parameter)
    [components_extra.Ag3d]           # a component not in the library
    center = {value = 368.2, min = 367.8, max = 368.6}
    fwhm = {value = 0.8, min = 0.5, max = 1.5}
    doublet = {splitting = 6.0, ratio = 0.667}

Every value or bound can be overridden; unknown keys are errors (a typo must not pass silently).

Sloped backgrounds
------------------
``background = {kind = "active-shirley", linear = true}`` (also ``shirley``, ``tougaard``,
``tougaard-fitted``) adds one fitted parameter, ``bg_linear`` (counts/eV), multiplying ``(E − E_low)``
across the window. Use it when the background slopes across the window independently of the peaks —
the rising tail of a nearby line, a secondary-electron slope — as real regions show (−5 % to +11 % of
the baseline across an S 2p window); without it the slope is taken up by the peaks and biases the
fractions (see :mod:`spectra.backgrounds.registry`).

Charging and relative centres
-----------------------------
``shift = {value = 0, min = -3, max = 3}`` (eV; a number gives the start value within ±3 eV) moves
every component of the region together by one fitted offset, the parameter ``shift``: a line's centre
is ``<component>_center + shift``, so each component's centre range (library or recipe) applies
*relative to the shift*, and the fitted shift (value ± σ) is the region's charge estimate. A free
shift and free centres of every component would be one degenerate direction (all centres down, the
shift up), so one component is the *reference* of the shift and keeps its centre fixed at its
value: ``shift = {value = 0, min = -3, max = 3, reference = "PS4"}``, by default the first component
whose centre is absolute, unless the recipe fixes some absolute centre itself (``vary = false``). The
shift is then the displacement of the reference line from its tabulated position, as charge
referencing to an internal standard defines it. ``shift = {value = 0.4, vary = false}`` applies a known
charge correction.

A component's centre may be given relative to another's, as CasaXPS constraints do::

    [overrides.Li2S]
    center = {offset_from = "PS4", value = -1.6, min = -1.8, max = -1.4}

``Li2S_center`` then holds the offset (eV) and the line centre is ``PS4_center + Li2S_center (+ shift)``.
Without ``value`` the offset starts at the difference of the two library centres, and its bounds are
the component's own library range relative to the reference's centre. The reference must be another
component whose centre is absolute (no chains).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

from .. import backgrounds, lineshapes
from ..errors import RecipeError
from ..recipe import ParamSpec, load_recipe, param_spec, technique_of, window_of
from . import library

#: the background of a recipe that names none: fitted with the peaks, so its σ include its noise (a static
#: Shirley's σ are about 2x too small on S 2p recovery studies: README "Uncertainties: which σ to quote")
DEFAULT_BACKGROUND = "active-shirley"
_TOP_KEYS = {"technique", "instrument_fwhm", "region", "window", "background", "lineshape", "components",
             "doublet_ratio",
             "overrides", "components_extra", "tie_fwhm", "shape", "name", "description", "shift"}
#: the charge shift when a recipe gives only a start value: bounds ±3 eV
SHIFT_DEFAULT = ParamSpec(0.0, -3.0, 3.0)
_COMPONENT_KEYS = {"center", "fwhm", "area", "splitting", "ratio", "lineshape", "label", "doublet", "shape"}


@dataclass
class ComponentSpec:
    """One peak (or spin-orbit doublet) of the model.

    Attributes
    ----------
    center : ParamSpec
        The ``<name>_center`` parameter: the major line's centre (eV), or with ``center_offset_from``
        its offset from that component's centre (eV); relative to the region's ``shift`` if it has one.
    center_offset_from : str or None
        The component whose centre ``center`` is an offset from (``center = {offset_from = ...}``).
    """

    name: str
    label: str
    center: ParamSpec
    fwhm: ParamSpec
    area: ParamSpec
    lineshape: str
    shape: dict[str, ParamSpec]
    splitting: ParamSpec | None = None
    ratio: ParamSpec | None = None
    source: str = ""
    fwhm_same_as: str | None = None
    center_offset_from: str | None = None

    @property
    def is_doublet(self) -> bool:
        return self.splitting is not None


@dataclass
class BackgroundSpec:
    """The recipe's background: its kind and checked options (including ``linear``)."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def entry(self) -> backgrounds.BackgroundKind:
        """The background model: the registered kind, extended by a fitted linear term when the options
        say ``linear = true`` (:func:`spectra.backgrounds.background_model`)."""
        return backgrounds.background_model(self.kind, self.options)


@dataclass
class XPSSpec:
    """A validated XPS recipe: everything both fitting engines need.

    Attributes
    ----------
    shift : ParamSpec or None
        The region's charge shift (eV) added to every line centre, or None without one.
    shift_reference : str or None
        The component whose centre was fixed to make a free shift identifiable (None: the recipe
        fixed an absolute centre itself, or the shift is fixed or absent).
    """

    technique: str
    region: str
    window: tuple[float, float] | None
    background: BackgroundSpec
    components: list[ComponentSpec]
    tie_fwhm: bool = True
    text: str = ""
    shift: ParamSpec | None = None
    shift_reference: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def nominal_centers(self) -> dict[str, float]:
        """Each component's major-line centre at the recipe's start values, without the shift.

        Returns
        -------
        dict
            Component name → centre (eV): ``<name>_center``, plus the reference's centre for a
            component whose centre is given ``offset_from`` another.
        """
        own = {c.name: float(c.center.value) for c in self.components}
        return {c.name: own[c.name] + (own[c.center_offset_from] if c.center_offset_from else 0.0)
                for c in self.components}


def _shape_specs(lineshape: str, given: dict, where: str) -> tuple[str, dict[str, ParamSpec]]:
    try:
        shape, values = lineshapes.parse(lineshape)
    except ValueError as exc:
        raise RecipeError(f"{where}: {exc}") from None
    specs = {}
    for name, (default, lo, hi) in shape.shape_params.items():
        # shape parameters given in brackets (GL(30)) or by default are fixed unless the recipe frees them
        start = values.get(name, default)
        specs[name] = param_spec(given.get(name), f"{where}.shape.{name}", ParamSpec(start, lo, hi, False))
    unknown = set(given) - set(shape.shape_params)
    if unknown:
        raise RecipeError(f"{where}: {shape.name} has no shape parameters {sorted(unknown)}")
    return shape.name, specs


def parse_xps_recipe(recipe) -> XPSSpec:
    """Validate an XPS recipe into an :class:`XPSSpec`.

    Parameters
    ----------
    recipe : str, pathlib.Path, dict or RecipeSource
        A ``.toml`` path, TOML text or a dict (see :func:`spectra.recipe.load_recipe`).

    Returns
    -------
    XPSSpec

    Raises
    ------
    spectra.errors.RecipeError
        Naming the offending key.
    """
    source = load_recipe(recipe)
    data, text = source.data, source.text
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise RecipeError(f"unknown recipe keys {sorted(unknown)} for an XPS recipe; allowed: {sorted(_TOP_KEYS)}")
    technique = technique_of(data)
    if technique != "xps":
        raise RecipeError(f"technique {technique!r}: this is the XPS recipe parser")
    if "region" not in data:
        raise RecipeError("recipe needs a 'region' (e.g. \"S 2p\")")
    extra = data.get("components_extra", {})
    names = list(data.get("components", []))
    instrument = library.check_instrument_fwhm(data.get("instrument_fwhm"))
    try:
        reg = library.region(data["region"], instrument_fwhm=instrument)
    except RecipeError:
        if names or "window" not in data:
            raise  # library species need a library region; ad-hoc regions need a window
        reg = library.Region(str(data["region"]), window_of(data["window"]), None, {})
    window = window_of(data.get("window", reg.window))
    background = data.get("background", DEFAULT_BACKGROUND)
    if isinstance(background, str):
        background = {"kind": background}
    kind = background.get("kind") if isinstance(background, dict) else None
    if not isinstance(kind, str) or kind not in backgrounds.BACKGROUND_KINDS:
        raise RecipeError(f"background must be one of {tuple(backgrounds.BACKGROUND_KINDS)} (or a table with 'kind'), "
                          f"got {background!r}")
    try:
        options = backgrounds.background_kind(kind).check_options({k: v for k, v in background.items() if k != "kind"})
    except ValueError as exc:
        raise RecipeError(f"background: {exc}") from None
    bg = BackgroundSpec(kind, options)
    ratio_mode = data.get("doublet_ratio", "degeneracy")
    global_shape = data.get("lineshape", "GL(30)")
    shape_given = data.get("shape", {})
    overrides = data.get("overrides", {})
    if not names and not extra:
        raise RecipeError("recipe has no components")
    for name in overrides:
        if name not in names and name not in extra:
            raise RecipeError(f"overrides.{name}: not among the components {names + list(extra)}")
    components = []
    for name in names + list(extra):
        given = dict(overrides.get(name, {}))
        where = f"component {name!r}"
        if name in extra:
            given = {**extra[name], **given}
            species = None
        else:
            if name not in reg.species:
                raise RecipeError(f"{where} is not a {reg.name} species; library species: {', '.join(reg.species)}")
            species = reg.species[name]
        unknown = set(given) - _COMPONENT_KEYS
        if unknown:
            raise RecipeError(f"{where}: unknown keys {sorted(unknown)}; allowed: {sorted(_COMPONENT_KEYS)}")
        if species is not None:
            center_default = ParamSpec(species.center, *species.center_range)
            fwhm_default = ParamSpec(species.fwhm, *species.fwhm_range)
        else:
            center_default, fwhm_default = ParamSpec(None), ParamSpec(1.0, 0.2, 5.0)
        center_given, offset_from = given.get("center"), None
        if isinstance(center_given, dict) and "offset_from" in center_given:
            offset_from = center_given["offset_from"]
            if not isinstance(offset_from, str):
                raise RecipeError(f"{where}.center.offset_from: expected a component name, got {offset_from!r}")
            center_given = {k: v for k, v in center_given.items() if k != "offset_from"}
            center_default = ParamSpec(None)  # found below, once the reference is known
        center = param_spec(center_given, f"{where}.center", center_default)
        if center.value is None and offset_from is None:
            raise RecipeError(f"{where}.center needs a value")
        fwhm_given = given.get("fwhm")
        same_as = None
        if isinstance(fwhm_given, dict) and "same_as" in fwhm_given:
            same_as = str(fwhm_given["same_as"])
            if same_as not in names + list(extra) or same_as == name:
                raise RecipeError(f"{where}.fwhm.same_as: {same_as!r} is not another component")
            fwhm_given = {k: v for k, v in fwhm_given.items() if k != "same_as"} or None
        fwhm = param_spec(fwhm_given, f"{where}.fwhm", fwhm_default)
        if fwhm.min <= 0 or (fwhm.value is not None and fwhm.value <= 0):
            raise RecipeError(f"{where}.fwhm must be positive (min > 0), got value {fwhm.value}, min {fwhm.min}")
        area = param_spec(given.get("area"), f"{where}.area", ParamSpec(None, 0.0, math.inf))
        shape_given_here = {**shape_given, **given.get("shape", {})}
        shape_name, shape = _shape_specs(given.get("lineshape", global_shape), shape_given_here,
                                         where)
        splitting = ratio = None
        doublet = reg.doublet if species is not None else None
        if species is None and "doublet" in given:
            d = given["doublet"]
            if not isinstance(d, dict) or "splitting" not in d:
                raise RecipeError(f"{where}.doublet needs a table with 'splitting' (and optional 'ratio')")
            splitting = ParamSpec(float(d["splitting"]), float(d["splitting"]), float(d["splitting"]), False)
            ratio = ParamSpec(float(d.get("ratio", 0.5)), 0.0, 1.0, False)
        elif doublet is not None:
            splitting = ParamSpec(doublet.splitting, *doublet.splitting_range, vary=False)
            if ratio_mode == "degeneracy":
                ratio_value = doublet.ratio
            elif ratio_mode == "scofield":
                ratio_value = doublet.scofield_ratio
            elif isinstance(ratio_mode, (int, float)) and not isinstance(ratio_mode, bool) and 0 < ratio_mode <= 1:
                ratio_value = float(ratio_mode)
            else:
                raise RecipeError("doublet_ratio must be 'degeneracy', 'scofield' or a minor/major area ratio in "
                                  f"(0, 1], got {ratio_mode!r}")
            ratio = ParamSpec(ratio_value, 0.0, 1.0, False)
        if splitting is not None:
            splitting = param_spec(given.get("splitting"), f"{where}.splitting", splitting)
            ratio = param_spec(given.get("ratio"), f"{where}.ratio", ratio)
        components.append(ComponentSpec(name, given.get("label", species.label if species else name), center, fwhm,
                                        area, shape_name, shape, splitting, ratio,
                                        species.source if species else "recipe", same_as, offset_from))
    by_name = {c.name: c for c in components}
    for comp in components:
        if comp.fwhm_same_as and by_name[comp.fwhm_same_as].fwhm_same_as:
            raise RecipeError(f"component {comp.name!r}: fwhm same_as {comp.fwhm_same_as!r}, which itself shares "
                              "another FWHM; point both at the same component")
    for comp in components:
        if comp.center_offset_from is not None:
            _relative_center(comp, by_name, None if comp.name in extra else reg.species.get(comp.name))
    shift, reference = _shift(data.get("shift"), components, overrides, extra)
    return XPSSpec("xps", reg.name, window, bg, components, bool(data.get("tie_fwhm", True)), text, shift, reference)


def _relative_center(comp: ComponentSpec, by_name: dict, species) -> None:
    """Check a centre given as an offset from another component's, and fill its default offset and
    bounds from the library (the library centres' difference; the component's own range relative to
    the reference's centre)."""
    where = f"component {comp.name!r}.center.offset_from"
    ref = by_name.get(comp.center_offset_from)
    if ref is None or ref is comp:
        raise RecipeError(f"{where}: {comp.center_offset_from!r} is not another component of the recipe; "
                          f"components: {sorted(n for n in by_name if n != comp.name)}")
    if ref.center_offset_from is not None:
        raise RecipeError(f"{where}: {ref.name!r} has its centre given as an offset from {ref.center_offset_from!r} "
                          "itself; chains are not allowed, give both offsets from the same component")
    c = comp.center
    if c.value is None or not (math.isfinite(c.min) and math.isfinite(c.max)):
        if species is None and c.value is None:
            raise RecipeError(f"component {comp.name!r}.center needs a value (the offset from {ref.name!r}, eV)")
        base = float(ref.center.value)
        value = c.value if c.value is not None else species.center - base
        low = c.min if math.isfinite(c.min) or species is None else species.center_range[0] - base
        high = c.max if math.isfinite(c.max) or species is None else species.center_range[1] - base
        if not low <= value <= high:
            raise RecipeError(f"component {comp.name!r}.center: offset {value} outside [{low}, {high}]")
        comp.center = ParamSpec(value, low, high, c.vary)


def _shift(given, components: list[ComponentSpec], overrides: dict, extra: dict):
    """The region's charge shift and, for a free shift, the component whose centre is fixed to make it
    identifiable (see the module docstring)."""
    if given is None:
        return None, None
    reference = None
    if isinstance(given, dict) and "reference" in given:
        reference = given["reference"]
        given = {k: v for k, v in given.items() if k != "reference"}
    shift = param_spec(given, "shift", SHIFT_DEFAULT)
    if not shift.vary:
        return shift, None
    absolute = [c for c in components if c.center_offset_from is None]
    if reference is None and any(not c.center.vary for c in absolute):
        return shift, None  # the recipe fixed an absolute centre: it anchors the shift
    if reference is None:
        reference = absolute[0].name
    comp = next((c for c in components if c.name == reference), None)
    if comp is None:
        raise RecipeError(f"shift.reference: {reference!r} is not a component; components: "
                          f"{[c.name for c in components]}")
    if comp.center_offset_from is not None:
        raise RecipeError(f"shift.reference: {reference!r} has its centre given as an offset from "
                          f"{comp.center_offset_from!r}; the reference of the shift needs an absolute centre")
    stated = {**extra.get(reference, {}), **overrides.get(reference, {})}.get("center")
    if isinstance(stated, dict) and stated.get("vary") is True:
        raise RecipeError(f"shift: a free shift moves every line, so the centre of its reference {reference!r} must "
                          "be fixed (it says vary = true); fix another absolute centre or name another "
                          "shift.reference")
    comp.center = ParamSpec(comp.center.value, comp.center.min, comp.center.max, False)
    return shift, reference
