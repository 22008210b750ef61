"""Powder CIF (pdCIF) measured profiles.

The profile loop is the one holding ``_pd_meas_counts_total``, ``_pd_meas_intensity_total`` or
``_pd_proc_intensity_total`` (first found, in that order). 2θ comes from a ``_pd_meas_2theta_scan``
(or ``_pd_proc_2theta_corrected``) column, else from ``_pd_meas_2theta_range_min/inc/max``.
Values such as ``5540(160)`` give the value and its standard uncertainty (kept as ``sigma``; in
``1.2e3(4)`` the uncertainty scales with the exponent: 400); ``.`` and ``?`` are missing, which is
refused for 2θ and intensities. Every data block with a profile is one pattern; the loop and the
scalar tags are looked up within that block only.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, register
from ._text import read_text

_Y_TAGS = ("_pd_meas_counts_total", "_pd_meas_intensity_total", "_pd_proc_intensity_total")
_X_TAGS = ("_pd_meas_2theta_scan", "_pd_proc_2theta_corrected")
_ESD = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+))(?:[eE]([-+]?\d+))?(?:\((\d+)\))?$")


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a powder CIF file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True when a line starts with ``data_`` and the head has a line starting ``_pd_`` or the
        extension is ``.cif``.
    """
    return (re.search(rb"^data_", head, re.MULTILINE) is not None
            and (b"\n_pd_" in head or path.suffix.lower() == ".cif"))


def _value(token: str) -> tuple[float, float]:
    if token in (".", "?"):
        return np.nan, np.nan
    m = _ESD.match(token)
    if not m:
        raise ValueError(token)
    mantissa, exponent, esd = m.groups()
    value = float(mantissa + (f"e{exponent}" if exponent else ""))
    if esd is None:
        return value, np.nan
    # the uncertainty is in units of the mantissa's last digit, scaled by the exponent: 1.2e3(4) is 1200 ± 400
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return value, int(esd) * 10.0 ** (int(exponent or 0) - decimals)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    starts = [i for i, line in enumerate(lines) if line.lower().startswith("data_")]
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(lines)) for k, s in enumerate(starts)]


def _scalars(lines: list[str], first_line: int) -> tuple[dict, dict]:
    """(tag -> value, tag -> 1-based line) of the ``_tag value`` lines of one block."""
    out, where = {}, {}
    for k, line in enumerate(lines, first_line):
        if line.startswith("_"):
            parts = line.split(None, 1)
            if len(parts) == 2:
                out[parts[0].lower()] = parts[1].strip().strip("'\"")
                where[parts[0].lower()] = k
    return out, where


def _profile_loop(lines: list[str], start: int, stop: int, path: Path):
    """The first loop of the block ``lines[start:stop]`` holding an intensity tag: (tags, rows)."""
    i = start
    while i < stop:
        if lines[i].strip().lower() == "loop_":
            tags = []
            j = i + 1
            while j < stop and lines[j].strip().startswith("_"):
                tags.append(lines[j].strip().split()[0].lower())
                j += 1
            if any(t in tags for t in _Y_TAGS):
                rows = []
                k = j
                while k < stop:
                    text = lines[k].strip()
                    if not text or text.startswith(("loop_", "_", "data_", "#")):
                        break
                    try:
                        tokens = shlex.split(text) if ("'" in text or '"' in text) else text.split()
                    except ValueError:
                        raise FileFormatError(path, "unbalanced quote in a loop row", line=k + 1) from None
                    rows.append((k + 1, tokens))
                    k += 1
                return tags, rows
            i = j
        else:
            i += 1
    return None, None


