"""A diffractometer's instrument function, calibrated once on a line-profile standard and reused.

An :class:`Instrument` holds what :func:`spectra.xrd.calibrate.calibrate` fitted on a standard:
the zero shift, the profile terms of the recipe's ``instrument`` table (Caglioti U, V, W, Lorentzian
X, Y and whatever terms :data:`spectra.xrd.profiles.DEFAULT_INSTRUMENT` lists, e.g. asymmetry) and the
Kα2/Kα1 ratio, each with its standard error; the wavelengths it was fitted with; and where it came from
(standard, certified cell, source file and its SHA-256, UTC time, spectra version, the 2θ range the
standard's lines covered).

It is saved as a small TOML file that a recipe names, ``instrument = "diffractometer.toml"``: the
recipe parser calls :func:`read_instrument_table`, which returns the recipe keys to merge (values held
fixed). Specimen displacement is a property of each specimen, not of the instrument, and is not kept.
"""
from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FileFormatError, RecipeError
from ..io.write import atomic_write_text
from . import profiles
from .profiles import DEFAULT_INSTRUMENT

#: units of the parameters an instrument file may hold (terms not listed here are dimensionless or
#: in the units the recipe documents for them)
UNITS = {"zero": "degree 2θ", "u": "degree²", "v": "degree²", "w": "degree²", "x": "degree", "y": "degree",
         "ka2_ratio": "1"}
_PROVENANCE = ("standard", "certificate", "certified_a", "source", "source_sha256", "created", "spectra_version",
               "two_theta_range", "anode", "wavelength_ka1", "wavelength_ka2", "notes")


def parameter_names() -> list[str]:
    """Names of the parameters an instrument holds: ``zero``, the recipe's instrument terms, ``ka2_ratio``.

    Read from :data:`spectra.xrd.recipe.DEFAULT_INSTRUMENT` each time, so a term added to the recipe
    (e.g. an asymmetry coefficient) is calibrated, saved and read without a change here.

    Returns
    -------
    list of str
    """
    return ["zero", *DEFAULT_INSTRUMENT, "ka2_ratio"]


