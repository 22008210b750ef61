"""XPS recipes: a TOML file, TOML text or a dict, validated into an :class:`XPSSpec`.

An XPS recipe::

    technique = "xps"
    region = "S 2p"
    window = [156.0, 171.0]
    background = "shirley"            # or "active-shirley", "tougaard", "tougaard-fitted", "linear", "step", "none",
                                      # or a table: {kind = "shirley", average = 5, offsets = [0, 0]}
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

_TOP_KEYS = {"technique", "region", "window", "background", "lineshape", "components", "doublet_ratio",
             "overrides", "components_extra", "tie_fwhm", "shape", "name", "description"}
_COMPONENT_KEYS = {"center", "fwhm", "area", "splitting", "ratio", "lineshape", "label", "doublet", "shape"}


@dataclass
class ComponentSpec:
    """One peak (or spin-orbit doublet) of the model."""

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

    @property
    def is_doublet(self) -> bool:
        return self.splitting is not None


@dataclass
class BackgroundSpec:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class XPSSpec:
    """A validated XPS recipe: everything both fitting engines need."""

    technique: str
    region: str
    window: tuple[float, float] | None
    background: BackgroundSpec
    components: list[ComponentSpec]
    tie_fwhm: bool = True
    text: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


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
    try:
        reg = library.region(data["region"])
    except RecipeError:
        if names or "window" not in data:
            raise  # library species need a library region; ad-hoc regions need a window
        reg = library.Region(str(data["region"]), window_of(data["window"]), None, {})
    window = window_of(data.get("window", reg.window))
    background = data.get("background", "shirley")
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
        center = param_spec(given.get("center"), f"{where}.center", center_default)
        if center.value is None:
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
                                        species.source if species else "recipe", same_as))
    by_name = {c.name: c for c in components}
    for comp in components:
        if comp.fwhm_same_as and by_name[comp.fwhm_same_as].fwhm_same_as:
            raise RecipeError(f"component {comp.name!r}: fwhm same_as {comp.fwhm_same_as!r}, which itself shares "
                              "another FWHM; point both at the same component")
    return XPSSpec("xps", reg.name, window, bg, components, bool(data.get("tie_fwhm", True)), text)
