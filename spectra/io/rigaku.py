"""Rigaku SmartLab ``.ras`` (text, one or many scans) and ``.rasx`` (zip: ``Data*/Profile*.txt`` with
``MesurementConditions*.xml``).

Both store three columns: angle, intensity and an attenuator factor. Intensities are returned as
written and the factor is kept as the coordinate ``attenuation_factor`` (as GSAS-II and xrayutilities
do: neither multiplies). Header text may be Shift-JIS; it is decoded leniently, the numbers are ASCII.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks, _xml
from ._registry import Reader, read_bytes, register
from ._text import decode, numeric_rows, optional_float
from ._zip import SafeZip, is_zip

_RAS_KEY = re.compile(r'^\*(\w+)\s+"?(.*?)"?\s*$')


def sniff_ras(head: bytes, path: Path) -> bool:
    """Recognise a Rigaku SmartLab ``.ras`` text file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts (after an optional UTF-8 BOM) with ``*RAS_DATA_START``.
    """
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"*RAS_DATA_START")


def _ras_scan(meta: dict, rows: np.ndarray, index: int, path: Path, where: dict, first_line: int):
    def _num(key):
        value = optional_float(meta.get(key))
        return None if value is None else _checks.wavelength(value, key, path, line=where.get(key, 1))

    _checks.axis_values(rows[:, 0], path, limit=_checks.MAX_ANGLE, what="2θ", line=first_line)
    extra = {"attenuation_factor": rows[:, 2]} if rows.shape[1] > 2 else {}
    unit_y = meta.get("MEAS_SCAN_UNIT_Y", "counts").lower()
    return xrd_pattern(rows[:, 0], rows[:, 1], units="counts/s" if "cps" in unit_y or "/s" in unit_y else "counts",
                       extra_coords=extra, metadata=meta, region=f"scan {index + 1}",
                       sample=meta.get("FILE_SAMPLE", "").strip() or None, anode=meta.get("HW_XG_TARGET_NAME"),
                       wavelength_ka1=_num("HW_XG_WAVE_LENGTH_ALPHA1"), wavelength_ka2=_num("HW_XG_WAVE_LENGTH_ALPHA2"),
                       acquired=meta.get("MEAS_SCAN_START_TIME"))


def read_ras(path: Path):
    """Read every scan of a Rigaku SmartLab ``.ras`` file (UTF-8, Shift-JIS or Latin-1 text).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per ``*RAS_INT_START`` block: dim ``two_theta`` (degrees; the first column),
        units ``counts/s`` when ``MEAS_SCAN_UNIT_Y`` says cps, else ``counts``; region ``"scan <n>"``;
        a third column is kept as the coordinate ``attenuation_factor``. Sample, anode and wavelengths
        (Å) come from the preceding header.

    Raises
    ------
    spectra.errors.FileFormatError
        No data block, a ``*RAS_INT_START`` without ``*RAS_INT_END``, a non-numeric, non-finite or
        ragged data row, a constant 2θ axis, a wavelength out of range, or a ``MEAS_DATA_COUNT`` that is
        not a number or differs from the point count (the error names the line).
    """
    text = decode(read_bytes(path), path, encodings=("utf-8-sig", "shift_jis", "latin-1"))
    lines = text.splitlines()
    out = []
    meta: dict = {}
    where: dict = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line == "*RAS_HEADER_START":
            meta, where = {}, {}
        elif line == "*RAS_INT_START":
            j = i + 1
            while j < len(lines) and not lines[j].startswith("*RAS_INT_END"):
                j += 1
            if j == len(lines):
                raise FileFormatError(path, "*RAS_INT_START without *RAS_INT_END", line=i + 1)
            rows = numeric_rows(lines[i + 1:j], path, first_line=i + 2, finite="all")
            declared = meta.get("MEAS_DATA_COUNT")
            if declared:
                count = optional_float(declared)
                if count is None or count != rows.shape[0]:
                    raise FileFormatError(path, f"header declares {declared!r} points (MEAS_DATA_COUNT), scan has "
                                                f"{rows.shape[0]}", line=where.get("MEAS_DATA_COUNT", i + 1))
            out.append(_ras_scan(meta, rows, len(out), path, where, i + 2))
            i = j
        else:
            m = _RAS_KEY.match(line)
            if m and not line.startswith("*RAS_"):
                meta[m.group(1)] = m.group(2)
                where[m.group(1)] = i + 1
        i += 1
    if not out:
        raise FileFormatError(path, "no *RAS_INT_START data block", line=len(lines))
    return out


def sniff_rasx(head: bytes, path: Path) -> bool:
    """Recognise a Rigaku SmartLab ``.rasx`` container.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True for a zip whose first 200 bytes mention ``Data0/``, or any zip named ``.rasx``.
    """
    return is_zip(head) and (b"Data0/" in head[:200] or path.suffix.lower() == ".rasx")


def _conditions(root) -> dict:
    out = {}
    for tag in ("AxisName", "Mode", "Speed", "SpeedUnit", "Step", "Start", "Stop", "StartTime", "Unit",
                "TargetName", "WavelengthKalpha1", "WavelengthKalpha2", "SampleName"):
        el = next(root.iter(tag), None)
        if el is not None and el.text:
            out[tag] = el.text.strip()
    return out


def read_rasx(path: Path):
    """Read every profile of a Rigaku SmartLab ``.rasx`` zip container.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per ``Profile<n>.txt`` member (ordered by folder, then by number, numbers
        compared by value: ``Data0/Profile2`` before ``Data0/Profile10``): dim ``two_theta``
        (degrees), units ``counts``, region ``"<folder> <n>"`` (e.g. ``"Data0 0"``), a third column kept
        as the coordinate ``attenuation_factor``; anode, sample, wavelengths (Å) and start time from
        ``MesurementConditions<n>.xml`` when present.

    Raises
    ------
    spectra.errors.FileFormatError
        The container is unreadable or unsafe, holds no ``Profile*.txt``, a conditions document is
        malformed XML or gives a wavelength out of range, or a profile row is not numeric or not finite
        or its 2θ axis is constant (line numbers then count within the member, which is named).
    """
    out = []
    with SafeZip(path) as archive:
        profiles = sorted((n for n in archive.names if re.search(r"(^|/)Profile\d+\.txt$", n)), key=_natural)
        if not profiles:
            raise FileFormatError(path, "no Data*/Profile*.txt in the RASX container (byte offset: its member "
                                        "directory)", offset=archive.zip.start_dir)
        for member in profiles:
            folder = member.rsplit("/", 1)[0] if "/" in member else ""
            number = re.search(r"Profile(\d+)", member).group(1)
            cond_name = f"{folder}/MesurementConditions{number}.xml" if folder else f"MesurementConditions{number}.xml"
            root = _xml.parse(archive.read(cond_name), path, member=cond_name) if cond_name in archive.names else None
            meta = _conditions(root) if root is not None else {}
            try:
                text = decode(archive.read(member), path)
                rows = numeric_rows(text.splitlines(), path, finite="all")
                two_theta = _checks.axis_values(rows[:, 0], path, limit=_checks.MAX_ANGLE, what="2θ", line=1)
            except FileFormatError as exc:
                raise FileFormatError(path, f"{exc.reason} (in {member})", line=exc.line,
                                      offset=None if exc.line is not None else archive.offset(member)) from None
            wavelengths = {}
            for key, name in (("WavelengthKalpha1", "wavelength_ka1"), ("WavelengthKalpha2", "wavelength_ka2")):
                value = optional_float(meta.get(key))
                try:
                    wavelengths[name] = _checks.wavelength(value, key, path)
                except FileFormatError as exc:
                    raise _xml.error(root, next(root.iter(key)), path, exc.reason) from None
            extra = {"attenuation_factor": rows[:, 2]} if rows.shape[1] > 2 else {}
            out.append(xrd_pattern(two_theta, rows[:, 1], units="counts", extra_coords=extra,
                                   metadata={**meta, "member": member}, region=f"{folder or 'scan'} {number}".strip(),
                                   anode=meta.get("TargetName"), sample=meta.get("SampleName"),
                                   acquired=meta.get("StartTime"), **wavelengths))
    return out


def _natural(name: str) -> list:
    """Sort key that orders the numbers in a name by value (``Profile2`` before ``Profile10``)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]



register(Reader("ras", "xrd", (".ras",), sniff_ras, read_ras, "Rigaku SmartLab .ras (one or many scans)"))
register(Reader("rasx", "xrd", (".rasx",), sniff_rasx, read_rasx, "Rigaku SmartLab .rasx"))
