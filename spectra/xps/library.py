"""The core-level library (``core_levels.toml``): regions, their spin-orbit doublets and species,
and photoionisation cross sections, each number with its source."""
from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

from ..errors import RecipeError


@dataclass(frozen=True)
class Doublet:
    """Spin-orbit doublet of a region: splitting (eV), minor:major area ratio, sources.

    Attributes
    ----------
    splitting : float
        Minor-line position minus major-line position (eV).
    splitting_range : tuple of float
        Bounds of the splitting (eV).
    ratio : float
        Minor:major area ratio used.
    scofield_ratio : float
        The ratio from Scofield cross sections, for comparison.
    source : str
        Literature source.
    """

    splitting: float
    splitting_range: tuple[float, float]
    ratio: float
    scofield_ratio: float
    source: str


@dataclass(frozen=True)
class Species:
    """A chemical species of a region: its major-line centre, FWHM and their ranges (eV).

    Attributes
    ----------
    name : str
        Component name (the recipe key).
    label : str
        Human-readable label.
    center : float
        Major-line binding energy (eV).
    center_range : tuple of float
        Bounds of the centre (eV).
    fwhm : float
        FWHM (eV).
    fwhm_range : tuple of float
        Bounds of the FWHM (eV).
    source : str
        Literature source.
    """

    name: str
    label: str
    center: float
    center_range: tuple[float, float]
    fwhm: float
    fwhm_range: tuple[float, float]
    source: str


@dataclass(frozen=True)
class Region:
    """A core-level region: default window, doublet (None for s levels) and species.

    Attributes
    ----------
    name : str
        Region name as in the library, e.g. ``"S 2p"``.
    window : tuple of float
        Default binding-energy window (eV).
    doublet : Doublet or None
        The spin-orbit doublet; None for s levels.
    species : dict of str to Species
        The region's species by name.
    """

    name: str
    window: tuple[float, float]
    doublet: Doublet | None
    species: dict[str, Species]


@functools.cache
def _data() -> dict:
    with resources.files("spectra.xps").joinpath("core_levels.toml").open("rb") as fh:
        return tomllib.load(fh)


def _canonical(name: str) -> str:
    return name.replace(" ", "").lower()


def regions() -> list[str]:
    """Names of the regions in the library.

    Returns
    -------
    list of str
        Region names in library order.
    """
    return list(_data()["regions"])


def region(name: str) -> Region:
    """The library entry of a region (``"S 2p"``, ``"Li 1s"``, ...; spaces and case are ignored).

    Parameters
    ----------
    name : str
        Region name.

    Returns
    -------
    Region
        The region with its doublet and species.

    Raises
    ------
    spectra.errors.RecipeError
        The region is not in the library; the message lists those that are.
    """
    table = _data()["regions"]
    key = next((k for k in table if _canonical(k) == _canonical(name)), None)
    if key is None:
        raise RecipeError(f"region {name!r} is not in the core-level library; regions: {', '.join(table)}")
    entry = table[key]
    doublet = None
    if "doublet" in entry:
        d = entry["doublet"]
        doublet = Doublet(d["splitting"], tuple(d["splitting_range"]), d["ratio"], d["scofield_ratio"], d["source"])
    species = {n: Species(n, s["label"], s["center"], tuple(s["range"]), s["fwhm"], tuple(s["fwhm_range"]),
                          s["source"]) for n, s in entry["components"].items()}
    return Region(key, tuple(entry["window"]), doublet, species)


def cross_section(line: str, *, excitation: str = "al_ka") -> float:
    """Scofield photoionisation cross section of ``line`` relative to C 1s (both spin-orbit lines).

    Parameters
    ----------
    line : str
        ``"S 2p"``, ``"Li 1s"``, ... (spaces and case are ignored).
    excitation : {"al_ka", "mg_ka"}
        Al Kα or Mg Kα excitation.

    Returns
    -------
    float
        Cross section relative to C 1s.

    Raises
    ------
    spectra.errors.RecipeError
        The line is not in the table.
    """
    table = _data()["cross_sections"]
    key = next((k for k in table if k != "source" and _canonical(k) == _canonical(line)), None)
    if key is None:
        raise RecipeError(f"no cross section for {line!r}; lines: {', '.join(k for k in table if k != 'source')}")
    return float(table[key][excitation])


def cross_section_source() -> str:
    """The literature source of the cross-section table.

    Returns
    -------
    str
        The citation.
    """
    return _data()["cross_sections"]["source"]


def line_binding_energy(line: str) -> float:
    """Typical binding energy of a line (eV), for kinetic-energy-dependent corrections.

    Parameters
    ----------
    line : str
        ``"S 2p"``, ``"Li 1s"``, ... (spaces and case are ignored).

    Returns
    -------
    float
        Binding energy (eV) from the cross-section table.

    Raises
    ------
    spectra.errors.RecipeError
        The line is not in the table.
    """
    table = _data()["cross_sections"]
    key = next((k for k in table if k != "source" and _canonical(k) == _canonical(line)), None)
    if key is None:
        raise RecipeError(f"no entry for {line!r} in the cross-section table")
    return float(table[key]["binding_energy"])
