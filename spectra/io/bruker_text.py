"""Bruker text and XML formats: DIFFRAC-plus ``.uxd`` and DIFFRAC.SUITE ``.brml``.

UXD: ``_KEY=value`` (or ``_KEY = value``) header lines and ``;`` comments; each range starts at
``_DRIVE``, a ``; Data for range`` comment, or a ``_START``/``_STEPSIZE``/``_STEPTIME`` after the previous
range's data, and its data follow ``_COUNTS``/``_CPS`` (intensity only, 2θ from ``_START`` and
``_STEPSIZE``) or ``_2THETACOUNTS``/``_2THETACPS`` (pairs).

BRML: a zip of XML documents; every ``Experiment*/RawData*.xml`` is one scan. The columns of each
``<Datum>`` line are mapped through the ``DataViews``: 2θ is the ``TwoTheta`` field of the varying
(scan-axis) view, counts the first recorded view of category ``Count``; the absorption factor is
kept as the coordinate ``attenuation_factor`` (counts are as written). Every view must give its
column (``Start``); a view without one is an error, not the last column.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks, _xml
from ._registry import Reader, register
from ._text import numeric_rows, optional_float, read_text
from ._zip import SafeZip, is_zip

_KEY = re.compile(r"^_([A-Z0-9+_]+)\s*(?:=\s*(.*))?$")
_RANGE_COMMENT = re.compile(r"^;\s*\(?\s*data\s+for\s+range", re.IGNORECASE)
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

    A range starts at a ``; Data for range`` (or ``; (Data for Range number``) comment, at ``_DRIVE``
    (unless the range opened by such a comment has no ``_DRIVE`` yet), or, when there is no current
    range or the current one already has its data, at ``_STEPSIZE``, ``_START`` or ``_STEPTIME``: so a
    multi-range file without ``_DRIVE`` keeps every range. ``_KEY=value`` lines before the first range
    are the file header, those after it the range's own.

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
        A data block comes before any range or is the second of a range, a range has no data block,
        pair data have one column, ``_COUNTS`` data lack ``_START``/``_STEPSIZE``, a start, step, time or
        wavelength is not a finite number in range (a step of 0 included), the 2θ axis is constant, or
        a data row is not numeric or not finite (the error names the line).
    """
    lines = read_text(path).splitlines()
    header: dict = {}
    where: dict = {}
    ranges: list[dict] = []
    current = None

    def new_range(line: int) -> dict:
        r = {"meta": {}, "where": {}, "line": line}
        ranges.append(r)
        return r

    i = 0
    while i < len(lines):
        text = lines[i].strip()
        if _RANGE_COMMENT.match(text):
            if current is None or "data" in current or current["meta"]:
                current = new_range(i + 1)
            i += 1
            continue
        m = _KEY.match(text)
        if m:
            key, value = m.group(1), (m.group(2) or "").strip().strip("'")
            if key in _DATA_KEYS:
                if current is None:
                    raise FileFormatError(path, f"_{key} before any range (_DRIVE)", line=i + 1)
                if "data" in current:
                    raise FileFormatError(path, f"a second data block (_{key}) in range {len(ranges)} without a "
                                                "new range header", line=i + 1)
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith(";")):
                    j += 1
                k = j
                while k < len(lines) and lines[k].strip() and not lines[k].lstrip().startswith(("_", ";")):
                    k += 1
                pairs = _DATA_KEYS[key]
                current["data"] = numeric_rows(lines[j:k], path, first_line=j + 1, min_columns=1,
                                               finite=(0, 1) if pairs else "all")
                current["data_line"] = j + 1
                current["pairs"] = pairs
                current["cps"] = key.endswith("CPS")
                current["key_line"] = i + 1
                i = k
                continue
            if key == "DRIVE":
                if current is None or "data" in current or "DRIVE" in current["meta"]:
                    current = new_range(i + 1)
            elif key in ("STEPSIZE", "START", "STEPTIME") and (current is None or "data" in current):
                current = new_range(i + 1)
            target, lines_of = (current["meta"], current["where"]) if current is not None else (header, where)
            target[key] = value
            lines_of[key] = i + 1
        i += 1
    out = []
    for index, r in enumerate(ranges):
        # file-level keys may also follow a '; Data for range' comment: the range's own win
        values, lines_of = {**header, **r["meta"]}, {**where, **r["where"]}
        wavelengths = {name: _header_number(values, lines_of, key, _checks.wavelength, path)
                       for key, name in (("WL1", "wavelength_ka1"), ("WL2", "wavelength_ka2"))}
        ratio = _header_number(values, lines_of, "WLRATIO", _ratio, path)
        if "data" not in r:
            raise FileFormatError(path, f"range {index + 1} has no data block", line=r["line"])
        data, meta = r["data"], r["meta"]
        if r["pairs"]:
            if data.shape[1] < 2:
                raise FileFormatError(path, f"range {index + 1}: _2THETA... data need two columns", line=r["key_line"])
            two_theta = _checks.axis_values(data[:, 0], path, limit=_checks.MAX_ANGLE, what="2θ",
                                            line=r["data_line"])
            y = data[:, 1]
        else:
            try:
                start, step = float(meta["START"]), float(meta["STEPSIZE"])
            except (KeyError, ValueError):
                raise FileFormatError(path, f"range {index + 1}: _COUNTS without a readable _START/_STEPSIZE",
                                      line=r["key_line"]) from None
            y = data.ravel()
            two_theta = _checks.regular_axis(start, step, y.size, path, limit=_checks.MAX_ANGLE, what="2θ",
                                             line=r["where"].get("STEPSIZE", r["key_line"]))
        out.append(xrd_pattern(two_theta, y, units="counts/s" if r["cps"] else "counts",
                               metadata={**header, **meta}, region=f"range {index + 1}",
                               sample=values.get("SAMPLE") or None, anode=values.get("ANODE"),
                               ka2_ratio=ratio, counting_time=_header_number(meta, r["where"], "STEPTIME",
                                                                             _checks.duration, path),
                               acquired=values.get("DATEMEASURED"), **wavelengths))
    if not out:
        raise FileFormatError(path, "no range (_DRIVE, _START or a data block) in the file", line=len(lines))
    return out


