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

from ..errors import FileFormatError
from ..dataarray import xrd_pattern
from . import _xml
from ._registry import Reader, register
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


def _ras_scan(meta: dict, rows: np.ndarray, index: int):
    def _num(key):
        try:
            return float(meta[key])
        except (KeyError, ValueError):
            return None
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
        A ``*RAS_INT_START`` without ``*RAS_INT_END``, a non-numeric or ragged data row, or a point
        count that differs from ``MEAS_DATA_COUNT`` (the error names the line).
    """
    text = decode(Path(path).read_bytes(), path, encodings=("utf-8-sig", "shift_jis", "latin-1"))
    lines = text.splitlines()
    out = []
    meta: dict = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line == "*RAS_HEADER_START":
            meta = {}
        elif line == "*RAS_INT_START":
            j = i + 1
            while j < len(lines) and not lines[j].startswith("*RAS_INT_END"):
                j += 1
            if j == len(lines):
                raise FileFormatError(path, "*RAS_INT_START without *RAS_INT_END", line=i + 1)
            rows = numeric_rows(lines[i + 1:j], path, first_line=i + 2)
            declared = meta.get("MEAS_DATA_COUNT")
            if declared and int(float(declared)) != rows.shape[0]:
                raise FileFormatError(path, f"header declares {declared} points, scan has {rows.shape[0]}", line=i + 1)
            out.append(_ras_scan(meta, rows, len(out)))
            i = j
        else:
            m = _RAS_KEY.match(line)
            if m and not line.startswith("*RAS_"):
                meta[m.group(1)] = m.group(2)
        i += 1
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
        One XRD pattern per ``Profile<n>.txt`` member (in sorted member-name order): dim ``two_theta``
        (degrees), units ``counts``, region ``"<folder> <n>"`` (e.g. ``"Data0 0"``), a third column kept
        as the coordinate ``attenuation_factor``; anode, sample, wavelengths (Å) and start time from
        ``MesurementConditions<n>.xml`` when present.

    Raises
    ------
    spectra.errors.FileFormatError
        The container is unreadable or unsafe, holds no ``Profile*.txt``, a conditions document is
        malformed XML, or a profile row is not numeric (line numbers then count within the member).
    """
    out = []
    with SafeZip(path) as archive:
        profiles = sorted(n for n in archive.names if re.search(r"(^|/)Profile\d+\.txt$", n))
        if not profiles:
            raise FileFormatError(path, "no Data*/Profile*.txt in the RASX container")
        for member in profiles:
            folder = member.rsplit("/", 1)[0] if "/" in member else ""
            number = re.search(r"Profile(\d+)", member).group(1)
            cond_name = f"{folder}/MesurementConditions{number}.xml" if folder else f"MesurementConditions{number}.xml"
            meta = _conditions(_xml.parse(archive.read(cond_name), path, member=cond_name)) \
                if cond_name in archive.names else {}
            text = decode(archive.read(member), path)
            rows = numeric_rows(text.splitlines(), path)
            extra = {"attenuation_factor": rows[:, 2]} if rows.shape[1] > 2 else {}
            out.append(xrd_pattern(rows[:, 0], rows[:, 1], units="counts", extra_coords=extra,
                                   metadata={**meta, "member": member}, region=f"{folder or 'scan'} {number}".strip(),
                                   anode=meta.get("TargetName"), sample=meta.get("SampleName"),
                                   wavelength_ka1=optional_float(meta.get("WavelengthKalpha1")),
                                   wavelength_ka2=optional_float(meta.get("WavelengthKalpha2")),
                                   acquired=meta.get("StartTime")))
    return out



register(Reader("ras", "xrd", (".ras",), sniff_ras, read_ras, "Rigaku SmartLab .ras (one or many scans)"))
register(Reader("rasx", "xrd", (".rasx",), sniff_rasx, read_rasx, "Rigaku SmartLab .rasx"))
