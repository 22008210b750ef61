"""Older SPECS and Omicron text formats.

* SpecsLab 1 ``.exp``: ``key: value`` lines per region, ``{...}`` blocks for source and analyser,
  ``data: N`` then N counts, ``enddata``/``endregion``. ``range: start stop step`` is on the kinetic
  energy scale (the shared example's inelastic background rises towards the low end of the range,
  which only a kinetic axis explains); the excitation energy follows from ``xrs_anode``.
* SpecsLab2 ``.sp2`` "P2 Imagefile": ``#`` header with the kinetic energy range, then
  ``nx ny total`` and nx·ny counts. Returned as a (``angle_channel``, ``kinetic_energy``) array (no
  excitation energy is recorded, so the axis stays kinetic).
* Omicron / Leybold "Spectra" ``.1`` (Ron Unwin's EIS format): a title line, then per region a line
  of eight numbers (start KE, end KE, step, scans, dwell, points, pass energy, excitation energy), a
  region name and the counts, one per line (field meaning as in xylib's ``spectra.cpp``).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, register
from ._text import LineCursor, optional_float, read_text, to_float, to_int

_ANODES = {"Mg": 1253.6, "Al": 1486.6}


def sniff_exp(head: bytes, path: Path) -> bool:
    """Recognise a SpecsLab 1 ``.exp`` file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts with ``region:`` and has a line starting ``range:``.
    """
    return head.startswith(b"region:") and b"\nrange:" in head


def read_exp(path: Path):
    """Read every region of a SpecsLab 1 ``.exp`` file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per ``data:`` section: the kinetic-energy ``range`` (eV), converted to
        ``binding_energy`` when ``xrs_anode`` is ``Mg`` (1253.6 eV) or ``Al`` (1486.6 eV), else kept as
        ``kinetic_energy``; units ``counts``; region ``"region <name>"``.

    Raises
    ------
    spectra.errors.FileFormatError
        A count is not a whole number or does not fit in the file, a value is not a number, a region
        lacks a readable ``range: start stop step`` or its point count disagrees with the data, or
        there is no ``data:`` section (the error names the line).
    """
    lines = read_text(path).splitlines()
    out = []
    meta: dict = {}
    where: dict = {}
    block = None
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line == "{":
            block = {}
            continue
        if line == "}":
            block = None
            continue
        key, sep, value = line.partition(":") if block is None else line.partition("=")
        key, value = key.strip(), value.strip().rstrip(";").strip()
        if block is not None:
            meta[key] = value
            where[key] = i
        elif key == "region":
            meta, where = {"region": value}, {"region": i}
        elif key == "data":
            n = to_int(value, path, i)
            if n <= 0 or i + n > len(lines):
                raise FileFormatError(path, f"data: {n} values do not fit in the file", line=i)
            first = i + 1
            counts = np.array([to_float(v, path, i + k + 1) for k, v in enumerate(lines[i:i + n])])
            _checks.finite_values(counts, path, what="count", lines=range(first, first + n))
            i += n
            out.append(_exp_region(meta, counts, path, i, where))
        elif sep:
            meta[key] = value
            where[key] = i
    if not out:
        raise FileFormatError(path, "no 'data:' section", line=len(lines))
    return out


def _exp_number(meta: dict, where: dict, key: str, check, path: Path, line: int):
    raw = meta.get(key)
    if raw is None or not raw.strip():
        return None
    value = optional_float(raw)
    if value is None:
        raise FileFormatError(path, f"{key} {raw[:40]!r} is not a number", line=where.get(key, line))
    return check(value, key, path, line=where.get(key, line))


def _exp_region(meta: dict, counts: np.ndarray, path: Path, line: int, where: dict):
    at = where.get("range", line)
    try:
        start, stop, step = (float(v) for v in meta["range"].split())
    except (KeyError, ValueError):
        raise FileFormatError(path, "region without a readable 'range: start stop step'", line=at) from None
    energy = _checks.regular_axis(start, step, counts.size, path, limit=_checks.MAX_ENERGY, what="range", line=at)
    _checks.number(stop, "range stop", path, line=at, limit=_checks.MAX_ENERGY)
    expected = round((stop - start) / step) + 1
    if expected != counts.size:
        raise FileFormatError(path, f"range {start}..{stop} step {step} gives {expected} points, "
                                    f"data has {counts.size}", line=at)
    hv = _ANODES.get(meta.get("xrs_anode", ""))
    return xps_spectrum(energy, counts, energy_axis="kinetic", excitation_energy=hv, units="counts",
                        metadata=meta, region=f"region {meta.get('region', '')}".strip(),
                        anode=meta.get("xrs_anode"),
                        dwell_time=_exp_number(meta, where, "dwell", _checks.duration, path, line),
                        n_scans=_exp_number(meta, where, "scans", _checks.scans, path, line),
                        work_function=_exp_number(meta, where, "work_function", _checks.energy, path, line),
                        pass_energy=_exp_number(meta, where, "ea_const", _checks.energy, path, line),
                        acquired=meta.get("measure_date"))



def sniff_sp2(head: bytes, path: Path) -> bool:
    """Recognise a SpecsLab2 ``.sp2`` detector image.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when the first line is ``P2``.
    """
    return head.startswith((b"P2\n", b"P2\r\n"))


def read_sp2(path: Path):
    """Read a SpecsLab2 ``.sp2`` detector image.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One 2-D XPS array, dims (``angle_channel``, ``kinetic_energy``): ``ny`` x ``nx`` counts, the
        energy axis (eV) evenly spaced over the header's ``ERange``; units ``counts``.

    Raises
    ------
    spectra.errors.FileFormatError
        The image-size line is missing or unreadable, the image does not fit in the file, a value is
        not a number (these name the line), or the header has no readable ``ERange``.
    """
    lines = read_text(path).splitlines()
    meta, where = {}, {}
    i = 1
    while i < len(lines) and lines[i].startswith("#"):
        m = re.match(r"#\s*([^=]+?)\s*=\s*(.*?)\s*(#.*)?$", lines[i])
        if m:
            meta[m.group(1)] = m.group(2).strip('"')
            where[m.group(1)] = i + 1
        i += 1
    if i >= len(lines):
        raise FileFormatError(path, "no image size line after the header", line=i)
    dims = lines[i].split()
    if len(dims) < 2:
        raise FileFormatError(path, "expected 'nx ny [total]' after the header", line=i + 1)
    nx, ny = to_int(dims[0], path, i + 1), to_int(dims[1], path, i + 1)
    if nx <= 0 or ny <= 0 or i + 1 + nx * ny > len(lines):
        raise FileFormatError(path, f"{nx} x {ny} image does not fit in the file", line=i + 1)
    cur = LineCursor(lines, path, i + 1)
    values = cur.floats(nx * ny)
    _checks.finite_values(values, path, what="count", lines=range(i + 2, i + 2 + nx * ny))
    values = values.reshape(ny, nx)
    at = where.get("ERange", 1)
    try:
        e_lo, e_hi = (float(v) for v in meta["ERange"].split()[:2])
    except (KeyError, ValueError):
        raise FileFormatError(path, "no readable 'ERange' in the header", line=at) from None
    for value in (e_lo, e_hi):
        _checks.number(value, "ERange", path, line=at, limit=_checks.MAX_ENERGY)
    if nx > 1 and e_lo == e_hi:
        raise FileFormatError(path, f"ERange {e_lo}..{e_hi} is empty", line=at)
    energy = np.linspace(e_lo, e_hi, nx)

    def header(key):
        raw = meta.get(key)
        value = optional_float(raw.split()[0] if raw and raw.split() else None)
        return _checks.energy(value, key, path, line=where.get(key, 1))

    return [xps_spectrum(energy, values, energy_axis="kinetic", excitation_energy=None, units="counts",
                         leading={"angle_channel": np.arange(ny)}, metadata=meta,
                         region=meta.get("Images", "image"), pass_energy=header("Ep"),
                         work_function=header("WF"), acquired=meta.get("Creation Date"))]


def sniff_omicron(head: bytes, path: Path) -> bool:
    """Recognise an Omicron/Leybold EIS "Spectra" file by its layout.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when the second line holds eight numbers and lines 4-6 are integers.
    """
    lines = head.splitlines()
    if len(lines) < 6:
        return False
    if len(lines[1].split()) != 8:
        return False
    try:
        [float(v) for v in lines[1].split()]
        [int(v) for v in lines[3:6]]
    except ValueError:
        return False
    return True


def read_omicron(path: Path):
    """Read every region of an Omicron/Leybold EIS "Spectra" file (``.1``, ``.2``, ...).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per region (until a blank line or the end of the file): a kinetic-energy axis
        (eV) from start and step, converted to ``binding_energy`` with the region's excitation energy
        when it is positive; units ``counts``; region the region's name, sample the title line.

    Raises
    ------
    spectra.errors.FileFormatError
        A region line does not hold eight numbers, the points do not fit in the file or do not end at
        the declared end energy, or a value is not a number (the error names the line).
    """
    lines = read_text(path).splitlines()
    cur = LineCursor(lines, path)
    title = cur.next()
    out = []
    while cur.pos < len(lines) and lines[cur.pos].strip():
        fields = cur.next().split()
        if len(fields) != 8:
            raise cur.error(f"expected 8 region parameters, found {len(fields)}")
        at = cur.pos
        start, end, step, scans, dwell = (to_float(v, path, at) for v in fields[:5])
        n = to_int(fields[5], path, at)
        pass_energy, hv = to_float(fields[6], path, at), to_float(fields[7], path, at)
        name = cur.next()
        if n <= 0 or cur.pos + n > len(lines):
            raise cur.error(f"{n} points do not fit in the file")
        energy = _checks.regular_axis(start, step, n, path, limit=_checks.MAX_ENERGY, what="energy", line=at)
        _checks.number(end, "end energy", path, line=at, limit=_checks.MAX_ENERGY)
        scans = _checks.scans(scans, "scans", path, line=at)
        dwell = _checks.duration(dwell, "dwell time", path, line=at)
        pass_energy = _checks.energy(pass_energy, "pass energy", path, line=at)
        hv = _checks.photon_energy(hv, "excitation energy", path, line=at)
        first = cur.pos + 1
        counts = _checks.finite_values(cur.floats(n), path, what="count", lines=range(first, first + n))
        if abs(energy[-1] - end) > abs(step):
            raise FileFormatError(path, f"start {start} + {n - 1} steps of {step} does not end at {end}", line=at)
        out.append(xps_spectrum(energy, counts, energy_axis="kinetic", excitation_energy=hv, units="counts",
                                metadata={"title": title, "start": start, "end": end, "step": step},
                                region=name, sample=title, pass_energy=pass_energy, dwell_time=dwell,
                                n_scans=scans))
    if not out:
        raise FileFormatError(path, "no region line after the title", line=2)
    return out


register(Reader("specslab_exp", "xps", (".exp",), sniff_exp, read_exp, "SPECS SpecsLab 1 .exp"))
register(Reader("specslab_sp2", "xps", (".sp2",), sniff_sp2, read_sp2, "SPECS SpecsLab2 .sp2 detector image"))
register(Reader("omicron_spectra", "xps", tuple(f".{k}" for k in range(1, 10)), sniff_omicron, read_omicron,
                "Omicron/Leybold EIS 'Spectra' files (.1, .2, ...)", searches=True))
