"""Writers: VAMAS (ISO 14976), PANalytical XRDML and column text, all atomic (written to a temporary
file in the target folder, then moved into place). VAMAS and column text carry the spectrum's
attributes so a round trip through spectra restores values and attrs; XRDML keeps the values and the
attributes its schema has fields for.

The attributes travel as one JSON comment line, ``spectra-attrs: {...}`` (a VAMAS block comment, a
``#`` line in column text); other programs read the files as ordinary VAMAS or columns.

No-clobber writes (``overwrite=False``, the default) cannot replace a file that appears while the
content is being written: the finished temporary file is hard-linked to the target, which fails if
the target exists (on file systems without hard links the target is created with ``O_EXCL`` and
the content copied into it). Temporary files are named ``.<target>.<host>.<pid>.<random>.spectra-tmp``;
one left behind by a killed write (its process gone, or older than a day) is removed by the next
write to that folder (a process scans a folder at most once a minute, so writing thousands of files
stays linear).
"""
from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import SpectraError
from . import _checks

ATTRS_MARK = "spectra-attrs:"
TEMP_SUFFIX = ".spectra-tmp"
#: a temporary file older than this (s) is stale whatever process wrote it
STALE_AFTER = 24 * 3600.0
#: a folder is scanned for stale temporary files at most once per this many seconds (per process)
RESCAN_AFTER = 60.0
_CLEANED: dict[str, float] = {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def _temp_path(path: Path) -> Path:
    return path.parent / f".{path.name}.{_host()}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _is_stale(entry: os.DirEntry) -> bool:
    parts = entry.name[:-len(TEMP_SUFFIX)].rsplit(".", 3)
    try:
        if time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER:
            return True
    except OSError:
        return False
    if len(parts) != 4 or parts[1] != _host() or not parts[2].isdigit() or os.name == "nt":
        return False  # (on Windows os.kill(pid, 0) would end the process: age alone decides there)
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True  # the writer is gone
    except OSError:
        return False  # alive (another user's process), or unknown: keep
    return False


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writes left in ``folder``.

    A file is stale when its name ends with :data:`TEMP_SUFFIX` and the process named in it (on this
    host; not checked on Windows) no longer runs, or it is older than :data:`STALE_AFTER` seconds.

    Parameters
    ----------
    folder : str or PathLike
        The folder.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and _is_stale(entry):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _exists_error(path: Path) -> SpectraError:
    return SpectraError(f"{path} exists; pass overwrite=True to replace it")


def _link_into_place(tmp: Path, path: Path) -> None:
    """Make ``tmp``'s content appear at ``path`` only if ``path`` does not exist (never replacing it)."""
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
    # no hard links on this file system: create the target exclusively and copy
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except FileExistsError:
        raise _exists_error(path) from None
    try:
        with os.fdopen(fd, "wb") as out, open(tmp, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(path).unlink(missing_ok=True)  # created by us a moment ago
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[str], None], *, overwrite: bool = False) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it into place.

    A failed or interrupted write leaves nothing behind (the temporary file is removed on any
    exception; one left by a killed process is removed by a later write to the folder). Without
    ``overwrite``, the target is created only if it does not exist at that moment (hard link of the
    temporary file, or an ``O_EXCL`` create), so a file that appears during the write is never
    replaced. The file gets the usual permissions (0666 less the umask).

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
        ``path`` exists (before or after the content is written) and ``overwrite`` is False.
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    folder = os.path.abspath(path.parent)
    if time.monotonic() - _CLEANED.get(folder, -RESCAN_AFTER) >= RESCAN_AFTER:
        remove_stale_temporaries(folder)
        _CLEANED[folder] = time.monotonic()
    tmp = _temp_path(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    os.close(fd)
    try:
        write(os.fspath(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_into_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
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


#: characters that end a line for ``str.splitlines`` (and so for any VAMAS reader splitting lines)
_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_VAMAS_TECHNIQUES = {"xps": "XPS", "ups": "UPS", "aes": "AES dir"}


def _vamas_text(value) -> str:
    """A text field on one VAMAS line: line breaks become spaces (the exact text travels in the
    ``spectra-attrs`` comment, so spectra restores it)."""
    return _LINE_BREAKS.sub(" ", str(value))


#: what the VAMAS reader accepts for each numeric attribute (see :mod:`spectra.io._checks`)
_VAMAS_RANGES = {"excitation_energy": (0.0, _checks.MAX_ENERGY),
                 "pass_energy": (-_checks.MAX_ENERGY, _checks.MAX_ENERGY),
                 "work_function": (-_checks.MAX_ENERGY, _checks.MAX_ENERGY),
                 "dwell_time": (0.0, _checks.MAX_TIME), "n_scans": (0.0, _checks.MAX_SCANS)}


def _vamas_number(da: xr.DataArray, name: str, index: int) -> float:
    """A numeric attribute for a VAMAS field: 1E37 (ISO 14976's no value) when absent, else a finite
    number in the range the reader accepts (so the file reads back)."""
    value = da.attrs.get(name)
    if value is None:
        return 1e37
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpectraError(f"spectrum {index + 1}: attribute {name}={value!r} is not a number") from None
    low, high = _VAMAS_RANGES[name]
    if not (np.isfinite(number) and low <= number <= high):
        raise SpectraError(f"spectrum {index + 1}: attribute {name}={number!r} cannot be written to VAMAS "
                           f"(a finite number from {low:g} to {high:g} is needed)")
    return number


def _vamas_block(da: xr.DataArray, index: int) -> list[str]:
    dim = da.dims[-1]
    x = np.asarray(da[dim].values, dtype=float)
    y = np.asarray(da.values, dtype=float)
    if dim == "binding_energy":
        label = "binding energy"
    elif dim == "kinetic_energy":
        label = "kinetic energy"
    else:
        raise SpectraError(f"VAMAS holds energy spectra; this one has dim {dim!r}")
    if x.size == 0:
        raise SpectraError(f"spectrum {index + 1} is empty: a VAMAS block needs at least one point")
    if not (np.isfinite(x).all() and np.abs(x).max() <= _checks.MAX_ENERGY):
        raise SpectraError(f"spectrum {index + 1} has a non-finite or implausible {dim} value")
    if not np.isfinite(y).all():
        raise SpectraError(f"spectrum {index + 1} has {int((~np.isfinite(y)).sum())} NaN or infinite intensities")
    step = (x[-1] - x[0]) / (x.size - 1) if x.size > 1 else 1.0
    if x.size > 1 and (abs(step) < 1e-9 * max(np.abs(x).max(), 1.0)
                       or not np.allclose(np.diff(x), step, rtol=1e-9, atol=1e-9 * abs(step))):
        raise SpectraError("VAMAS REGULAR blocks need an evenly spaced axis; resample first")
    technique = str(da.attrs.get("technique", "xps")).lower()
    if technique not in _VAMAS_TECHNIQUES:
        raise SpectraError(f"spectrum {index + 1}: technique {technique!r} has no VAMAS name "
                           f"({', '.join(_VAMAS_TECHNIQUES)} do)")
    hv = _vamas_number(da, "excitation_energy", index)
    n_scans = _vamas_number(da, "n_scans", index)
    region = _vamas_text(da.attrs.get("region", f"block {index + 1}"))
    species, _, transition = region.partition(" ")
    comment = [_attrs_line(da)]
    acquired = str(da.attrs.get("acquired", "1970-01-01T00:00:00"))
    digits = [int(p) for p in re.findall(r"\d+", acquired)[:6]] + [0] * 6
    lines = [region, _vamas_text(da.attrs.get("sample", "")), *map(str, digits[:6]), "0", str(len(comment)), *comment,
             _VAMAS_TECHNIQUES[technique], _vamas_text(da.attrs.get("anode", "")), repr(hv), "1e37", "1e37", "1e37",
             "1e37", "1e37", "FAT", repr(_vamas_number(da, "pass_energy", index)), "1e37",
             repr(_vamas_number(da, "work_function", index)), "1e37", "1e37", "1e37", "1e37", "1e37",
             species or region, transition or "", "-1", label, "eV", repr(float(x[0])), repr(float(step)), "1",
             "counts per second" if da.attrs.get("units") == "counts/s" else "counts", "d", "pulse counting",
             repr(_vamas_number(da, "dwell_time", index) if "dwell_time" in da.attrs else 1.0),
             str(round(n_scans)) if n_scans != 1e37 else "1", "0",
             "1e37", "1e37", "1e37", "0", str(y.size), repr(float(y.min())), repr(float(y.max()))]
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
        A spectrum is not 1-D, is empty, its dim is not an energy, its axis is not evenly spaced, an
        axis value or intensity is NaN or infinite, a numeric attribute (``excitation_energy``,
        ``pass_energy``, ``work_function``, ``dwell_time``, ``n_scans``) is not finite, its technique
        has no VAMAS name, or ``path`` exists and ``overwrite`` is False.

    Notes
    -----
    Line breaks (including U+2028, U+2029 and the other characters ``str.splitlines`` splits on) in
    the region, sample or anode would end a VAMAS line early; they are written as spaces. The exact
    text travels in the ``spectra-attrs`` comment, so reading the file with spectra restores it. The
    block's technique is the spectrum's (``XPS``, ``UPS`` or ``AES dir``).
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


def _xml_escape(value) -> str:
    text = _LINE_BREAKS.sub(" ", str(value))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def _xrdml_number(value: float) -> str:
    """A number as XRDML text that reads back to the same float (integers without a decimal point)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def write_xrdml(pattern: xr.DataArray, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write one powder pattern as a PANalytical XRDML 1.5 file (one Gonio 2θ–θ scan), atomically.

    The file is what X'Pert Data Collector writes for a continuous Bragg–Brentano scan: sample
    name, comment, used wavelength (Kα1, Kα2, Kα2/Kα1 ratio), anode, and the ``<intensities>`` with
    the common counting time. The 2θ axis is written as start/end positions when it is evenly spaced
    to the last bit (``numpy.linspace`` of the two gives it back exactly), else as a list of
    positions. Intensities keep every digit, so :func:`spectra.load` reads back the same numbers and
    the sample, anode, wavelengths and counting time (an attribute ``comment`` becomes the file's
    comment).

    Parameters
    ----------
    pattern : xarray.DataArray
        A 1-D pattern on ``two_theta`` (degrees), counts per step (or counts/s).
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
        The pattern is not 1-D on ``two_theta``, is empty, has non-finite values, or ``path`` exists
        and ``overwrite`` is False.
    """
    (da,) = _one_d(pattern)
    if da.dims[-1] != "two_theta":
        raise SpectraError(f"XRDML holds 2θ patterns; this one has dim {da.dims[-1]!r}")
    x = np.asarray(da["two_theta"].values, dtype=float)
    y = np.asarray(da.values, dtype=float)
    if x.size < 2:
        raise SpectraError("an XRDML scan needs at least two points")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise SpectraError("the pattern has NaN or infinite 2θ or intensity values")
    a = da.attrs
    unit = "cps" if a.get("units") == "counts/s" else "counts"
    if np.array_equal(np.linspace(x[0], x[-1], x.size), x):
        positions = (f"<startPosition>{_xrdml_number(x[0])}</startPosition>"
                     f"<endPosition>{_xrdml_number(x[-1])}</endPosition>")
    else:
        positions = f"<listPositions>{' '.join(_xrdml_number(v) for v in x)}</listPositions>"
    wavelengths = "".join(f"<{tag} unit=\"Angstrom\">{_xrdml_number(a[key])}</{tag}>"
                          for key, tag in (("wavelength_ka1", "kAlpha1"), ("wavelength_ka2", "kAlpha2"))
                          if a.get(key) is not None)
    if a.get("ka2_ratio") is not None:
        wavelengths += f"<ratioKAlpha2KAlpha1>{_xrdml_number(a['ka2_ratio'])}</ratioKAlpha2KAlpha1>"
    counting = (f"<commonCountingTime unit=\"seconds\">{_xrdml_number(a['counting_time'])}</commonCountingTime>"
                if a.get("counting_time") is not None else "")
    acquired = _xml_escape(a.get("acquired") or "1970-01-01T00:00:00Z")
    comments = [a["comment"]] if a.get("comment") else []
    text = "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.xrdml.com/XRDMeasurement/1.5 '
        'http://www.xrdml.com/XRDMeasurement/1.5/XRDMeasurement.xsd" status="Completed">',
        "  <comment>" + "".join(f"<entry>{_xml_escape(c)}</entry>" for c in comments) + "</comment>",
        f'  <sample type="To be analyzed"><id>{_xml_escape(a.get("sample", ""))}</id>'
        f'<name>{_xml_escape(a.get("sample", ""))}</name></sample>',
        '  <xrdMeasurement measurementType="Scan" status="Completed" sampleMode="Reflection">',
        f'    <usedWavelength intended="K-Alpha 1">{wavelengths}</usedWavelength>',
        '    <incidentBeamPath><radius unit="mm">240.00</radius><xRayTube name="spectra">'
        f'<anodeMaterial>{_xml_escape(a.get("anode", ""))}</anodeMaterial></xRayTube></incidentBeamPath>',
        '    <scan appendNumber="0" mode="Continuous" scanAxis="Gonio" status="Completed">',
        f"      <header><startTimeStamp>{acquired}</startTimeStamp><endTimeStamp>{acquired}</endTimeStamp>"
        "<author><name>spectra</name></author>"
        '<source><applicationSoftware version="1">spectra.io.write.write_xrdml</applicationSoftware></source></header>',
        "      <dataPoints>",
        f'        <positions axis="2Theta" unit="deg">{positions}</positions>',
        f"        {counting}",
        f'        <intensities unit="{unit}">{" ".join(_xrdml_number(v) for v in y)}</intensities>',
        "      </dataPoints>",
        "    </scan>",
        "  </xrdMeasurement>",
        "</xrdMeasurements>",
    ])
    return atomic_write_text(path, text + "\n", overwrite=overwrite)
