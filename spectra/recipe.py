"""Technique-neutral parts of fit recipes: loading one (a TOML path, TOML text or a dict), naming its
technique, and parsing a parameter's value and bounds (:class:`ParamSpec`).

Each technique parses the rest of its recipe (:mod:`spectra.xps.recipe`, :mod:`spectra.xrd.recipe`).
"""
from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RecipeError

#: keys that only an XRD recipe has: a recipe naming no technique but holding one of them is XRD
XRD_KEYS = frozenset({"phases", "peaks", "humps", "amorphous", "phase_options", "instrument", "anode", "wavelength"})


@dataclass
class ParamSpec:
    """Starting value, bounds and whether the parameter varies (``value`` None: estimated from data)."""

    value: float | None
    min: float = -math.inf
    max: float = math.inf
    vary: bool = True


@dataclass(frozen=True)
class RecipeSource:
    """A recipe as loaded: its content (``data``), a canonical text of it and that text's SHA-256, and
    the file it was read from (``path``; None for TOML text or a dict), against whose folder the
    recipe's relative paths (CIF phases, instrument files) are resolved."""

    data: dict
    text: str
    path: Path | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of :attr:`text`, recorded with every result."""
        return hashlib.sha256(self.text.encode()).hexdigest()


def param_spec(value: Any, where: str, default: ParamSpec) -> ParamSpec:
    """A parameter of a recipe: ``value`` is None (take ``default``), a number (a start value within the
    default bounds) or a table with ``value``, ``min``, ``max``, ``vary``.

    Parameters
    ----------
    value : None, float or dict
        What the recipe says.
    where : str
        Where in the recipe (for error messages).
    default : ParamSpec
        Value, bounds and vary when the recipe does not say.

    Returns
    -------
    ParamSpec

    Raises
    ------
    spectra.errors.RecipeError
        An unknown key, a value that is not a finite number, a bound that is NaN, a value outside its
        bounds (a plain number is checked against the default bounds too), or min above max, naming
        ``where``.
    """
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"value": value}
    if isinstance(value, dict):
        unknown = set(value) - {"value", "min", "max", "vary"}
        if unknown:
            raise RecipeError(f"{where}: unknown keys {sorted(unknown)} (use value, min, max, vary)")
        numbers = {}
        for key in ("value", "min", "max"):
            if key in value:
                v = value[key]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
                    raise RecipeError(f"{where}.{key}: expected a number, got {v!r}")
                numbers[key] = float(v)
        if "value" in numbers and not math.isfinite(numbers["value"]):
            raise RecipeError(f"{where}.value: expected a finite number, got {numbers['value']!r}")
        vary = value.get("vary", default.vary)
        if not isinstance(vary, bool):
            raise RecipeError(f"{where}.vary: expected true or false, got {vary!r}")
        spec = ParamSpec(numbers.get("value", default.value), numbers.get("min", default.min),
                         numbers.get("max", default.max), vary)
        if spec.min > spec.max:
            raise RecipeError(f"{where}: min {spec.min} > max {spec.max}")
        if spec.value is not None and not spec.min <= spec.value <= spec.max:
            raise RecipeError(f"{where}: value {spec.value} outside [{spec.min}, {spec.max}]")
        return spec
    raise RecipeError(f"{where}: expected a number or a table with value/min/max/vary, got {value!r}")


def window_of(value: Any, where: str = "window") -> tuple[float, float] | None:
    """A recipe's axis window ``[low, high]`` (either order) as ``(low, high)``, or None.

    Raises
    ------
    spectra.errors.RecipeError
        Not two distinct finite numbers.
    """
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            or value[0] == value[1]):
        raise RecipeError(f"{where} must be [low, high], two different finite numbers, got {value!r}")
    return (float(min(value)), float(max(value)))


def load_recipe(recipe: str | Path | dict | RecipeSource) -> RecipeSource:
    """Load a recipe from a ``.toml`` path, TOML text or a dict (not yet validated).

    Parameters
    ----------
    recipe : str, pathlib.Path, dict, RecipeSource or a technique's spec
        A path (``Path``, or a one-line string ending in ``.toml``), TOML text, the recipe itself,
        a region name (``"S 2p"``) or ``"xrd"`` for the shipped default recipe
        (:func:`spectra.recipes.default_recipe`), or a spec a technique parsed (its canonical ``text``).

    Returns
    -------
    RecipeSource
        The content and a canonical text (sorted JSON) whose hash identifies the recipe.

    Raises
    ------
    spectra.errors.RecipeError
        An unreadable file or invalid TOML.
    """
    if isinstance(recipe, RecipeSource):
        return recipe
    path = None
    if isinstance(getattr(recipe, "text", None), str) and recipe.text.startswith("{"):
        recipe = json.loads(recipe.text)  # a technique's spec, parsed before: its canonical text
    if isinstance(recipe, dict):
        data = recipe
    elif isinstance(recipe, str) and "\n" not in recipe and "=" not in recipe and not recipe.strip().endswith(".toml"):
        from .recipes import default_recipe  # a region name ("S 2p") or "xrd": the shipped default

        data = default_recipe(recipe)
    elif isinstance(recipe, (str, Path)):
        text = recipe
        if isinstance(recipe, Path) or ("\n" not in recipe and recipe.strip().endswith(".toml")):
            path = Path(recipe).resolve()
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise RecipeError(f"cannot read recipe {recipe}: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            where = f" {path}" if path is not None else ""
            raise RecipeError(f"recipe{where} is not valid TOML: {exc}") from None
    else:
        raise RecipeError(f"a recipe is a .toml path, TOML text or a dict, not {type(recipe).__name__}")
    return RecipeSource(data, json.dumps(data, sort_keys=True, default=str), path)


def technique_of(data: dict) -> str:
    """The technique a recipe's content names (case-insensitive), or, when it names none, the one its
    keys imply: XRD for any of :data:`XRD_KEYS`, else XPS.

    Parameters
    ----------
    data : dict
        A loaded recipe (:attr:`RecipeSource.data`).

    Returns
    -------
    str
        The technique's registered name, lower case (e.g. ``"xps"``, ``"xrd"``).
    """
    given = data.get("technique")
    if given is None:
        return "xrd" if XRD_KEYS & set(data) else "xps"
    if not isinstance(given, str):
        raise RecipeError(f"technique must be a name such as 'xps' or 'xrd', got {given!r}")
    return given.strip().lower()
