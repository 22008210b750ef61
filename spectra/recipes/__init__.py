"""The default recipes of :func:`spectra.comparison.compare`: one TOML file per XPS region and one for
XRD, shipped with the package and documented in their comments (``spectra recipe show REGION``
prints them as an editable starting point).

::

    from spectra import recipes

    recipes.names()                     # ['C 1s', 'Cl 2p', 'Li 1s', 'P 2p', 'S 2p', 'Si 2p', 'xrd']
    recipes.default_recipe("S 2p")      # the recipe as a dict, ready for spectra.fit / fit_many
    print(recipes.text("S2p"))          # the TOML with its comments; names are matched loosely
    recipes.from_folder("my_recipes")   # a user's overrides: every *.toml, keyed by its region
"""
from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from ..errors import RecipeError

#: the technique key of the XRD recipe
XRD = "xrd"


def _files() -> dict[str, object]:
    out = {}
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".toml"):
            out[key_of(tomllib.loads(entry.read_text(encoding="utf-8")), entry.name)] = entry
    return out


def key_of(recipe: dict, where: str = "recipe") -> str:
    """What a recipe is for: its XPS region (``"S 2p"``) or ``"xrd"``.

    Parameters
    ----------
    recipe : dict
        A parsed recipe.
    where : str
        Its file, for the error message.

    Returns
    -------
    str

    Raises
    ------
    spectra.errors.RecipeError
        The recipe names neither a region nor the XRD technique.
    """
    if str(recipe.get("technique", "")).lower() == XRD or "phases" in recipe:
        return XRD
    if "region" in recipe:
        return canonical(recipe["region"])
    raise RecipeError(f"{where}: a comparison recipe must name its XPS 'region' or technique = \"xrd\"")


def canonical(name: str) -> str:
    """The library spelling of a region name (``"S2p"``, ``"s_2p"``, ``"S 2p3/2"`` → ``"S 2p"``;
    ``"XRD"`` → ``"xrd"``); an unknown name is returned stripped.

    Parameters
    ----------
    name : str

    Returns
    -------
    str
    """
    from ..xps import library

    text = str(name).strip()
    if text.lower() == XRD:
        return XRD
    m = re.match(r"^\s*([A-Z][a-z]?)[\s_-]*(\d[spdf])", text)
    if m:
        candidate = f"{m.group(1)} {m.group(2)}"
        if candidate in library.regions():
            return candidate
    return text


def names() -> list[str]:
    """Regions (and ``"xrd"``) that have a shipped default recipe, sorted."""
    return sorted(_files())


def path(name: str) -> Path:
    """File of a shipped default recipe.

    Parameters
    ----------
    name : str
        Region (loosely spelt) or ``"xrd"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    spectra.errors.RecipeError
        No default recipe for ``name`` (the error lists those there are).
    """
    files = _files()
    key = canonical(name)
    if key not in files:
        raise RecipeError(f"no default recipe for {name!r}; there are: {', '.join(sorted(files))}")
    return Path(str(files[key]))


def text(name: str) -> str:
    """The TOML text of a default recipe, with its comments (an editable starting point)."""
    return path(name).read_text(encoding="utf-8")


def default_recipe(name: str) -> dict:
    """A default recipe as a dict (a fresh copy each call).

    Parameters
    ----------
    name : str
        Region (loosely spelt: ``"S 2p"``, ``"S2p"``) or ``"xrd"``.

    Returns
    -------
    dict
        The recipe, for :func:`spectra.fit`, :func:`spectra.fit_many` or ``compare(recipes=...)``.
    """
    return tomllib.loads(text(name))


def from_folder(folder) -> dict[str, dict]:
    """Every ``*.toml`` recipe of a folder, keyed by what it is for (region or ``"xrd"``).

    Parameters
    ----------
    folder : str or PathLike

    Returns
    -------
    dict
        Region or ``"xrd"`` → recipe dict.

    Raises
    ------
    spectra.errors.RecipeError
        The folder does not exist, a file is not valid TOML or names no region, or two files are
        for the same region.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise RecipeError(f"recipes folder {folder} does not exist")
    out, seen = {}, {}
    for file in sorted(folder.glob("*.toml")):
        try:
            recipe = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RecipeError(f"{file}: not a valid TOML recipe: {exc}") from None
        key = key_of(recipe, str(file))
        if key in out:
            raise RecipeError(f"{file} and {seen[key]} are both recipes for {key!r}")
        out[key], seen[key] = recipe, file
    return out
