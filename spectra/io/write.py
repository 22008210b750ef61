"""Writers: VAMAS (ISO 14976) and column text, both atomic (written to a temporary file in the
target folder, then renamed) and both carrying the spectrum's attributes so a round trip through
spectra restores values and attrs.

The attributes travel as one JSON comment line, ``spectra-attrs: {...}`` (a VAMAS block comment, a
``#`` line in column text); other programs read the files as ordinary VAMAS or columns.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import SpectraError

ATTRS_MARK = "spectra-attrs:"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[str], None], *, overwrite: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place.

    A failed write leaves nothing behind; an existing ``path`` is replaced only with ``overwrite``.
    The file gets the usual permissions (0666 less the umask), not the temporary file's 0600.

    Parameters
    ----------
    path : str or PathLike
        Target file.
    write : callable
        ``write(tmp: str) -> None``; writes the whole content to the temporary file ``tmp``.
    overwrite : bool
        Replace an existing ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    spectra.errors.SpectraError
        ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise SpectraError(f"{path} exists; pass overwrite=True to replace it")
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically.

    Parameters
    ----------
    path : str or PathLike
        Target file.
    text : str
        The content.
    overwrite : bool
        Replace an existing ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    spectra.errors.SpectraError
        ``path`` exists and ``overwrite`` is False.
    """
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8", newline="\n"),
                        overwrite=overwrite)


def _attrs_line(da: xr.DataArray) -> str:
    coords = {name: {"values": np.asarray(c.values).tolist(), "attrs": c.attrs} for name, c in da.coords.items()
              if name != da.dims[-1] and c.dims == (da.dims[-1],)}
    axis = {"dim": da.dims[-1], "attrs": da[da.dims[-1]].attrs}
    return ATTRS_MARK + " " + json.dumps({"attrs": da.attrs, "coords": coords, "axis": axis}, ensure_ascii=True)


def restore(da: xr.DataArray, comment: str) -> xr.DataArray:
    """Apply a ``spectra-attrs:`` line found in ``comment`` to ``da`` (attrs and extra coords).

    Only the first line that starts with ``spectra-attrs:`` is used. Saved coordinates whose length
    differs from ``da``'s last dim are skipped; the last dim is renamed to the saved axis name, and
    ``da``'s attrs are replaced by the saved ones.

    Parameters
    ----------
    da : xarray.DataArray
        A spectrum as read.
    comment : str
        Comment text, one line each.

    Returns
    -------
    xarray.DataArray
        A new DataArray with the saved attrs and coordinates, or ``da`` itself when there is no
        ``spectra-attrs:`` line.
    """
    if ATTRS_MARK not in comment:
        return da
    for line in comment.splitlines():
        if line.startswith(ATTRS_MARK):
            saved = json.loads(line[len(ATTRS_MARK):])
            coords = {k: (da.dims[-1], np.asarray(v["values"]), v["attrs"]) for k, v in saved.get("coords", {}).items()
                      if len(v["values"]) == da.shape[-1]}
            out = da.assign_coords(coords)
            axis = saved.get("axis")
            if axis and axis["dim"] != out.dims[-1]:
                out = out.rename({out.dims[-1]: axis["dim"]})
            if axis:
                out[out.dims[-1]].attrs = dict(axis["attrs"])
            out.attrs = dict(saved["attrs"])
            return out
    return da


def _one_d(spectra: xr.DataArray | Sequence[xr.DataArray]) -> list[xr.DataArray]:
    items = [spectra] if isinstance(spectra, xr.DataArray) else list(spectra)
    for da in items:
        if da.ndim != 1:
            raise SpectraError(f"only 1-D spectra can be written; this one has dims {da.dims}")
    return items