def _pattern(lines: list[str], begin: int, stop: int, path: Path):
    tags, rows = _profile_loop(lines, begin, stop, path)
    if tags is None:
        return None
    if not rows:
        raise FileFormatError(path, "profile loop without values", line=begin + 1)
    tokens = [t for _, r in rows for t in r]
    token_lines = [k for k, r in rows for _ in r]
    if len(tokens) % len(tags):
        raise FileFormatError(path, f"profile loop has {len(tokens)} values for {len(tags)} columns",
                              line=rows[-1][0])
    table = np.array(tokens, dtype=object).reshape(-1, len(tags))
    lines_of = np.array(token_lines).reshape(-1, len(tags))
    y_tag = next(t for t in _Y_TAGS if t in tags)
    y, sigma = _column(table, lines_of, tags.index(y_tag), y_tag, path)
    _checks.finite_values(y, path, what=y_tag, lines=lines_of[:, tags.index(y_tag)])
    scalars, where = _scalars(lines[begin:stop], begin + 1)
    x_tag = next((t for t in _X_TAGS if t in tags), None)
    if x_tag:
        column = tags.index(x_tag)
        two_theta = _checks.axis_values(_column(table, lines_of, column, x_tag, path)[0], path,
                                        limit=_checks.MAX_ANGLE, what=x_tag, lines=lines_of[:, column])
    else:
        at = where.get("_pd_meas_2theta_range_inc", where.get("_pd_meas_2theta_range_min", begin + 1))
        try:
            lo = _value(scalars["_pd_meas_2theta_range_min"])[0]
            inc = _value(scalars["_pd_meas_2theta_range_inc"])[0]
        except (KeyError, ValueError):
            raise FileFormatError(path, "profile without 2θ column or _pd_meas_2theta_range_*", line=at) from None
        two_theta = _checks.regular_axis(lo, inc, y.size, path, limit=_checks.MAX_ANGLE, what="2θ range", line=at)
        hi = scalars.get("_pd_meas_2theta_range_max")
        if hi:
            try:
                hi_value = _checks.number(_value(hi)[0], "_pd_meas_2theta_range_max", path,
                                          line=where["_pd_meas_2theta_range_max"])
            except ValueError:
                raise FileFormatError(path, f"_pd_meas_2theta_range_max {hi!r} is not a number",
                                      line=where["_pd_meas_2theta_range_max"]) from None
            if abs(two_theta[-1] - hi_value) > abs(inc) * 0.51:
                raise FileFormatError(path, f"{y.size} points from {lo} in steps of {inc} do not end at {hi}",
                                      line=where["_pd_meas_2theta_range_max"])
    wavelength = None
    if "_diffrn_radiation_wavelength" in scalars:
        try:
            wavelength = _value(scalars["_diffrn_radiation_wavelength"])[0]
        except ValueError:
            wavelength = None  # e.g. a list of wavelengths elsewhere: kept in the file, not read
        wavelength = _checks.wavelength(wavelength, "_diffrn_radiation_wavelength", path,
                                        line=where["_diffrn_radiation_wavelength"])
    extra = {"sigma": sigma} if np.isfinite(sigma).any() else {}
    return xrd_pattern(two_theta, y, units="counts", extra_coords=extra, region=lines[begin].strip()[5:],
                       wavelength_ka1=wavelength,
                       metadata={"intensity_tag": y_tag, "radiation_probe": scalars.get("_diffrn_radiation_probe"),
                                 "block": lines[begin].strip()})


def _column(table: np.ndarray, lines_of: np.ndarray, column: int, tag: str, path: Path):
    """(values, uncertainties) of one loop column; a non-numeric value names its line."""
    values, sigmas = [], []
    for row, token in enumerate(table[:, column]):
        try:
            value, sigma = _value(token)
        except ValueError:
            raise FileFormatError(path, f"non-numeric {tag} value {token[:40]!r}", line=int(lines_of[row, column])) \
                from None
        values.append(value)
        sigmas.append(sigma)
    return np.array(values, dtype=float), np.array(sigmas, dtype=float)


def read(path: Path):
    """Read the measured powder profile of every data block of a pdCIF file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per ``data_`` block with a profile loop: dim ``two_theta`` (degrees), units
        ``counts``, region the block name (after ``data_``), the coordinate ``sigma`` when the values
        carry standard uncertainties, and ``wavelength_ka1`` (Å) from ``_diffrn_radiation_wavelength``.

    Raises
    ------
    spectra.errors.FileFormatError
        No block has a profile loop, a loop row has an unbalanced quote, the loop's values do not fill
        its columns, an intensity or 2θ value is not a finite number, 2θ is neither a column nor a
        readable ``_pd_meas_2theta_range_*`` (a step of 0 included), the range does not end at its
        declared maximum, or the wavelength is out of range (the error names the line).
    """
    lines = read_text(path).splitlines()
    out = [p for b, e in _blocks(lines) if (p := _pattern(lines, b, e, path)) is not None]
    if not out:
        raise FileFormatError(path, "no data block with a measured powder profile (_pd_meas_*/_pd_proc_intensity)",
                              line=len(lines))
    return out


register(Reader("pdcif", "xrd", (".cif", ".pdcif"), sniff, read, "powder CIF (pdCIF) measured profiles", searches=True))
