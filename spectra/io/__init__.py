"""Reading and writing instrument files.

``read(path)`` returns every spectrum or scan in a file, ``load(path, region=None)`` exactly one,
and ``formats()`` lists what can be read. Formats are recognised by content first, extension second:
a file whose content a reader recognises goes to that reader whatever its name (``attrs['format']``
records the choice).

Readers accept regular files only (a device, FIFO, socket or directory is refused before anything is
read) of at most 2 GiB (``set_max_file_size`` changes the limit), check every size, count and axis
number a header declares before using it, and report every failure as a
:class:`~spectra.errors.FileFormatError` naming the file and the line or byte offset.
"""
from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import xarray as xr

from ..errors import RegionError, SpectraError
from . import (  # noqa: F401  (each module registers its reader; the registry orders them)
    _registry,
    bruker_raw,
    bruker_text,
    casaxps,
    columns,
    gsas,
    kratos,
    pdcif,
    phi,
    rigaku,
    scienta,
    specs_xml,
    specs_xy,
    specslab,
    stoe,
    thermo,
    vamas,
    xrd_text,
    xrdml,
)
from ._registry import set_max_file_size

__all__ = ["formats", "load", "read", "set_max_file_size"]


#: what ``technique=`` of :func:`read` and :func:`load` may say
TECHNIQUES = ("xps", "xrd")

def read(path: str | os.PathLike, *, format: str | None = None, technique: str | None = None) -> list[xr.DataArray]:
    """Read every spectrum (or scan) in a file, in file order.

    Parameters
    ----------
    path : str or PathLike
        The instrument file.
    format : str, optional
        A reader name from :func:`formats` to skip detection.
    technique : {"xps", "xrd"}, optional
        What the data are, for a column file whose axis has no label (read as 2θ otherwise): with
        ``"xps"`` its first column is binding energy. For a file that says what it holds, this
        must agree with it.

    Returns
    -------
    list of xarray.DataArray
        One per region, block or scan.

    Raises
    ------
    spectra.errors.FileFormatError
        The file is damaged or not what it claims to be (the message names the line or byte), is
        not a regular file, or is larger than the size limit.
    spectra.errors.UnknownFormatError
        No reader recognises the file.
    spectra.errors.SpectraError
        ``technique`` is not "xps" or "xrd", or disagrees with what the file says it holds.
    """
    path = Path(path)
    reader = _registry.get(format) if format else _registry.detect(path)
    if technique is None:
        return _registry.run(reader, path)
    if technique not in TECHNIQUES:
        raise SpectraError(f"technique={technique!r}: use 'xps' or 'xrd'")
    spectra = _registry.run(reader, path)
    unlabelled = reader.name == "columns" and "no axis label" in spectra[0].attrs.get("metadata", "")
    if unlabelled and technique != "xrd":
        from .columns import read_columns

        spectra = _registry.run(dataclasses.replace(reader, read=functools.partial(read_columns, technique=technique)),
                                path)
    found = {str(da.attrs.get("technique")) for da in spectra}
    if found - {technique, "ups", "aes"} and not (technique == "xps" and found <= {"xps", "ups", "aes"}):
        raise SpectraError(f"{path}: the {reader.name} file says it holds {', '.join(sorted(found))} data; "
                           f"technique={technique!r} applies to column files without axis labels")
    return spectra


def _region_names(spectra: list[xr.DataArray]) -> list[str]:
    return [str(da.attrs.get("region", "")) for da in spectra]


def load(path: str | os.PathLike, region: str | int | None = None, *, format: str | None = None,
         technique: str | None = None) -> xr.DataArray:
    """Read exactly one spectrum from a file.

    Parameters
    ----------
    path : str or PathLike
        The instrument file.
    region : str or int, optional
        Region (or scan) name, or its index in file order. Needed when the file holds several.
    format : str, optional
        A reader name from :func:`formats`.
    technique : {"xps", "xrd"}, optional
        What the data are, for a column file without axis labels (see :func:`read`).

    Returns
    -------
    xarray.DataArray
        The one spectrum in the file, or the one chosen by ``region``. A name is matched exactly
        first, then ignoring spaces and case.

    Raises
    ------
    spectra.errors.RegionError
        The file holds several spectra and ``region`` does not pick exactly one; the message lists them.
    spectra.errors.FileFormatError
        The file is damaged or not what it claims to be (raised by :func:`read`).
    spectra.errors.UnknownFormatError
        No reader recognises the file, or ``format`` names no reader.
    """
    spectra = read(path, format=format, technique=technique)
    names = _region_names(spectra)
    if region is None:
        if len(spectra) == 1:
            return spectra[0]
        raise RegionError(f"{path} holds {len(spectra)} spectra; choose one with region=: "
                          + ", ".join(f"[{i}] {n!r}" for i, n in enumerate(names)))
    if isinstance(region, int):
        if -len(spectra) <= region < len(spectra):
            return spectra[region]
        raise RegionError(f"{path} has no spectrum number {region}; it holds {len(spectra)}")
    matches = [da for da, n in zip(spectra, names) if n == region]
    if not matches:
        wanted = region.replace(" ", "").lower()
        matches = [da for da, n in zip(spectra, names) if n.replace(" ", "").lower() == wanted]
    if len(matches) == 1:
        return matches[0]
    what = "several spectra are" if matches else "no spectrum is"
    raise RegionError(f"{path}: {what} called {region!r}; regions: "
                      + ", ".join(f"[{i}] {n!r}" for i, n in enumerate(names)))


def formats() -> list[dict[str, object]]:
    """The formats spectra reads: name, technique, extensions and a description each.

    Returns
    -------
    list of dict
        One dict per registered reader, in sniffing order, with keys ``name`` (str), ``technique``
        (``"xps"`` or ``"xrd"``), ``extensions`` (list of str, lower case with the dot) and
        ``description`` (str).
    """
    return [{"name": r.name, "technique": r.technique, "extensions": list(r.extensions),
             "description": r.description} for r in _registry.readers()]