def _vamas_block(da: xr.DataArray, index: int) -> list[str]:
    dim = da.dims[-1]
    x = np.asarray(da[dim].values, dtype=float)
    y = np.asarray(da.values, dtype=float)
    hv = da.attrs.get("excitation_energy", 1e37)
    if dim == "binding_energy":
        label = "binding energy"
    elif dim == "kinetic_energy":
        label = "kinetic energy"
    else:
        raise SpectraError(f"VAMAS holds energy spectra; this one has dim {dim!r}")
    step = (x[-1] - x[0]) / (x.size - 1) if x.size > 1 else 1.0
    if x.size > 1 and not np.allclose(np.diff(x), step, rtol=1e-9, atol=1e-9 * abs(step)):
        raise SpectraError("VAMAS REGULAR blocks need an evenly spaced axis; resample first")
    region = str(da.attrs.get("region", f"block {index + 1}"))
    species, _, transition = region.partition(" ")
    comment = [_attrs_line(da)]
    acquired = str(da.attrs.get("acquired", "1970-01-01T00:00:00"))
    digits = [int(p) for p in __import__("re").findall(r"\d+", acquired)[:6]] + [0] * 6
    lines = [region, str(da.attrs.get("sample", "")), *map(str, digits[:6]), "0", str(len(comment)), *comment,
             "XPS", str(da.attrs.get("anode", "")), repr(float(hv)), "1e37", "1e37", "1e37", "1e37", "1e37",
             "FAT", repr(float(da.attrs.get("pass_energy", 1e37))), "1e37",
             repr(float(da.attrs.get("work_function", 1e37))), "1e37", "1e37", "1e37", "1e37", "1e37",
             species or region, transition or "", "-1", label, "eV", repr(float(x[0])), repr(float(step)), "1",
             "counts per second" if da.attrs.get("units") == "counts/s" else "counts", "d", "pulse counting",
             repr(float(da.attrs.get("dwell_time", 1.0))), str(round(da.attrs.get("n_scans", 1))), "0",
             "1e37", "1e37", "1e37", "0", str(y.size), repr(float(np.nanmin(y))), repr(float(np.nanmax(y)))]
    lines += [repr(float(v)) for v in y]
    return lines


def write_vamas(spectra: xr.DataArray | Sequence[xr.DataArray], path: str | os.PathLike, *,
                overwrite: bool = False) -> Path:
    """Write XPS spectra as one VAMAS file (REGULAR, NORM; one block each).

    Parameters
    ----------
    spectra : DataArray or sequence of DataArray
        1-D spectra on an evenly spaced ``binding_energy`` or ``kinetic_energy`` axis.
    path : str or PathLike
        Target file; never overwritten unless ``overwrite``.
    overwrite : bool
        Replace an existing ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    spectra.errors.SpectraError
        A spectrum is not 1-D, its dim is not an energy, its axis is not evenly spaced, or ``path``
        exists and ``overwrite`` is False.
    """
    items = _one_d(spectra)
    lines = ["VAMAS Surface Chemical Analysis Standard Data Transfer Format 1988 May 4", "spectra", "", "", "",
             "1", "written by spectra", "NORM", "REGULAR", str(len(items)), "0", "0", "0", "0", "0", str(len(items))]
    for i, da in enumerate(items):
        lines += _vamas_block(da, i)
    lines.append("end of experiment")
    return atomic_write_text(path, "\n".join(lines) + "\n", overwrite=overwrite)


def write_columns(spectrum: xr.DataArray, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write one spectrum as column text: axis, intensity and every 1-D coordinate along the axis.

    The header carries the attrs (``# spectra-attrs: {json}``) and a label row naming each column,
    so :func:`spectra.read` restores the spectrum exactly.

    Parameters
    ----------
    spectrum : xarray.DataArray
        A 1-D spectrum or pattern (a sequence holding exactly one is also accepted).
    path : str or PathLike
        Target file; never overwritten unless ``overwrite``.
    overwrite : bool
        Replace an existing ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    spectra.errors.SpectraError
        The spectrum is not 1-D, or ``path`` exists and ``overwrite`` is False.
    """
    (da,) = _one_d(spectrum)
    dim = da.dims[-1]
    extra = [name for name, c in da.coords.items() if name != dim and c.dims == (dim,)]
    columns = [da[dim].values, da.values] + [da[name].values for name in extra]
    header = ["# " + _attrs_line(da), "# " + "\t".join([dim, "intensity", *extra])]
    body = "\n".join("\t".join(repr(float(v)) for v in row) for row in np.column_stack(columns))
    return atomic_write_text(path, "\n".join(header) + "\n" + body + "\n", overwrite=overwrite)


def write_netcdf(data: xr.DataArray | xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write a spectrum or Dataset to NetCDF-4/HDF5 (h5netcdf engine), atomically.

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        What to write, e.g. a spectrum or a batch of fit results.
    path : str or PathLike
        Target file; never overwritten unless ``overwrite``.
    overwrite : bool
        Replace an existing ``path``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    spectra.errors.SpectraError
        ``path`` exists and ``overwrite`` is False.
    """
    return atomic_write(path, lambda tmp: data.to_netcdf(tmp, engine="h5netcdf"), overwrite=overwrite)
