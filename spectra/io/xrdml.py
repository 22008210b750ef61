"""PANalytical XRDML (schemas 1.0 to 2.3).

* y data from ``<intensities>`` (schema 1.x; already corrected for beam attenuation) or ``<counts>``
  (schema 2.x; raw). Beam attenuation factors are applied exactly once: raw ``<counts>`` are
  multiplied by them, ``<intensities>`` never are. The factors are kept as the coordinate
  ``attenuation_factor`` so Poisson weights can be formed from the raw counts.
* 2θ from ``startPosition``/``endPosition`` (evenly spaced) or ``listPositions``.
* One spectrum per scan. An area measurement (RSM) whose scans share one 2θ axis is one 2-D array
  with leading dim ``scan``, the coordinate ``omega`` along it and, when the scans have them, the
  attenuation factors as the 2-D coordinate ``attenuation_factor`` (``scan``, ``two_theta``).
* Positions, counts, attenuation factors (positive), counting times and wavelengths must be finite
  numbers in range and the 2θ axis not constant; errors name the element's path and line.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks, _xml
from ._registry import Reader, read_bytes, register


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a PANalytical XRDML file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True for an XML document whose head contains ``<xrdMeasurements`` or the
        ``xrdml.com/XRDMeasurement`` namespace.
    """
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
        b"<xrdMeasurements" in head or b"xrdml.com/XRDMeasurement" in head)


def _floats(element, path: Path, root, what: str, *, finite: bool = True) -> np.ndarray:
    value = _xml.text(element, "")
    try:
        values = np.array(value.split(), dtype=float)
    except ValueError:
        raise _xml.error(root, element, path, f"non-numeric value in <{what}>") from None
    bad = _checks.first_bad(values) if finite else None
    if bad is not None:
        raise _xml.error(root, element, path, f"value {bad + 1} of <{what}> is {values[bad]}: a finite number is "
                                              "needed")
    return values


def _number(element, path: Path, root, check, what: str):
    """The number in ``element`` (None when missing or not a number), checked with a :mod:`._checks`
    function; its errors name the element and line."""
    value = _xml.number(element)
    try:
        return check(value, what, path)
    except FileFormatError as exc:
        raise _xml.error(root, element, path, exc.reason) from None


def _angle(value, what, path):
    return _checks.optional(value, what, path, limit=_checks.MAX_ANGLE)


def _positions(scan, axis: str, n: int, path: Path, root) -> np.ndarray | None:
    dp = scan.find("dataPoints")
    for pos in dp.findall("positions"):
        if pos.get("axis") != axis:
            continue
        listed = pos.find("listPositions")
        if listed is not None:
            values = _floats(listed, path, root, "listPositions")
            if values.size != n:
                raise _xml.error(root, listed, path, f"{values.size} {axis} positions for {n} data points")
            if axis == "2Theta":
                try:
                    _checks.axis_values(values, path, limit=_checks.MAX_ANGLE, what=axis)
                except FileFormatError as exc:
                    raise _xml.error(root, listed, path, exc.reason) from None
            return values
        start_el, end_el = pos.find("startPosition"), pos.find("endPosition")
        start = _number(start_el, path, root, _angle, f"{axis} startPosition")
        end = _number(end_el, path, root, _angle, f"{axis} endPosition")
        if start is not None and end is not None:
            if axis == "2Theta" and n > 1 and start == end:
                raise _xml.error(root, end_el, path, f"{axis} start and end positions are both {start}: "
                                                     f"{n} points on a constant axis")
            return np.linspace(start, end, n)
        common = _number(pos.find("commonPosition"), path, root, _angle, f"{axis} commonPosition")
        if common is not None:
            if axis == "2Theta" and n > 1:
                raise _xml.error(root, pos, path, f"{axis} has one common position for {n} points")
            return np.full(n, common)
    return None


def _wavelengths(measurement, path: Path, root) -> dict:
    wl = measurement.find("usedWavelength")
    out = {}
    if wl is not None:
        out = {"wavelength_ka1": _number(wl.find("kAlpha1"), path, root, _checks.wavelength, "kAlpha1"),
               "wavelength_ka2": _number(wl.find("kAlpha2"), path, root, _checks.wavelength, "kAlpha2"),
               "ka2_ratio": _number(wl.find("ratioKAlpha2KAlpha1"), path, root, _ratio, "ratioKAlpha2KAlpha1"),
               "wavelength_kb": _number(wl.find("kBeta"), path, root, _checks.wavelength, "kBeta")}
    out["anode"] = _xml.text(measurement.find("incidentBeamPath/xRayTube/anodeMaterial"))
    return out


def _ratio(value, what, path):
    return _checks.optional(value, what, path, minimum=0.0, maximum=1e3)


