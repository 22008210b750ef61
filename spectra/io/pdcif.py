"""Powder CIF (pdCIF) measured profiles.

The profile loop is the one holding ``_pd_meas_counts_total``, ``_pd_meas_intensity_total`` or
``_pd_proc_intensity_total`` (first found, in that order). 2θ comes from a ``_pd_meas_2theta_scan``
(or ``_pd_proc_2theta_corrected``) column, else from ``_pd_meas_2theta_range_min/inc/max``.
Values such as ``5540(160)`` give the value and its standard uncertainty (kept as ``sigma``); ``.``
and ``?`` are missing. Every data block with a profile is one pattern.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..dataarray import xrd_pattern
from ._registry import Reader, register
from ._text import read_text

_Y_TAGS = ("_pd_meas_counts_total", "_pd_meas_intensity_total", "_pd_proc_intensity_total")
_X_TAGS = ("_pd_meas_2theta_scan", "_pd_proc_2theta_corrected")
_ESD = re.compile(r"^([-+0-9.eE]+)(?:\((\d+)\))?$")


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
    return re.search(rb"^data_", head, re.MULTILINE) is not None and (b"\n_pd_" in head or path.suffix.lower() == ".cif")


def _value(token: str) -> tuple[float, float]:
    if token in (".", "?"):
        return np.nan, np.nan
    m = _ESD.match(token)
    if not m:
        raise ValueError(token)
    number = m.group(1)
    value = float(number)
    if m.group(2) is None:
        return value, np.nan
    decimals = len(number.split(".")[1].split("e")[0].split("E")[0]) if "." in number else 0
    return value, int(m.group(2)) * 10.0 ** (-decimals)


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    starts = [i for i, line in enumerate(lines) if line.lower().startswith("data_")]
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(lines)) for k, s in enumerate(starts)]


def _scalars(lines: list[str]) -> dict:
    out = {}
    for line in lines:
        if line.startswith("_"):
            parts = line.split(None, 1)
            if len(parts) == 2:
                out[parts[0].lower()] = parts[1].strip().strip("'\"")
    return out


def _profile_loop(lines: list[str], start: int, path: Path):
    i = start
    while i < len(lines):
        if lines[i].strip().lower() == "loop_":
            tags = []
            j = i + 1
            while j < len(lines) and lines[j].strip().startswith("_"):
                tags.append(lines[j].strip().split()[0].lower())
                j += 1
            if any(t in tags for t in _Y_TAGS):
                rows = []
                k = j
                while k < len(lines):
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


def _pattern(lines: list[str], begin: int, path: Path):
    tags, rows = _profile_loop(lines, begin, path)
    if tags is None:
        return None
    tokens = [t for _, r in rows for t in r]
    if len(tokens) % len(tags):
        raise FileFormatError(path, f"profile loop has {len(tokens)} values for {len(tags)} columns",
                              line=rows[-1][0] if rows else begin + 1)
    table = np.array(tokens, dtype=object).reshape(-1, len(tags))
    y_tag = next(t for t in _Y_TAGS if t in tags)
    try:
        y, sigma = map(np.array, zip(*(_value(v) for v in table[:, tags.index(y_tag)])))
    except ValueError as exc:
        raise FileFormatError(path, f"non-numeric {y_tag} value {exc}", line=rows[0][0]) from None
    scalars = _scalars(lines[begin:])
    x_tag = next((t for t in _X_TAGS if t in tags), None)
    if x_tag:
        two_theta = np.array([_value(v)[0] for v in table[:, tags.index(x_tag)]])
    else:
        try:
            lo, inc = float(scalars["_pd_meas_2theta_range_min"]), float(scalars["_pd_meas_2theta_range_inc"])
        except (KeyError, ValueError):
            raise FileFormatError(path, "profile without 2θ column or _pd_meas_2theta_range_*", line=begin + 1) from None
        two_theta = lo + inc * np.arange(y.size)
        hi = scalars.get("_pd_meas_2theta_range_max")
        if hi and abs(two_theta[-1] - float(hi)) > abs(inc) * 0.51:
            raise FileFormatError(path, f"{y.size} points from {lo} in steps of {inc} do not end at {hi}",
                                  line=begin + 1)
    wavelength = None
    try:
        wavelength = float(scalars.get("_diffrn_radiation_wavelength", "").split("(")[0])
    except ValueError:
        pass
    extra = {"sigma": sigma} if np.isfinite(sigma).any() else {}
    return xrd_pattern(two_theta, y, units="counts", extra_coords=extra, region=lines[begin].strip()[5:],
                       wavelength_ka1=wavelength,
                       metadata={"intensity_tag": y_tag, "radiation_probe": scalars.get("_diffrn_radiation_probe"),
                                 "block": lines[begin].strip()})


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
        its columns, an intensity is not a number, 2θ is neither a column nor a readable
        ``_pd_meas_2theta_range_*``, or the range does not end at its declared maximum (the error
        names the line).
    """
    lines = read_text(path).splitlines()
    out = [p for b, _ in _blocks(lines) if (p := _pattern(lines, b, path)) is not None]
    if not out:
        raise FileFormatError(path, "no data block with a measured powder profile (_pd_meas_*/_pd_proc_intensity)")
    return out


register(Reader("pdcif", "xrd", (".cif", ".pdcif"), sniff, read, "powder CIF (pdCIF) measured profiles", searches=True))