@dataclass(frozen=True)
class Instrument:
    """An instrument function with standard errors and provenance.

    Attributes
    ----------
    values : dict of str to float
        ``zero`` (degrees 2θ), each term of the recipe's ``instrument`` table (``u``, ``v``, ``w`` in
        degrees², ``x``, ``y`` in degrees, …) and ``ka2_ratio``.
    stderr : dict of str to float
        Standard error of each value; NaN where the value was held fixed or ran to a bound (never 0).
    standard : str
        The standard it was calibrated on (e.g. ``"LaB6"``, or a CIF path).
    certificate : str
        The certified cell and its source.
    certified_a : float
        Certified cell length a (Å) held fixed in the calibration.
    source, source_sha256 : str
        File name of the standard's pattern and the SHA-256 of that file (of the data when no file).
    created : str
        UTC time of the calibration (ISO 8601).
    spectra_version : str
        Version of spectra that made it.
    two_theta_range : tuple of float
        ``(low, high)`` 2θ (degrees) of the first and last line of the standard inside the fitted window:
        outside it the widths are extrapolated.
    anode : str or None
        Anode (``"Cu"``, …), None for monochromatic radiation.
    wavelength_ka1, wavelength_ka2 : float
        Wavelengths (Å) the instrument was fitted with (held fixed; NaN for no Kα2).
    notes : tuple of str
        What a user must know, e.g. a term held at its bound.
    """

    values: dict = field(default_factory=dict)
    stderr: dict = field(default_factory=dict)
    standard: str = ""
    certificate: str = ""
    certified_a: float = math.nan
    source: str = ""
    source_sha256: str = ""
    created: str = ""
    spectra_version: str = ""
    two_theta_range: tuple = (math.nan, math.nan)
    anode: str | None = None
    wavelength_ka1: float = math.nan
    wavelength_ka2: float = math.nan
    notes: tuple = ()

    def __post_init__(self):
        missing = [n for n in parameter_names() if n not in self.values]
        unknown = sorted(set(self.values) - set(parameter_names()))
        if missing or unknown:
            raise ValueError(f"an Instrument needs exactly {parameter_names()}; missing {missing}, unknown {unknown}")
        sd = {n: float(self.stderr.get(n, math.nan)) for n in self.values}
        object.__setattr__(self, "stderr", {n: (s if s > 0 else math.nan) for n, s in sd.items()})  # never σ = 0
        object.__setattr__(self, "two_theta_range", tuple(float(v) for v in self.two_theta_range))
        object.__setattr__(self, "notes", tuple(self.notes))

    # ---------------------------------------------------------------------------------- use
    def profile_terms(self) -> dict[str, float]:
        """The recipe's ``instrument`` table: ``u``, ``v``, ``w``, ``x``, ``y``, … (values only)."""
        return {k: float(self.values[k]) for k in DEFAULT_INSTRUMENT}

    def recipe_keys(self) -> dict:
        """Top-level recipe keys that apply this instrument (values held fixed).

        Returns
        -------
        dict
            ``{"instrument": {name: value, ...}, "zero": value, "ka2_ratio": value}``.
        """
        return {"instrument": self.profile_terms(), "zero": float(self.values["zero"]),
                "ka2_ratio": float(self.values["ka2_ratio"])}

    def fwhm(self, two_theta):
        """Instrumental FWHM (degrees 2θ) of a line at ``two_theta``: the TCH pseudo-Voigt of the
        Caglioti Gaussian width and the X tanθ + Y/cosθ Lorentzian width (no sample broadening).

        Parameters
        ----------
        two_theta : float or array_like
            Line position (degrees 2θ).

        Returns
        -------
        numpy.ndarray
            FWHM in degrees 2θ, shaped like ``two_theta``.
        """
        v = self.values
        gauss = profiles.caglioti_fwhm(two_theta, v["u"], v["v"], v["w"])
        lorentz = profiles.lorentz_fwhm(two_theta, v["x"], v["y"])
        return profiles.tch_parameters(gauss, lorentz)[0]

    def covers(self, low: float, high: float) -> bool:
        """Whether the standard's lines span the 2θ range ``[low, high]`` (degrees) one will fit."""
        lo, hi = self.two_theta_range
        return bool(lo <= min(low, high) and hi >= max(low, high))

    # ---------------------------------------------------------------------------------- files
    def to_toml(self) -> str:
        """The instrument as TOML text (the format :meth:`save` writes and :meth:`load` reads)."""
        out = ["# Instrument function of a powder diffractometer, calibrated by spectra on a line-profile standard.",
               '# Use it in an XRD recipe as  instrument = "<this file>"  (the values are then held fixed).',
               "", "[calibration]"]
        for key in _PROVENANCE:
            value = getattr(self, key)
            if value is None:
                continue
            out.append(f"{key} = {_toml_value(value)}")
        out += ["", "[parameters]"]
        out += [f"{n} = {_toml_value(self.values[n])}  # {UNITS.get(n, '')}".rstrip(" #") for n in self.values]
        out += ["", "[stderr]  # standard errors; nan: held fixed or at a bound (never 0)"]
        out += [f"{n} = {_toml_value(self.stderr[n])}" for n in self.values]
        return "\n".join(out) + "\n"

    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the instrument to a TOML file, atomically.

        Parameters
        ----------
        path : str or PathLike
            Target file (``.toml``).
        overwrite : bool
            Replace an existing file; by default an existing file is never replaced.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        spectra.errors.SpectraError
            ``path`` exists and ``overwrite`` is False.
        """
        return atomic_write_text(path, self.to_toml(), overwrite=overwrite)

    @classmethod
    def load(cls, path) -> Instrument:
        """Read an instrument file written by :meth:`save`.

        Parameters
        ----------
        path : str or PathLike
            The TOML file.

        Returns
        -------
        Instrument

        Raises
        ------
        spectra.errors.FileFormatError
            The file cannot be read, is not TOML, or its tables or keys are not those of an instrument
            file (naming the line where there is one).
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FileFormatError(path, f"cannot read the instrument file: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"line (\d+)", str(exc))
            raise FileFormatError(path, f"not valid TOML: {exc}",
                                  line=int(match.group(1)) if match else None) from None
        for table, allowed in (("", {"calibration", "parameters", "stderr"}), ("calibration", set(_PROVENANCE)),
                               ("parameters", set(parameter_names())), ("stderr", set(parameter_names()))):
            content = data.get(table, {}) if table else data
            if not isinstance(content, dict):
                raise FileFormatError(path, f"[{table}] must be a table", line=_line_of(text, table))
            for key in sorted(set(content) - allowed):
                where = f"[{table}] " if table else ""
                raise FileFormatError(path, f"unknown key {where}{key!r}; allowed: {sorted(allowed)}",
                                      line=_line_of(text, key))
        params = data.get("parameters", {})
        missing = [n for n in parameter_names() if n not in params]
        if missing:
            raise FileFormatError(path, f"[parameters] lacks {missing} (an older calibration? calibrate again)",
                                  line=_line_of(text, "parameters"))
        for key, value in params.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise FileFormatError(path, f"[parameters] {key} must be a finite number, got {value!r}",
                                      line=_line_of(text, key))
        info = dict(data.get("calibration", {}))
        if "two_theta_range" in info:
            info["two_theta_range"] = tuple(info["two_theta_range"])
        if "notes" in info:
            info["notes"] = tuple(info["notes"])
        try:
            return cls({n: float(params[n]) for n in parameter_names()},
                       {n: float(v) for n, v in data.get("stderr", {}).items()}, **info)
        except (TypeError, ValueError) as exc:
            raise FileFormatError(path, f"[calibration]: {exc}", line=_line_of(text, "calibration")) from None


def read_instrument_table(path) -> dict:
    """The recipe keys an instrument file stands for (what ``instrument = "file.toml"`` means).

    Parameters
    ----------
    path : str or PathLike
        An instrument file written by :meth:`Instrument.save`.

    Returns
    -------
    dict
        Top-level recipe keys to merge: ``{"instrument": {name: value, ...}, "zero": value,
        "ka2_ratio": value}``, plain numbers (held fixed by the recipe parser).

    Raises
    ------
    spectra.errors.RecipeError
        A missing or unreadable file, invalid TOML or unknown keys, naming the file (and the line).
    """
    try:
        return Instrument.load(path).recipe_keys()
    except FileFormatError as exc:
        raise RecipeError(f"instrument file {exc}") from None


def _toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


def _line_of(text: str, key: str) -> int | None:
    """1-based line where ``key`` (or the table ``[key]``) is first set, None when absent."""
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(key)}\s*\]|{re.escape(key)}\s*=)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None