def _ratio(value, what, path, **at):
    return _checks.number(value, what, path, minimum=0.0, maximum=1e3, **at)


def _header_number(values: dict, where: dict, key: str, check, path: Path):
    """``_KEY`` as a number checked with ``check`` (a :mod:`._checks` function); None when absent or
    not a number (the value stays in the metadata)."""
    value = optional_float(values.get(key))
    return None if value is None else check(value, f"_{key}", path, line=where.get(key, 1))


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
        raise _xml.error(root, root, path, "no DataRoute with DataViews")
    two_theta_col = counts_col = absorption_col = None
    def column(view) -> int:
        text = view.get("Start")
        if text is None or not text.strip().isdigit() or int(text) > 10_000:
            raise _xml.error(root, view, path, f"data view {view.get('LogicName') or ''!r} without a column "
                                               f"number (Start = {text!r})")
        return int(text)

    for view in views.findall("RawDataView"):
        kind = view.get("{http://www.w3.org/2001/XMLSchema-instance}type", "")
        if kind == "FixedRawDataView" and view.get("LogicName") == "AbsorptionFactor":
            absorption_col = column(view)
        elif kind == "VaryingRawDataView":
            fields = [f.get("FieldName") for f in view.findall("Varying/FieldDefinitions")]
            if "TwoTheta" in fields and two_theta_col is None:
                two_theta_col = column(view) + fields.index("TwoTheta")
        elif kind == "RecordedRawDataView" and counts_col is None:
            rec = view.find("Recording")
            if rec is not None and rec.get("Category") == "Count":
                counts_col = column(view)
    if two_theta_col is None or counts_col is None:
        raise _xml.error(root, views, path, "DataViews name no TwoTheta axis or count recording")
    data = route.findall("Datum")
    if not data:
        raise _xml.error(root, route, path, "no <Datum> lines")
    rows = [(d.text or "").split(",") for d in data]
    width = len(rows[0])
    for d, r in zip(data, rows):
        if len(r) != width:
            raise _xml.error(root, d, path, f"<Datum> with {len(r)} values where the first has {width}")
    try:
        table = np.array(rows, dtype=float)
    except ValueError:
        bad = next(d for d, r in zip(data, rows) if optional_float_row(r) is None)
        raise _xml.error(root, bad, path, "non-numeric <Datum> line") from None
    if table.shape[1] <= max(two_theta_col, counts_col, absorption_col or 0):
        raise _xml.error(root, data[0], path, "<Datum> lines have fewer columns than the DataViews describe")
    for col, what in ((two_theta_col, "2θ"), (counts_col, "count"), (absorption_col, "absorption factor")):
        if col is None:
            continue
        bad = _checks.first_bad(table[:, col])
        if bad is not None:
            raise _xml.error(root, data[bad], path, f"{what} value {table[bad, col]} is not finite")
    try:
        _checks.axis_values(table[:, two_theta_col], path, limit=_checks.MAX_ANGLE, what="2θ")
    except FileFormatError as exc:
        raise _xml.error(root, data[0], path, exc.reason) from None
    scan = root.find("DataRoutes/DataRoute/ScanInformation")
    fixed = root.find("FixedInformation/Instrument/PrimaryTracks/TrackInfoData/MountedOptics/InfoData/Tube")
    time_el = scan.find("TimePerStep") if scan is not None else None
    try:
        time = _checks.duration(_xml.number(time_el), "TimePerStep", path)
    except FileFormatError as exc:
        raise _xml.error(root, time_el, path, exc.reason) from None
    attrs = {"counting_time": time, "acquired": _xml.text(root.find("TimeStampStarted"))}
    for tag, name in (("WaveLengthAlpha1", "wavelength_ka1"), ("WaveLengthAlpha2", "wavelength_ka2"),
                      ("WaveLengthRatio", "ka2_ratio")):
        el = next(root.iter(tag), None)
        if el is not None and el.get("Value"):
            try:
                attrs[name] = _checks.number(el.get("Value"), f"{tag} Value", path, minimum=0.0, maximum=1e3)
            except FileFormatError as exc:
                raise _xml.error(root, el, path, exc.reason) from None
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
            raise FileFormatError(path, "no RawData*.xml in the BRML container (byte offset: its member "
                                        "directory)", offset=archive.zip.start_dir)
        members.sort(key=lambda n: (n.rsplit("/", 1)[0], int(re.search(r"RawData(\d+)", n).group(1))))
        return [_raw_data(_xml.parse(archive.read(m), path, member=m), path, m) for m in members]


def optional_float_row(values: list[str]) -> list[float] | None:
    """The values as floats, or None when one is not a number."""
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


register(Reader("uxd", "xrd", (".uxd",), sniff_uxd, read_uxd, "Bruker DIFFRAC-plus UXD text", searches=True))
register(Reader("brml", "xrd", (".brml",), sniff_brml, read_brml, "Bruker DIFFRAC.SUITE BRML (one or many scans)"))
