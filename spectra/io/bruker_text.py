"""Bruker text and XML formats: DIFFRAC-plus ``.uxd`` and DIFFRAC.SUITE ``.brml``.

UXD: ``_KEY=value`` (or ``_KEY = value``) header lines and ``;`` comments; each range starts at
``_DRIVE`` (or a ``; Data for range`` comment) and its data follow ``_COUNTS``/``_CPS`` (intensity
only, 2θ from ``_START`` and ``_STEPSIZE``) or ``_2THETACOUNTS``/``_2THETACPS`` (pairs).

BRML: a zip of XML documents; every ``Experiment*/RawData*.xml`` is one scan. The columns of each
``<Datum>`` line are mapped through the ``DataViews``: 2θ is the ``TwoTheta`` field of the varying
(scan-axis) view, counts the first recorded view of category ``Count``; the absorption factor is
kept as the coordinate ``attenuation_factor`` (counts are as written).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..dataarray import xrd_pattern
from . import _xml
from ._registry import Reader, register
from ._text import numeric_rows, optional_float, read_text
from ._zip import SafeZip, is_zip

_KEY = re.compile(r"^_([A-Z0-9+_]+)\s*(?:=\s*(.*))?$")
_DATA_KEYS = {"COUNTS": False, "CPS": False, "2THETACOUNTS": True, "2THETACPS": True}


def sniff_uxd(head: bytes, path: Path) -> bool:
    """Recognise a Bruker DIFFRAC-plus UXD text file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when a line in the first 2000 bytes starts with ``_FILEVERSION``.
    """
    return re.search(rb"^_FILEVERSION", head[:2000], re.MULTILINE) is not None


def read_uxd(path: Path):
    """Read every range of a Bruker DIFFRAC-plus UXD text file.

    A range starts at ``_DRIVE`` (or, before any range, at ``_STEPSIZE``, ``_START`` or ``_STEPTIME``);
    ``_KEY=value`` lines before it are the file header, those after it the range's own.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per range: dim ``two_theta`` (degrees; from ``_START`` + ``_STEPSIZE`` for
        ``_COUNTS``/``_CPS`` data, from the first column for ``_2THETACOUNTS``/``_2THETACPS``), units
        ``counts`` or ``counts/s``, region ``"range <n>"``. Wavelengths (``_WL1``, ``_WL2``, Å),
        ``_WLRATIO``, ``_ANODE``, ``_SAMPLE`` and ``_STEPTIME`` become attributes.

    Raises
    ------
    spectra.errors.FileFormatError
        A data block comes before any range, a range has no data block, pair data have one column,
        ``_COUNTS`` data lack ``_START``/``_STEPSIZE``, or a data row is not numeric (the error names
        the line).
    """
    lines = read_text(path).splitlines()
    header: dict = {}
    ranges: list[dict] = []
    current = None
    i = 0
    while i < len(lines):
        text = lines[i].strip()
        m = _KEY.match(text)
        if m:
            key, value = m.group(1), (m.group(2) or "").strip().strip("'")
            if key in _DATA_KEYS:
                if current is None:
                    raise FileFormatError(path, f"_{key} before any range (_DRIVE)", line=i + 1)
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith(";")):
                    j += 1
                k = j
                while k < len(lines) and lines[k].strip() and not lines[k].lstrip().startswith(("_", ";")):
                    k += 1
                current["data"] = numeric_rows(lines[j:k], path, first_line=j + 1, min_columns=1)
                current["pairs"] = _DATA_KEYS[key]
                current["cps"] = key.endswith("CPS")
                current["line"] = i + 1
                i = k
                continue
            if key == "DRIVE" or current is None and key in ("STEPSIZE", "START", "STEPTIME"):
                current = {"meta": {}}
                ranges.append(current)
            (current["meta"] if current is not None else header)[key] = value
        i += 1
    out = []
    for index, r in enumerate(ranges):
        if "data" not in r:
            raise FileFormatError(path, f"range {index + 1} has no data block", line=len(lines))
        data, meta = r["data"], r["meta"]
        if r["pairs"]:
            if data.shape[1] < 2:
                raise FileFormatError(path, f"range {index + 1}: _2THETA... data need two columns", line=r["line"])
            two_theta, y = data[:, 0], data[:, 1]
        else:
            try:
                start, step = float(meta["START"]), float(meta["STEPSIZE"])
            except (KeyError, ValueError):
                raise FileFormatError(path, f"range {index + 1}: _COUNTS without _START/_STEPSIZE", line=r["line"]) from None
            y = data.ravel()
            two_theta = start + step * np.arange(y.size)
        out.append(xrd_pattern(two_theta, y, units="counts/s" if r["cps"] else "counts",
                               metadata={**header, **meta}, region=f"range {index + 1}",
                               sample=header.get("SAMPLE") or None, anode=header.get("ANODE"),
                               wavelength_ka1=optional_float(header.get("WL1")), wavelength_ka2=optional_float(header.get("WL2")),
                               ka2_ratio=optional_float(header.get("WLRATIO")), counting_time=optional_float(meta.get("STEPTIME")),
                               acquired=header.get("DATEMEASURED")))
    return out



def sniff_brml(head: bytes, path: Path) -> bool:
    """Recognise a Bruker DIFFRAC.SUITE BRML container.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True for a zip whose first 200 bytes mention ``Experiment``, or any zip named ``.brml``.
    """
    return is_zip(head) and (b"Experiment" in head[:200] or path.suffix.lower() == ".brml")


def _raw_data(root, path: Path, member: str):
    views = root.find("DataRoutes/DataRoute/DataViews")
    route = root.find("DataRoutes/DataRoute")
    if route is None or views is None:
        raise FileFormatError(path, f"{member}: no DataRoute with DataViews")
    two_theta_col = counts_col = absorption_col = None
    for view in views.findall("RawDataView"):
        start = int(view.get("Start", "-1"))
        kind = view.get("{http://www.w3.org/2001/XMLSchema-instance}type", "")
        if kind == "FixedRawDataView" and view.get("LogicName") == "AbsorptionFactor":
            absorption_col = start
        elif kind == "VaryingRawDataView":
            fields = [f.get("FieldName") for f in view.findall("Varying/FieldDefinitions")]
            if "TwoTheta" in fields and two_theta_col is None:
                two_theta_col = start + fields.index("TwoTheta")
        elif kind == "RecordedRawDataView" and counts_col is None:
            rec = view.find("Recording")
            if rec is not None and rec.get("Category") == "Count":
                counts_col = start
    if two_theta_col is None or counts_col is None:
        raise FileFormatError(path, f"{member}: DataViews name no TwoTheta axis or count recording")
    rows = [d.text or "" for d in route.findall("Datum")]
    if not rows:
        raise FileFormatError(path, f"{member}: no <Datum> lines")
    try:
        table = np.array([r.split(",") for r in rows], dtype=float)
    except ValueError:
        raise FileFormatError(path, f"{member}: non-numeric or ragged <Datum> lines") from None
    if table.ndim != 2 or table.shape[1] <= max(two_theta_col, counts_col):
        raise FileFormatError(path, f"{member}: <Datum> lines have fewer columns than the DataViews describe")
    scan = root.find("DataRoutes/DataRoute/ScanInformation")
    fixed = root.find("FixedInformation/Instrument/PrimaryTracks/TrackInfoData/MountedOptics/InfoData/Tube")
    attrs = {"counting_time": _xml.number(scan.find("TimePerStep")) if scan is not None else None,
             "acquired": _xml.text(root.find("TimeStampStarted"))}
    for tag, name in (("WaveLengthAlpha1", "wavelength_ka1"), ("WaveLengthAlpha2", "wavelength_ka2"),
                      ("WaveLengthRatio", "ka2_ratio")):
        el = next(root.iter(tag), None)
        if el is not None and el.get("Value"):
            attrs[name] = float(el.get("Value"))
    anode = next(root.iter("TubeMaterial"), None)
    attrs["anode"] = _xml.text(anode)
    extra = {"attenuation_factor": table[:, absorption_col]} if absorption_col is not None else {}
    meta = {"member": member, "scan_name": scan.get("ScanName") if scan is not None else None,
            "scan_visible_name": scan.get("VisibleName") if scan is not None else None,
            "declared_points": _xml.text(scan.find("MeasurementPoints")) if scan is not None else None,
            "tube_found": fixed is not None}
    return xrd_pattern(table[:, two_theta_col], table[:, counts_col], units="counts", extra_coords=extra,
                       metadata=meta, region=Path(member).stem, **attrs)


def read_brml(path: Path):
    """Read every scan (``RawData*.xml`` member) of a Bruker DIFFRAC.SUITE BRML container.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per ``RawData<n>.xml``, ordered by folder then ``n``: dim ``two_theta``
        (degrees), units ``counts``, region the member's stem (e.g. ``"RawData0"``), and the coordinate
        ``attenuation_factor`` when the DataViews record one. Wavelengths (Å), ``ka2_ratio``, anode,
        ``counting_time`` and ``acquired`` are attributes where present.

    Raises
    ------
    spectra.errors.FileFormatError
        The container is unreadable or unsafe (see :class:`~spectra.io._zip.SafeZip`), holds no
        ``RawData*.xml``, a member is malformed XML (the error names the line), or its DataViews or
        ``<Datum>`` lines are missing, ragged or non-numeric.
    """
    with SafeZip(path) as archive:
        members = [n for n in archive.names if re.search(r"(^|/)RawData\d+\.xml$", n)]
        if not members:
            raise FileFormatError(path, "no RawData*.xml in the BRML container")
        members.sort(key=lambda n: (n.rsplit("/", 1)[0], int(re.search(r"RawData(\d+)", n).group(1))))
        return [_raw_data(_xml.parse(archive.read(m), path, member=m), path, m) for m in members]


register(Reader("uxd", "xrd", (".uxd",), sniff_uxd, read_uxd, "Bruker DIFFRAC-plus UXD text", searches=True))
register(Reader("brml", "xrd", (".brml",), sniff_brml, read_brml, "Bruker DIFFRAC.SUITE BRML (one or many scans)"))