def _scan(scan, path: Path, root) -> dict:
    dp = scan.find("dataPoints")
    if dp is None:
        raise _xml.error(root, scan, path, f"scan {scan.get('appendNumber')} has no <dataPoints>")
    y_el = dp.find("counts")
    corrected = False
    if y_el is None:
        y_el = dp.find("intensities")
        corrected = True
    if y_el is None:
        raise _xml.error(root, dp, path, f"scan {scan.get('appendNumber')} has neither <counts> nor <intensities>")
    y = _floats(y_el, path, root, y_el.tag)
    if y.size == 0:
        raise _xml.error(root, y_el, path, f"scan {scan.get('appendNumber')} has no data points")
    att_el = dp.find("beamAttenuationFactors")
    attenuation = _floats(att_el, path, root, "beamAttenuationFactors") if att_el is not None else None
    if attenuation is not None and attenuation.size != y.size:
        raise _xml.error(root, att_el, path, f"{attenuation.size} attenuation factors for {y.size} data points")
    if attenuation is not None and (attenuation <= 0).any():
        raise _xml.error(root, att_el, path, "an attenuation factor is not positive")
    two_theta = _positions(scan, "2Theta", y.size, path, root)
    if two_theta is None:
        raise _xml.error(root, dp, path, f"scan {scan.get('appendNumber')} has no 2Theta positions")
    unit = (y_el.get("unit") or "counts").lower()
    time = _number(dp.find("commonCountingTime"), path, root, _checks.duration, "commonCountingTime")
    return {"y": y, "corrected": corrected, "attenuation": attenuation, "two_theta": two_theta, "element": y_el,
            "omega": _positions(scan, "Omega", y.size, path, root), "time": time,
            "units": "counts/s" if unit in ("cps", "counts/s", "counts per second") else "counts",
            "scan_axis": scan.get("scanAxis"), "mode": scan.get("mode"),
            "started": _xml.text(scan.find("header/startTimeStamp")),
            "number": scan.get("appendNumber")}


def _intensity(s: dict) -> np.ndarray:
    if s["attenuation"] is not None and not s["corrected"]:
        return s["y"] * s["attenuation"]
    return s["y"]


def _check_intensity(s: dict, path: Path, root) -> None:
    """Raw counts times attenuation factors must stay finite (1e308 counts times 2 would not)."""
    if not np.isfinite(_intensity(s)).all():
        raise _xml.error(root, s["element"], path, "counts times attenuation factors overflow")


def read(path: Path):
    """Read every scan of a PANalytical XRDML file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per scan, dim ``two_theta`` (degrees), region ``"scan <appendNumber>"`` (a
        running number when the attribute is missing or empty), with the coordinate
        ``attenuation_factor`` when the scan has beam attenuation factors; an area measurement whose
        scans share one 2θ axis is instead one array with dims (``scan``, ``two_theta``), the
        coordinate ``omega`` (degrees) along ``scan`` and ``attenuation_factor`` along both dims when
        the scans have factors, region ``"area measurement <n>"``. Units
        ``counts`` or ``counts/s`` as the data element says; raw ``<counts>`` are multiplied by the
        attenuation factors, ``<intensities>`` are not.

    Raises
    ------
    spectra.errors.FileFormatError
        The XML is malformed or unsafe, the root is not ``<xrdMeasurements>``, or a scan lacks data
        points or 2θ positions, has non-numeric or non-finite values, a constant 2θ axis, mismatched
        position or attenuation counts, a non-positive attenuation factor, or a counting time or
        wavelength out of range (the error names the element's path and line).
    """
    root = _xml.parse(read_bytes(path), path)
    if root.tag != "xrdMeasurements":
        raise _xml.error(root, root, path, f"root element is <{root.tag}>, not <xrdMeasurements>")
    sample = _xml.text(root.find("sample/name")) or _xml.text(root.find("sample/id"))
    comments = [e.text for e in root.findall("comment/entry") if e.text]
    out = []
    for m_index, measurement in enumerate(root.findall("xrdMeasurement")):
        scans = [_scan(s, path, root) for s in measurement.findall("scan")]
        if not scans:
            continue
        for s in scans:
            _check_intensity(s, path, root)
        common = {"sample": sample, "acquired": scans[0]["started"], "counting_time": scans[0]["time"],
                  **_wavelengths(measurement, path, root)}
        metadata = {"measurement_type": measurement.get("measurementType"), "status": measurement.get("status"),
                    "sample_mode": measurement.get("sampleMode"), "comments": comments,
                    "schema": root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"),
                    "intensity_element": "intensities" if scans[0]["corrected"] else "counts",
                    "attenuation": ("already applied in <intensities>" if scans[0]["corrected"] else
                                    "raw <counts> multiplied by beamAttenuationFactors")}
        is_area = (measurement.get("measurementType") or "").lower().startswith("area")
        same_axis = all(s["two_theta"].shape == scans[0]["two_theta"].shape
                        and np.allclose(s["two_theta"], scans[0]["two_theta"]) for s in scans)
        if is_area and len(scans) > 1 and same_axis:
            omega = np.array([s["omega"][0] if s["omega"] is not None else np.nan for s in scans])
            area = xrd_pattern(scans[0]["two_theta"], np.stack([_intensity(s) for s in scans]),
                               units=scans[0]["units"], leading={"scan": np.arange(len(scans))},
                               metadata=metadata, region=f"area measurement {m_index + 1}", **common)
            area = area.assign_coords(omega=("scan", omega, {"units": "degree"}))
            if all(s["attenuation"] is not None for s in scans):
                area = area.assign_coords(attenuation_factor=(("scan", "two_theta"),
                                                              np.stack([s["attenuation"] for s in scans])))
            elif any(s["attenuation"] is not None for s in scans):
                raise _xml.error(root, measurement, path, "some scans of the area measurement have beam attenuation "
                                                          "factors and others not")
            out.append(area)
            continue
        for s in scans:
            extra = {"attenuation_factor": s["attenuation"]} if s["attenuation"] is not None else {}
            out.append(xrd_pattern(s["two_theta"], _intensity(s), units=s["units"], extra_coords=extra,
                                   metadata={**metadata, "scan_axis": s["scan_axis"], "scan_mode": s["mode"]},
                                   region=f"scan {s['number'] or len(out) + 1}",
                                   **{**common, "acquired": s["started"], "counting_time": s["time"]}))
    if not out:
        raise _xml.error(root, root, path, "no <xrdMeasurement> with a <scan>")
    return out


register(Reader("xrdml", "xrd", (".xrdml",), sniff, read,
                "PANalytical XRDML 1.0-2.3: intensities or counts, one or many scans, area/RSM"))
