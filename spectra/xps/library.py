"""The core-level library (``core_levels.toml``): regions, their spin-orbit doublets and species,
and photoionisation cross sections, each number with its source.

Widths follow one rule: the observed FWHM of a line is the sample's own width and the instrument's
width added in quadrature. The library stores each species' *sample* width range (what high-resolution
data show, up to disordered and charged composite electrodes) and a typical observed FWHM at a
reference instrument (monochromated Al Kα, 20–40 eV pass energy). :func:`region` turns them into the
bounds a fit uses: for an unknown instrument, every instrument from a synchrotron to an
unmonochromated Al/Mg Kα source at 50 eV pass energy (:func:`instrument_limits`); for a known
``instrument_fwhm``, the sample range broadened by exactly that width.
"""
from __future__ import annotations

import functools
import math
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
        Bounds of the observed FWHM (eV): the sample width range broadened by the instrument (see
        :func:`region`).
    source : str
        Literature source.
    sample_fwhm_range : tuple of float
        The species' own width range without instrumental broadening (eV).
    """

    name: str
    label: str
    center: float
    center_range: tuple[float, float]
    fwhm: float
    fwhm_range: tuple[float, float]
    source: str
    sample_fwhm_range: tuple[float, float] = (math.nan, math.nan)


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


#: the largest instrument FWHM a recipe may state (eV); wider than any XPS instrument in use
MAX_INSTRUMENT_FWHM = 3.0


def instrument_limits() -> tuple[float, float, str]:
    """The instrument widths behind the library's FWHM bounds.

    Returns
    -------
    reference : float
        Instrument FWHM (eV) of the conditions the species' typical ``fwhm`` values describe
        (monochromated Al Kα, 20–40 eV pass energy).
    maximum : float
        The broadest common lab setting (eV): unmonochromated Al/Mg Kα at 50 eV pass energy. Bounds for
        an unknown instrument reach up to it.
    source : str
        Where the two numbers come from.
    """
    inst = _data()["instrument"]
    return float(inst["reference_fwhm"]), float(inst["max_fwhm"]), str(inst["source"])


def check_instrument_fwhm(value) -> float | None:
    """A recipe's ``instrument_fwhm``, checked: None (unknown) or a number of eV.

    Parameters
    ----------
    value : object
        The value given.

    Returns
    -------
    float or None

    Raises
    ------
    spectra.errors.RecipeError
        Not None and not a finite number in [0, :data:`MAX_INSTRUMENT_FWHM`].
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0.0 <= value <= MAX_INSTRUMENT_FWHM:
        raise RecipeError(f"instrument_fwhm must be a number of eV in [0, {MAX_INSTRUMENT_FWHM}] (the Gaussian "
                          f"width of source and analyser together), got {value!r}")
    return float(value)


def _widths(entry: dict, instrument: float | None) -> tuple[float, tuple[float, float], tuple[float, float]]:
    """Start FWHM, FWHM bounds and sample range of one species for an instrument width (None: unknown)."""
    reference, maximum, _ = instrument_limits()
    lo, hi = (float(v) for v in entry["sample_fwhm_range"])
    typical = float(entry["fwhm"])
    if instrument is None:
        bounds = (lo, math.hypot(hi, maximum))
        start = typical
    else:
        bounds = (math.hypot(lo, instrument), math.hypot(hi, instrument))
        sample = math.sqrt(max(typical**2 - reference**2, lo**2))
        start = math.hypot(min(sample, hi), instrument)
    return start, bounds, (lo, hi)


def region(name: str, instrument_fwhm: float | None = None) -> Region:
    """The library entry of a region (``"S 2p"``, ``"Li 1s"``, ...; spaces and case are ignored).

    Each species' FWHM bounds are its sample width range broadened by the instrument in quadrature
    (observed² = sample² + instrument²):

    * ``instrument_fwhm=None`` (unknown): from the sample's lower width (a synchrotron adds almost
      nothing) to ``sqrt(hi² + max²)``, ``max`` the broadest common lab setting
      (:func:`instrument_limits`); the start is the typical FWHM at the reference instrument;
    * ``instrument_fwhm=i``: ``[sqrt(lo² + i²), sqrt(hi² + i²)]``, starting from
      ``sqrt(fwhm² − reference² + i²)`` (kept within the bounds).

    Parameters
    ----------
    name : str
        Region name.
    instrument_fwhm : float, optional
        The instrument's Gaussian FWHM in eV (X-ray line and analyser together), e.g. measured on
        the Fermi edge of a metal, or the Ag 3d5/2 FWHM with silver's own width removed in quadrature.

    Returns
    -------
    Region
        The region with its doublet and species.

    Raises
    ------
    spectra.errors.RecipeError
        The region is not in the library (the message lists those that are), or ``instrument_fwhm``
        is not a number in [0, :data:`MAX_INSTRUMENT_FWHM`].
    """
    instrument = check_instrument_fwhm(instrument_fwhm)
    table = _data()["regions"]
    key = next((k for k in table if _canonical(k) == _canonical(name)), None)
    if key is None:
        raise RecipeError(f"region {name!r} is not in the core-level library; regions: {', '.join(table)}")
    entry = table[key]
    doublet = None
    if "doublet" in entry:
        d = entry["doublet"]
        doublet = Doublet(d["splitting"], tuple(d["splitting_range"]), d["ratio"], d["scofield_ratio"], d["source"])
    species = {}
    for n, s in entry["components"].items():
        start, bounds, sample = _widths(s, instrument)
        species[n] = Species(n, s["label"], s["center"], tuple(s["range"]), start, bounds, s["source"], sample)
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
